CREATE TABLE "access_log_gaps" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"api_key_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"from" timestamp with time zone NOT NULL,
	"to" timestamp with time zone NOT NULL,
	"lost" integer NOT NULL,
	"cause" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "access_log_gaps" ADD CONSTRAINT "access_log_gaps_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "access_log_gaps" ADD CONSTRAINT "access_log_gaps_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_log_gaps_key_to_idx" ON "access_log_gaps" USING btree ("api_key_id","to");