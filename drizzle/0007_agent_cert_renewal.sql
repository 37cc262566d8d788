ALTER TABLE "agents" ADD COLUMN "cert_issued_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "prev_cert_fingerprint" text;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "cert_renew_requested_at" timestamp with time zone;