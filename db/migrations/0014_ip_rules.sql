CREATE TABLE "key_address_days" (
	"api_key_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"day" date NOT NULL,
	"ip" text NOT NULL,
	"succeeded" integer DEFAULT 0 NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "key_address_days_api_key_id_day_ip_pk" PRIMARY KEY("api_key_id","day","ip")
);
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "ip_allow" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "ip_deny" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "not_before" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "key_address_days" ADD CONSTRAINT "key_address_days_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_address_days" ADD CONSTRAINT "key_address_days_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "key_address_days_day_idx" ON "key_address_days" USING brin ("day");