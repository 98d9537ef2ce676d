DROP INDEX "api_keys_last_used_idx";--> statement-breakpoint
DROP INDEX "access_logs_key_at_idx";--> statement-breakpoint
CREATE INDEX "api_keys_name_lower_idx" ON "api_keys" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "api_keys_live_created_id_idx" ON "api_keys" USING btree ("created_at","id") WHERE "api_keys"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "api_keys_live_workspace_owner_idx" ON "api_keys" USING btree ("workspace_id","owner_id") WHERE "api_keys"."revoked_at" is null;--> statement-breakpoint
CREATE INDEX "api_keys_live_workspace_last_used_idx" ON "api_keys" USING btree ("workspace_id","last_used_at" DESC NULLS LAST) WHERE "api_keys"."revoked_at" is null and "api_keys"."kind" = 'workspace';--> statement-breakpoint
CREATE INDEX "audit_events_workspace_actor_created_idx" ON "audit_events" USING btree ("workspace_id","actor_user_id","created_at");--> statement-breakpoint
CREATE INDEX "api_keys_last_used_idx" ON "api_keys" USING btree ("last_used_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "access_logs_key_at_idx" ON "access_logs" USING btree ("api_key_id","at","status");