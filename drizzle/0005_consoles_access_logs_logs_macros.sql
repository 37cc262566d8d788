CREATE TABLE "access_log_forward_cursors" (
	"forwarder_id" integer NOT NULL,
	"console_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	CONSTRAINT "access_log_forward_cursors_forwarder_id_console_id_pk" PRIMARY KEY("forwarder_id","console_id")
);
--> statement-breakpoint
CREATE TABLE "access_log_forwarders" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"host" text,
	"port" integer,
	"url" text,
	"ca_pem" text,
	"token" jsonb,
	"facility" integer DEFAULT 10 NOT NULL,
	"max_message_bytes" integer DEFAULT 8192 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"lease_node" text,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"last_sent_at" timestamp with time zone,
	"sent_records" bigint DEFAULT 0 NOT NULL,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "access_log_forwarders_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "access_log_heads" (
	"console_id" integer PRIMARY KEY NOT NULL,
	"device_id" integer,
	"first_seq" bigint DEFAULT 1 NOT NULL,
	"first_prev_hash" "bytea" NOT NULL,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"last_hash" "bytea" NOT NULL,
	"last_at" timestamp (3) with time zone,
	"mac" "bytea" NOT NULL,
	"pipe_id" uuid,
	"pipe_agent_seq" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "access_log_line_state" (
	"console_id" integer PRIMARY KEY NOT NULL,
	"seq" bigint DEFAULT 0 NOT NULL,
	"line_count" bigint DEFAULT 0 NOT NULL,
	"partial" "bytea",
	"partial_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "access_log_lines" (
	"console_id" integer NOT NULL,
	"first_line" bigint NOT NULL,
	"line_count" integer NOT NULL,
	"device_id" integer,
	"seq" bigint NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"text" text NOT NULL,
	CONSTRAINT "access_log_lines_console_id_first_line_pk" PRIMARY KEY("console_id","first_line")
);
--> statement-breakpoint
CREATE TABLE "access_log_records" (
	"console_id" integer NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"device_id" integer,
	"user_id" integer,
	"username" text,
	"pipe_id" uuid,
	"agent_seq" bigint,
	"data" "bytea" NOT NULL,
	"prev_hash" "bytea" NOT NULL,
	"hash" "bytea" NOT NULL,
	"mac" "bytea" NOT NULL,
	CONSTRAINT "access_log_records_console_id_seq_pk" PRIMARY KEY("console_id","seq")
);
--> statement-breakpoint
CREATE TABLE "consoles" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"device_id" integer NOT NULL,
	"agent_id" uuid,
	"kind" text NOT NULL,
	"target" jsonb NOT NULL,
	"credential" jsonb,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"persistent" boolean DEFAULT true NOT NULL,
	"one_writer" boolean DEFAULT false NOT NULL,
	"scrollback_bytes" integer DEFAULT 262144 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"pipe_id" uuid,
	"pipe_state" text DEFAULT 'stopped' NOT NULL,
	"pipe_message" text,
	"pipe_state_at" timestamp with time zone,
	"seq_base" bigint DEFAULT 0 NOT NULL,
	"stopped_at" timestamp with time zone,
	"stopped_by" text,
	"writer_id" integer,
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consoles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "log_agents" (
	"agent_id" uuid PRIMARY KEY NOT NULL,
	"allow" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"journal" boolean DEFAULT false NOT NULL,
	"config_version" text,
	"reported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_bookmarks" (
	"id" serial PRIMARY KEY NOT NULL,
	"source_type" text NOT NULL,
	"device_id" integer,
	"path" text,
	"console_id" integer,
	"line" bigint,
	"byte_offset" bigint,
	"cursor" text,
	"anchor" text DEFAULT '' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"tag" text DEFAULT '' NOT NULL,
	"created_by" integer,
	"created_by_name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"device_id" integer,
	"agent_id" uuid,
	"rule_id" integer,
	"rule_name" text,
	"severity" text NOT NULL,
	"source" jsonb,
	"line" text NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"last_line" text,
	"last_at" timestamp with time zone NOT NULL,
	"change" jsonb,
	"at" timestamp with time zone NOT NULL,
	"acked_at" timestamp with time zone,
	"acked_by" text
);
--> statement-breakpoint
CREATE TABLE "log_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"group_id" integer NOT NULL,
	"name" text NOT NULL,
	"pattern" text NOT NULL,
	"ignore_case" boolean DEFAULT false NOT NULL,
	"severity" text DEFAULT 'warning' NOT NULL,
	"on_consoles" boolean DEFAULT true NOT NULL,
	"on_files" boolean DEFAULT true NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_sessions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"source_key" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_watch_lists" (
	"group_id" integer PRIMARY KEY NOT NULL,
	"paths" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "macro_shares" (
	"macro_id" integer NOT NULL,
	"role_id" integer NOT NULL,
	CONSTRAINT "macro_shares_macro_id_role_id_pk" PRIMARY KEY("macro_id","role_id")
);
--> statement-breakpoint
CREATE TABLE "macros" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"steps" jsonb NOT NULL,
	"owner_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "certificate" text;--> statement-breakpoint
ALTER TABLE "notifications" ADD COLUMN "link" text;--> statement-breakpoint
ALTER TABLE "access_log_forward_cursors" ADD CONSTRAINT "access_log_forward_cursors_forwarder_id_access_log_forwarders_id_fk" FOREIGN KEY ("forwarder_id") REFERENCES "public"."access_log_forwarders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_log_forwarders" ADD CONSTRAINT "access_log_forwarders_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_writer_id_users_id_fk" FOREIGN KEY ("writer_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_agents" ADD CONSTRAINT "log_agents_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_bookmarks" ADD CONSTRAINT "log_bookmarks_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_bookmarks" ADD CONSTRAINT "log_bookmarks_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_events" ADD CONSTRAINT "log_events_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_events" ADD CONSTRAINT "log_events_rule_id_log_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."log_rules"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_rules" ADD CONSTRAINT "log_rules_group_id_device_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."device_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_sessions" ADD CONSTRAINT "log_sessions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "log_watch_lists" ADD CONSTRAINT "log_watch_lists_group_id_device_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."device_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "macro_shares" ADD CONSTRAINT "macro_shares_macro_id_macros_id_fk" FOREIGN KEY ("macro_id") REFERENCES "public"."macros"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "macro_shares" ADD CONSTRAINT "macro_shares_role_id_roles_id_fk" FOREIGN KEY ("role_id") REFERENCES "public"."roles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "macros" ADD CONSTRAINT "macros_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_log_lines_at_idx" ON "access_log_lines" USING btree ("console_id","at");--> statement-breakpoint
CREATE INDEX "access_log_lines_text_idx" ON "access_log_lines" USING gin ("text" gin_trgm_ops) WITH (gin_pending_list_limit=4096);--> statement-breakpoint
CREATE INDEX "access_log_records_at_idx" ON "access_log_records" USING btree ("console_id","at");--> statement-breakpoint
CREATE INDEX "access_log_records_pipe_idx" ON "access_log_records" USING btree ("pipe_id","agent_seq") WHERE "access_log_records"."pipe_id" is not null;--> statement-breakpoint
CREATE INDEX "consoles_device_idx" ON "consoles" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "consoles_agent_idx" ON "consoles" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "consoles_pipe_idx" ON "consoles" USING btree ("pipe_id");--> statement-breakpoint
CREATE INDEX "log_bookmarks_device_path_idx" ON "log_bookmarks" USING btree ("device_id","path");--> statement-breakpoint
CREATE INDEX "log_bookmarks_console_idx" ON "log_bookmarks" USING btree ("console_id");--> statement-breakpoint
CREATE INDEX "log_events_device_at_idx" ON "log_events" USING btree ("device_id","at");--> statement-breakpoint
CREATE INDEX "log_events_at_idx" ON "log_events" USING btree ("at");--> statement-breakpoint
CREATE INDEX "log_events_rule_device_idx" ON "log_events" USING btree ("rule_id","device_id","last_at");--> statement-breakpoint
CREATE INDEX "log_rules_group_idx" ON "log_rules" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "log_sessions_agent_source_idx" ON "log_sessions" USING btree ("agent_id","source_key");--> statement-breakpoint
CREATE INDEX "macro_shares_role_idx" ON "macro_shares" USING btree ("role_id");--> statement-breakpoint
CREATE UNIQUE INDEX "macros_owner_name_idx" ON "macros" USING btree ("owner_id","name");--> statement-breakpoint
DO $$ BEGIN
	ALTER TABLE "access_log_records" ALTER COLUMN "data" SET COMPRESSION lz4;
	ALTER TABLE "access_log_lines" ALTER COLUMN "text" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
END $$;
