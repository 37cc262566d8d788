ALTER TABLE "access_log_forwarders" ADD COLUMN "token_header" text;--> statement-breakpoint
ALTER TABLE "access_log_forwarders" ADD COLUMN "headers" jsonb DEFAULT '[]'::jsonb NOT NULL;