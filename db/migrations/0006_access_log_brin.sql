DROP INDEX "access_logs_at_idx";--> statement-breakpoint
CREATE INDEX "access_logs_at_idx" ON "access_logs" USING brin ("at");