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
--> statement-breakpoint
-- Keys made before ceilings were recorded get their owner's permissions as they are now (a
-- service key: an Admin's), so promoting an owner later adds nothing to an existing key. The
-- lists are lib/auth/permissions.ts's, in its order.
UPDATE "api_keys" AS k SET "permission_ceiling" = (
  SELECT CASE
    WHEN k."owner_id" IS NULL OR m."role" = 'admin' THEN ARRAY['api_keys.read','api_keys.manage','api_keys.service','api_keys.import','tokens.own','workspace.settings','members.manage','audit.read']
    WHEN u."is_global_admin" THEN ARRAY['api_keys.read','api_keys.manage','api_keys.service','api_keys.import','tokens.own','workspace.settings','members.manage','audit.read','users.manage']
    WHEN m."role" IN ('manager', 'member') AND m."can_manage_api_keys" THEN ARRAY['api_keys.read','api_keys.manage','tokens.own']
    WHEN m."role" IN ('manager', 'member') THEN ARRAY['tokens.own']
    ELSE ARRAY[]::text[]
  END
  FROM (SELECT 1) AS one
  LEFT JOIN "users" AS u ON u."id" = k."owner_id"
  LEFT JOIN "memberships" AS m ON m."user_id" = k."owner_id" AND m."workspace_id" = k."workspace_id"
) WHERE k."permission_ceiling" IS NULL;
