CREATE TABLE "api_key_quota_alerts" (
	"api_key_id" uuid NOT NULL,
	"period_key" text NOT NULL,
	"quota_limit" integer NOT NULL,
	"percent" integer NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_key_quota_alerts_api_key_id_period_key_quota_limit_percent_pk" PRIMARY KEY("api_key_id","period_key","quota_limit","percent")
);
--> statement-breakpoint
CREATE TABLE "api_key_quota_usage" (
	"api_key_id" uuid PRIMARY KEY NOT NULL,
	"period_key" text NOT NULL,
	"used" bigint NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "default_rate_limit" integer;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "default_rate_limit_window" text;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "default_quota_limit" integer;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "default_quota_period" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "rate_limit" integer;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "rate_limit_window" text;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "quota_limit" integer;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "quota_period" text;--> statement-breakpoint
ALTER TABLE "api_key_quota_alerts" ADD CONSTRAINT "api_key_quota_alerts_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_key_quota_usage" ADD CONSTRAINT "api_key_quota_usage_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_rate_limit_check" CHECK (("api_keys"."rate_limit" is null) = ("api_keys"."rate_limit_window" is null) and ("api_keys"."rate_limit" is null or "api_keys"."rate_limit" > 0));--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_quota_check" CHECK (("api_keys"."quota_limit" is null) = ("api_keys"."quota_period" is null) and ("api_keys"."quota_limit" is null or "api_keys"."quota_limit" > 0));