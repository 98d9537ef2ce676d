DROP INDEX "audit_events_created_idx";--> statement-breakpoint
CREATE INDEX "api_keys_created_id_idx" ON "api_keys" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "api_keys_last_used_idx" ON "api_keys" USING btree ("last_used_at");--> statement-breakpoint
CREATE INDEX "api_keys_expires_idx" ON "api_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "api_keys_name_pattern_idx" ON "api_keys" USING btree (lower("name") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "api_keys_prefix_pattern_idx" ON "api_keys" USING btree (lower("prefix") text_pattern_ops);--> statement-breakpoint
CREATE INDEX "audit_events_created_id_idx" ON "audit_events" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_created_idx" ON "audit_events" USING btree ("actor_user_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_action_created_idx" ON "audit_events" USING btree ("action","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_workspace_action_created_idx" ON "audit_events" USING btree ("workspace_id","action","created_at");--> statement-breakpoint
CREATE INDEX "audit_events_target_pattern_idx" ON "audit_events" USING btree (lower("target_name") text_pattern_ops);