CREATE TABLE "sign_in_throttle" (
	"throttle_key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"last_failure_at" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "disabled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "sessions_valid_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "must_change_password" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "password_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "created_via_key_id" uuid;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "permission_ceiling" text[];--> statement-breakpoint
-- An imported secret shows at most its first 4 characters (it may be short or low in entropy).
UPDATE "api_keys" SET "prefix" = left("prefix", 4) || '…' WHERE "source" = 'imported' AND char_length("prefix") > 5;
