CREATE TABLE "api_key_previous_secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"api_key_id" uuid NOT NULL,
	"secret_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"new_prefix" text NOT NULL,
	"mode" text NOT NULL,
	"rotated_at" timestamp with time zone NOT NULL,
	"rotated_by_id" uuid,
	"retire_at" timestamp with time zone NOT NULL,
	"quiet_minutes" integer,
	"last_used_at" timestamp with time zone,
	"requests" integer DEFAULT 0 NOT NULL,
	"retired_at" timestamp with time zone,
	"retired_reason" text
);
--> statement-breakpoint
ALTER TABLE "api_key_previous_secrets" ADD CONSTRAINT "api_key_previous_secrets_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_key_previous_secrets" ADD CONSTRAINT "api_key_previous_secrets_rotated_by_id_users_id_fk" FOREIGN KEY ("rotated_by_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_key_previous_secrets_hash_idx" ON "api_key_previous_secrets" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "api_key_previous_secrets_key_idx" ON "api_key_previous_secrets" USING btree ("api_key_id","rotated_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "api_key_previous_secrets_pending_idx" ON "api_key_previous_secrets" USING btree ("retire_at") WHERE "api_key_previous_secrets"."retired_at" is null;--> statement-breakpoint
-- Written by hand (drizzle-kit generates none of what follows). A previous secret's key is cached
-- by the old secret's hash and depends on k:<key id> (lib/api-keys/cache.ts), so a rotation, a
-- retirement or a removal names that key. Its traffic counters (last_used_at, requests) are
-- written all the time and must not evict, as api_keys' last_used_* columns do not.
CREATE FUNCTION latchkey_notify_previous_secret_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('latchkey_auth', 'k:' || OLD.api_key_id);
  ELSE
    PERFORM pg_notify('latchkey_auth', 'k:' || NEW.api_key_id);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER api_key_previous_secrets_auth_insert_delete AFTER INSERT OR DELETE ON api_key_previous_secrets FOR EACH ROW
  EXECUTE FUNCTION latchkey_notify_previous_secret_change();
--> statement-breakpoint
CREATE TRIGGER api_key_previous_secrets_auth_change AFTER UPDATE ON api_key_previous_secrets FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at' - 'requests') IS DISTINCT FROM (to_jsonb(NEW) - 'last_used_at' - 'requests'))
  EXECUTE FUNCTION latchkey_notify_previous_secret_change();
--> statement-breakpoint
ALTER TABLE "api_key_previous_secrets" ADD CONSTRAINT "api_key_previous_secrets_mode_check" CHECK ("mode" IN ('overlap', 'quiet'));
--> statement-breakpoint
ALTER TABLE "api_key_previous_secrets" ADD CONSTRAINT "api_key_previous_secrets_retired_check"
  CHECK (("retired_at" IS NULL) = ("retired_reason" IS NULL));
--> statement-breakpoint
ALTER TABLE "api_key_previous_secrets" ADD CONSTRAINT "api_key_previous_secrets_reason_check"
  CHECK ("retired_reason" IN ('overlap_ended', 'deadline', 'quiet', 'rotated_again'));
