-- Every app instance caches verified keys; any change that can alter a verification result
-- notifies them all on the latchkey_auth channel (delivered at commit, collapsed per transaction).
-- Usage writes (last_used_*) are the one api_keys update that must not flush the caches.
CREATE OR REPLACE FUNCTION latchkey_notify_auth_change() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('latchkey_auth', TG_TABLE_NAME);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_change AFTER UPDATE ON api_keys FOR EACH ROW
  WHEN (OLD.last_used_at IS NOT DISTINCT FROM NEW.last_used_at)
  EXECUTE FUNCTION latchkey_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER api_keys_auth_delete AFTER DELETE ON api_keys FOR EACH STATEMENT EXECUTE FUNCTION latchkey_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER workspaces_auth_change AFTER UPDATE OR DELETE ON workspaces FOR EACH STATEMENT EXECUTE FUNCTION latchkey_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER memberships_auth_change AFTER INSERT OR UPDATE OR DELETE ON memberships FOR EACH STATEMENT EXECUTE FUNCTION latchkey_notify_auth_change();
--> statement-breakpoint
CREATE TRIGGER users_auth_change AFTER UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION latchkey_notify_auth_change();
