-- Issue 11: a participant who may run cells asks a session's owner for it; the owner accepts
-- (a handoff, raising the owner epoch) or declines. One pending request per requester.
CREATE TABLE "session_ownership_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"sid" text NOT NULL,
	"requester_id" text NOT NULL,
	"owner_epoch" integer NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text
);
--> statement-breakpoint
ALTER TABLE "session_ownership_requests" ADD CONSTRAINT "session_ownership_requests_sid_exec_sessions_sid_fk" FOREIGN KEY ("sid") REFERENCES "public"."exec_sessions"("sid") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_ownership_requests" ADD CONSTRAINT "session_ownership_requests_requester_id_users_id_fk" FOREIGN KEY ("requester_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "session_ownership_requests" ADD CONSTRAINT "session_ownership_requests_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "session_ownership_requests_pending_idx" ON "session_ownership_requests" USING btree ("sid","requester_id") WHERE "session_ownership_requests"."status" = 'pending';
