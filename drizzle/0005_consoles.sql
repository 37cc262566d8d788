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
	"created_by" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consoles_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "consoles" ADD CONSTRAINT "consoles_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "consoles_device_idx" ON "consoles" USING btree ("device_id");--> statement-breakpoint
CREATE INDEX "consoles_agent_idx" ON "consoles" USING btree ("agent_id");