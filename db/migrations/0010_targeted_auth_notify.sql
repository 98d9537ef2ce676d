-- Change notifications name what changed, so every instance evicts only the cached verifications
-- that depend on it (lib/api-keys/cache.ts): k:<key id>, w:<workspace id>, u:<user id> (a user,
-- or one of their memberships). Delivered at commit; identical ones are collapsed per transaction.
-- Usage writes (last_used_*) are the one api_keys update that must not evict: they happen all the time.
DROP TRIGGER IF EXISTS api_keys_auth_change ON api_keys;
--> statement-breakpoint
DROP TRIGGER IF EXISTS api_keys_auth_delete ON api_keys;
--> statement-breakpoint
DROP TRIGGER IF EXISTS workspaces_auth_change ON workspaces;
--> statement-breakpoint
DROP TRIGGER IF EXISTS memberships_auth_change ON memberships;
--> statement-breakpoint
DROP TRIGGER IF EXISTS users_auth_change ON users;
--> statement-breakpoint
DROP FUNCTION IF EXISTS latchkey_notify_auth_change();
--> statement-breakpoint
CREATE FUNCTION latchkey_notify_row_change() RETURNS trigger AS $$
BEGIN
  -- TG_ARGV[0]: the prefix; the row's id names it.
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('latchkey_auth', TG_ARGV[0] || ':' || OLD.id);
  ELSE
    PERFORM pg_notify('latchkey_auth', TG_ARGV[0] || ':' || NEW.id);
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE FUNCTION latchkey_notify_membership_change() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('latchkey_auth', 'u:' || OLD.user_id);
  ELSE
    PERFORM pg_notify('latchkey_auth', 'u:' || NEW.user_id);
    IF TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id THEN
      PERFORM pg_notify('latchkey_auth', 'u:' || OLD.user_id);
    END IF;
  END IF;
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_change AFTER UPDATE ON api_keys FOR EACH ROW
  WHEN ((to_jsonb(OLD) - 'last_used_at' - 'last_used_ip' - 'last_used_integration') IS DISTINCT FROM
        (to_jsonb(NEW) - 'last_used_at' - 'last_used_ip' - 'last_used_integration'))
  EXECUTE FUNCTION latchkey_notify_row_change('k');
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_delete AFTER DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION latchkey_notify_row_change('k');
--> statement-breakpoint
CREATE TRIGGER workspaces_auth_change AFTER UPDATE OR DELETE ON workspaces FOR EACH ROW EXECUTE FUNCTION latchkey_notify_row_change('w');
--> statement-breakpoint
CREATE TRIGGER memberships_auth_change AFTER INSERT OR UPDATE OR DELETE ON memberships FOR EACH ROW EXECUTE FUNCTION latchkey_notify_membership_change();
--> statement-breakpoint
CREATE TRIGGER users_auth_change AFTER UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION latchkey_notify_row_change('u');
