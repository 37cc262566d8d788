CREATE TABLE "api_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"user_id" integer NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"token_hash" text NOT NULL,
	"scope" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "cmdb_attributes" (
	"id" serial PRIMARY KEY NOT NULL,
	"class_id" integer,
	"domain_id" integer,
	"name" text NOT NULL,
	"label" text NOT NULL,
	"type" text NOT NULL,
	"required" boolean DEFAULT false NOT NULL,
	"unique" boolean DEFAULT false NOT NULL,
	"default_value" jsonb,
	"display_order" integer DEFAULT 0 NOT NULL,
	"enum_values" jsonb,
	"ref_class_id" integer,
	"description" text DEFAULT '' NOT NULL,
	"manual_policy" text DEFAULT 'protect' NOT NULL,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "cmdb_cis" (
	"id" serial PRIMARY KEY NOT NULL,
	"class_id" integer NOT NULL,
	"name" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"manual" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"missing_since" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"search" "tsvector",
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cmdb_classes" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"label" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"parent_id" integer,
	"abstract" boolean DEFAULT false NOT NULL,
	"require_change_message" boolean DEFAULT false NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cmdb_classes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "cmdb_documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"ci_id" integer NOT NULL,
	"category" text NOT NULL,
	"filename" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea" NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"uploaded_by" text NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cmdb_domains" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"source_class_id" integer NOT NULL,
	"target_class_id" integer NOT NULL,
	"cardinality" text NOT NULL,
	"forward_label" text NOT NULL,
	"reverse_label" text NOT NULL,
	"containment" boolean DEFAULT false NOT NULL,
	"dependent" text DEFAULT 'source' NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"built_in" boolean DEFAULT false NOT NULL,
	CONSTRAINT "cmdb_domains_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "cmdb_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ci_id" integer NOT NULL,
	"class_id" integer NOT NULL,
	"version" integer NOT NULL,
	"op" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_id" integer,
	"actor_name" text NOT NULL,
	"source" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"changes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"state" jsonb,
	"relation" jsonb
);
--> statement-breakpoint
CREATE TABLE "cmdb_import_mappings" (
	"class_id" integer PRIMARY KEY NOT NULL,
	"mapping" jsonb NOT NULL,
	"key_attribute" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cmdb_list_prefs" (
	"user_id" integer NOT NULL,
	"class_id" integer NOT NULL,
	"prefs" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cmdb_relations" (
	"id" serial PRIMARY KEY NOT NULL,
	"domain_id" integer NOT NULL,
	"source_id" integer NOT NULL,
	"target_id" integer NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_attributes" ADD CONSTRAINT "cmdb_attributes_class_id_cmdb_classes_id_fk" FOREIGN KEY ("class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_attributes" ADD CONSTRAINT "cmdb_attributes_domain_id_cmdb_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."cmdb_domains"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_attributes" ADD CONSTRAINT "cmdb_attributes_ref_class_id_cmdb_classes_id_fk" FOREIGN KEY ("ref_class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_cis" ADD CONSTRAINT "cmdb_cis_class_id_cmdb_classes_id_fk" FOREIGN KEY ("class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_classes" ADD CONSTRAINT "cmdb_classes_parent_id_cmdb_classes_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_documents" ADD CONSTRAINT "cmdb_documents_ci_id_cmdb_cis_id_fk" FOREIGN KEY ("ci_id") REFERENCES "public"."cmdb_cis"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_domains" ADD CONSTRAINT "cmdb_domains_source_class_id_cmdb_classes_id_fk" FOREIGN KEY ("source_class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_domains" ADD CONSTRAINT "cmdb_domains_target_class_id_cmdb_classes_id_fk" FOREIGN KEY ("target_class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_import_mappings" ADD CONSTRAINT "cmdb_import_mappings_class_id_cmdb_classes_id_fk" FOREIGN KEY ("class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_list_prefs" ADD CONSTRAINT "cmdb_list_prefs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_list_prefs" ADD CONSTRAINT "cmdb_list_prefs_class_id_cmdb_classes_id_fk" FOREIGN KEY ("class_id") REFERENCES "public"."cmdb_classes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_relations" ADD CONSTRAINT "cmdb_relations_domain_id_cmdb_domains_id_fk" FOREIGN KEY ("domain_id") REFERENCES "public"."cmdb_domains"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_relations" ADD CONSTRAINT "cmdb_relations_source_id_cmdb_cis_id_fk" FOREIGN KEY ("source_id") REFERENCES "public"."cmdb_cis"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cmdb_relations" ADD CONSTRAINT "cmdb_relations_target_id_cmdb_cis_id_fk" FOREIGN KEY ("target_id") REFERENCES "public"."cmdb_cis"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_tokens_user_idx" ON "api_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "cmdb_attributes_class_idx" ON "cmdb_attributes" USING btree ("class_id");--> statement-breakpoint
CREATE INDEX "cmdb_attributes_domain_idx" ON "cmdb_attributes" USING btree ("domain_id");--> statement-breakpoint
CREATE INDEX "cmdb_cis_class_idx" ON "cmdb_cis" USING btree ("class_id","name");--> statement-breakpoint
CREATE INDEX "cmdb_cis_search_idx" ON "cmdb_cis" USING gin ("search");--> statement-breakpoint
CREATE INDEX "cmdb_cis_data_idx" ON "cmdb_cis" USING gin ("data");--> statement-breakpoint
CREATE INDEX "cmdb_documents_ci_idx" ON "cmdb_documents" USING btree ("ci_id");--> statement-breakpoint
CREATE INDEX "cmdb_history_ci_idx" ON "cmdb_history" USING btree ("ci_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "cmdb_list_prefs_pk" ON "cmdb_list_prefs" USING btree ("user_id","class_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cmdb_relations_unique" ON "cmdb_relations" USING btree ("domain_id","source_id","target_id");--> statement-breakpoint
CREATE INDEX "cmdb_relations_source_idx" ON "cmdb_relations" USING btree ("source_id");--> statement-breakpoint
CREATE INDEX "cmdb_relations_target_idx" ON "cmdb_relations" USING btree ("target_id");