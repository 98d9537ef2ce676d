CREATE TABLE "key_usage_minutes" (
	"api_key_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "key_usage_minutes_api_key_id_minute_pk" PRIMARY KEY("api_key_id","minute")
);
--> statement-breakpoint
ALTER TABLE "key_usage_minutes" ADD CONSTRAINT "key_usage_minutes_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_usage_minutes" ADD CONSTRAINT "key_usage_minutes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "key_usage_minutes_minute_idx" ON "key_usage_minutes" USING brin ("minute");--> statement-breakpoint
-- The chart's history so far, from the access-log rows it was counted from until now.
INSERT INTO "key_usage_minutes" ("api_key_id", "workspace_id", "minute", "succeeded", "refused")
SELECT "api_key_id", "workspace_id", date_trunc('minute', "at"), count(*) FILTER (WHERE "status" < 400), count(*) FILTER (WHERE "status" >= 400)
FROM "access_logs" GROUP BY 1, 2, 3;
