CREATE TYPE "public"."api_key_revocation_reason" AS ENUM('compromised', 'superseded', 'no_longer_needed', 'owner_left', 'other');--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "revoked_reason" "api_key_revocation_reason";--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "revoked_reason_text" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_revoked_reason_text_check" CHECK ("api_keys"."revoked_reason_text" is null or "api_keys"."revoked_reason" = 'other');