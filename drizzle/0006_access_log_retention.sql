CREATE TABLE "access_log_checkpoints" (
	"console_id" integer PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"purged_at" timestamp (3) with time zone NOT NULL,
	"purged_by" text NOT NULL,
	"records" bigint NOT NULL,
	"mac" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_log_retention" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"days" integer,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"run_node" text,
	"run_started_at" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_run_records" bigint DEFAULT 0 NOT NULL,
	"last_run_consoles" integer DEFAULT 0 NOT NULL,
	"last_run_held_back" bigint DEFAULT 0 NOT NULL,
	"last_run_error" text,
	CONSTRAINT "access_log_retention_one_row" CHECK ("access_log_retention"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "access_log_retention_groups" (
	"group_id" integer PRIMARY KEY NOT NULL,
	"days" integer NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "access_log_forwarders" ADD COLUMN "server_name" text;--> statement-breakpoint
ALTER TABLE "access_log_forwarders" ADD COLUMN "connected_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "access_log_retention_groups" ADD CONSTRAINT "access_log_retention_groups_group_id_device_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."device_groups"("id") ON DELETE cascade ON UPDATE no action;