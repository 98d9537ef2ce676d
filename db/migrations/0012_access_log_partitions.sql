-- access_logs becomes a table partitioned by range of "at", one partition per UTC day, so rows
-- past the retention period go by dropping their day's partition whole (no DELETE, no dead rows
-- for vacuum to chase, no index bloat). A day: retention is set in days (30 by default, so about
-- 35 partitions), the key's log reads at most 30 days back (pruning keeps a query to the days it
-- asks for), and a day of even a busy install's rows is a table of comfortable size. A DEFAULT
-- partition takes any row whose day has no partition yet, so an insert never fails; the
-- maintenance in lib/access-log/partitions.ts moves such rows into their day's partition when it
-- makes it, and makes today's and the next few days' ahead. Partitioning requires the primary key
-- to include "at": it is ("id", "at"). Existing rows are copied into their days' partitions.
ALTER TABLE "access_logs" RENAME TO "access_logs_unpartitioned";--> statement-breakpoint
ALTER TABLE "access_logs_unpartitioned" DROP CONSTRAINT "access_logs_pkey";--> statement-breakpoint
ALTER TABLE "access_logs_unpartitioned" DROP CONSTRAINT "access_logs_api_key_id_api_keys_id_fk";--> statement-breakpoint
ALTER TABLE "access_logs_unpartitioned" DROP CONSTRAINT "access_logs_workspace_id_workspaces_id_fk";--> statement-breakpoint
DROP INDEX "access_logs_key_at_idx";--> statement-breakpoint
DROP INDEX "access_logs_at_idx";--> statement-breakpoint
-- The id keeps its sequence, so ids go on from where they were.
CREATE TABLE "access_logs" (
	"id" bigint DEFAULT nextval('"public"."access_logs_id_seq"'::regclass) NOT NULL,
	"api_key_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"status" integer NOT NULL,
	"duration_ms" integer NOT NULL,
	"reason" text,
	"ip" text,
	"integration" text,
	"request_headers" text,
	"request_body" text,
	"response_body" text,
	CONSTRAINT "access_logs_id_at_pk" PRIMARY KEY("id","at")
) PARTITION BY RANGE ("at");
--> statement-breakpoint
ALTER SEQUENCE "public"."access_logs_id_seq" OWNED BY "public"."access_logs"."id";--> statement-breakpoint
ALTER TABLE "access_logs" ADD CONSTRAINT "access_logs_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_logs" ADD CONSTRAINT "access_logs_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_logs_key_at_idx" ON "access_logs" USING btree ("api_key_id","at","status");--> statement-breakpoint
CREATE INDEX "access_logs_at_idx" ON "access_logs" USING brin ("at");--> statement-breakpoint
CREATE TABLE "access_logs_default" PARTITION OF "access_logs" DEFAULT;--> statement-breakpoint
-- A partition for every UTC day that has rows, and for today and the next three days, named
-- access_logs_pYYYYMMDD as lib/access-log/partitions.ts names them.
DO $$
DECLARE
	day date;
BEGIN
	FOR day IN
		SELECT DISTINCT ("at" AT TIME ZONE 'UTC')::date FROM "access_logs_unpartitioned"
		UNION
		SELECT (now() AT TIME ZONE 'UTC')::date + n FROM generate_series(0, 3) n
	LOOP
		EXECUTE format(
			'CREATE TABLE %I PARTITION OF "access_logs" FOR VALUES FROM (%L) TO (%L)',
			'access_logs_p' || to_char(day, 'YYYYMMDD'),
			to_char(day, 'YYYY-MM-DD') || 'T00:00:00Z',
			to_char(day + 1, 'YYYY-MM-DD') || 'T00:00:00Z'
		);
	END LOOP;
END
$$;--> statement-breakpoint
INSERT INTO "access_logs" ("id", "api_key_id", "workspace_id", "at", "method", "path", "status", "duration_ms", "reason", "ip",
	"integration", "request_headers", "request_body", "response_body")
SELECT "id", "api_key_id", "workspace_id", "at", "method", "path", "status", "duration_ms", "reason", "ip",
	"integration", "request_headers", "request_body", "response_body"
FROM "access_logs_unpartitioned";--> statement-breakpoint
DROP TABLE "access_logs_unpartitioned";
