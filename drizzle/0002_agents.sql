CREATE TABLE "agent_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"agent_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"level" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"device_id" integer,
	"ci_id" integer,
	"token_id" text,
	"cert_serial" text NOT NULL,
	"cert_fingerprint" text NOT NULL,
	"cert_not_after" timestamp with time zone NOT NULL,
	"agent_version" text DEFAULT '' NOT NULL,
	"os" jsonb,
	"enrolled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enrolled_from" text DEFAULT '' NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"last_seen_at" timestamp with time zone,
	"last_address" text DEFAULT '' NOT NULL,
	"connected_node" text,
	"connection_id" text,
	"lease_until" timestamp with time zone,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"dropped_reports" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "join_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"secret_hash" text NOT NULL,
	"group_id" integer NOT NULL,
	"uses_allowed" integer DEFAULT 1 NOT NULL,
	"uses_count" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "pki_keys" (
	"name" text PRIMARY KEY NOT NULL,
	"certificate" text,
	"public_key" text NOT NULL,
	"private_key" text NOT NULL,
	"key_id" text NOT NULL,
	"names" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"not_after" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agent_events" ADD CONSTRAINT "agent_events_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_ci_id_cmdb_cis_id_fk" FOREIGN KEY ("ci_id") REFERENCES "public"."cmdb_cis"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_token_id_join_tokens_id_fk" FOREIGN KEY ("token_id") REFERENCES "public"."join_tokens"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "join_tokens" ADD CONSTRAINT "join_tokens_group_id_device_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."device_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agent_events_seq_idx" ON "agent_events" USING btree ("agent_id","seq");--> statement-breakpoint
CREATE INDEX "agents_device_idx" ON "agents" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "agents_connection_idx" ON "agents" USING btree ("connection_id");