CREATE TABLE "cmdb_model_version" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"instance" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "cmdb_cis_name_idx" ON "cmdb_cis" USING btree ("name","id");--> statement-breakpoint
INSERT INTO "cmdb_model_version" ("id", "version", "instance") VALUES (1, 1, gen_random_uuid()::text);
--> statement-breakpoint
CREATE SEQUENCE "cmdb_model_version_seq" START 2;
