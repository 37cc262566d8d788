CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"device_id" integer,
	"kind" text NOT NULL,
	"args" jsonb NOT NULL,
	"signed" jsonb,
	"state" text DEFAULT 'queued' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"duration_ms" real,
	"exit_code" integer,
	"signal" text,
	"progress" text DEFAULT '' NOT NULL,
	"stdout" jsonb,
	"stderr" jsonb,
	"result" jsonb,
	"error" text,
	"refusal_reason" text
);
--> statement-breakpoint
CREATE TABLE "metric_job_state" (
	"name" text PRIMARY KEY NOT NULL,
	"watermark" timestamp with time zone NOT NULL,
	"ran_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "metric_rollups" (
	"device_id" integer NOT NULL,
	"resolution" text NOT NULL,
	"bucket" timestamp with time zone NOT NULL,
	"samples" integer NOT NULL,
	"cpu_avg" real NOT NULL,
	"cpu_max" real NOT NULL,
	"mem_total" bigint NOT NULL,
	"mem_used_avg" bigint NOT NULL,
	"mem_used_max" bigint NOT NULL,
	"swap_total" bigint NOT NULL,
	"swap_used_avg" bigint NOT NULL,
	"swap_used_max" bigint NOT NULL,
	"load1_avg" real,
	"load1_max" real,
	"load5_avg" real,
	"load15_avg" real,
	"filesystems" jsonb NOT NULL,
	CONSTRAINT "metric_rollups_device_id_resolution_bucket_pk" PRIMARY KEY("device_id","resolution","bucket")
);
--> statement-breakpoint
CREATE TABLE "metric_samples" (
	"device_id" integer NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cpu" real NOT NULL,
	"cpu_cores" real[] NOT NULL,
	"mem_total" bigint NOT NULL,
	"mem_used" bigint NOT NULL,
	"swap_total" bigint NOT NULL,
	"swap_used" bigint NOT NULL,
	"load1" real,
	"load5" real,
	"load15" real,
	"filesystems" jsonb NOT NULL,
	CONSTRAINT "metric_samples_device_id_at_pk" PRIMARY KEY("device_id","at")
);
--> statement-breakpoint
CREATE TABLE "ocs_hosts" (
	"id" serial PRIMARY KEY NOT NULL,
	"ocs_device_id" text NOT NULL,
	"device_id" integer,
	"hostname" text DEFAULT '' NOT NULL,
	"tag" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_prolog_at" timestamp with time zone,
	"last_inventory_at" timestamp with time zone,
	"remote_address" text DEFAULT '' NOT NULL,
	"user_agent" text DEFAULT '' NOT NULL,
	CONSTRAINT "ocs_hosts_ocs_device_id_unique" UNIQUE("ocs_device_id")
);
--> statement-breakpoint
CREATE TABLE "inventories" (
	"key" text PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"name" text NOT NULL,
	"device_id" integer,
	"ci_id" integer,
	"system" jsonb,
	"bios" jsonb,
	"baseboard" jsonb,
	"os" jsonb,
	"cpu" jsonb,
	"memory" jsonb,
	"storage" jsonb,
	"partitions" jsonb,
	"network" jsonb,
	"software" jsonb,
	"video" jsonb,
	"displays" jsonb,
	"printers" jsonb,
	"usb" jsonb,
	"hashes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"section_changed_at" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_change" jsonb,
	"full_requested_at" timestamp with time zone,
	"reconcile_sections" jsonb,
	"reconcile_due_at" timestamp with time zone,
	"reconcile_queued_at" timestamp with time zone,
	"reconcile_version" integer DEFAULT 0 NOT NULL,
	"reconcile_claimed_by" text,
	"reconcile_claimed_at" timestamp with time zone,
	"reconcile_claim" text,
	"reconcile_attempts" integer DEFAULT 0 NOT NULL,
	"reconcile_error" text,
	"pending_change" jsonb
);
--> statement-breakpoint
DROP INDEX "cmdb_cis_class_idx";--> statement-breakpoint
DROP INDEX "cmdb_cis_search_idx";--> statement-breakpoint
DROP INDEX "cmdb_cis_data_idx";--> statement-breakpoint
ALTER TABLE "cmdb_attributes" ADD COLUMN "indexed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_rollups" ADD CONSTRAINT "metric_rollups_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "metric_samples" ADD CONSTRAINT "metric_samples_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ocs_hosts" ADD CONSTRAINT "ocs_hosts_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventories" ADD CONSTRAINT "inventories_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventories" ADD CONSTRAINT "inventories_ci_id_cmdb_cis_id_fk" FOREIGN KEY ("ci_id") REFERENCES "public"."cmdb_cis"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tasks_agent_state_idx" ON "tasks" USING btree ("agent_id","state");--> statement-breakpoint
CREATE INDEX "tasks_device_created_idx" ON "tasks" USING btree ("device_id","created_at");--> statement-breakpoint
CREATE INDEX "tasks_created_idx" ON "tasks" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "metric_rollups_bucket_idx" ON "metric_rollups" USING btree ("resolution","bucket");--> statement-breakpoint
CREATE INDEX "metric_samples_received_idx" ON "metric_samples" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "ocs_hosts_device_idx" ON "ocs_hosts" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "inventories_device_idx" ON "inventories" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "inventories_ci_idx" ON "inventories" USING btree ("ci_id");--> statement-breakpoint
CREATE INDEX "inventories_reconcile_due_idx" ON "inventories" USING btree ("reconcile_due_at") WHERE "inventories"."reconcile_due_at" is not null;--> statement-breakpoint
CREATE INDEX "cmdb_cis_class_idx" ON "cmdb_cis" USING btree ("class_id","name","id");--> statement-breakpoint
CREATE INDEX "cmdb_cis_search_idx" ON "cmdb_cis" USING gin ("search") WITH (gin_pending_list_limit=256);--> statement-breakpoint
CREATE INDEX "cmdb_cis_data_idx" ON "cmdb_cis" USING gin ("data") WITH (gin_pending_list_limit=256);