-- Outputs, audit data and programs become json (JSON text kept as sent): jsonb refuses \u0000
-- and unpaired surrogates, which cell outputs may contain. The audit hash is over canonical
-- JSON of the parsed data, so existing entries verify unchanged.
ALTER TABLE "audit_log" ALTER COLUMN "data" SET DATA TYPE json USING "data"::json;--> statement-breakpoint
ALTER TABLE "cell_runs" ALTER COLUMN "outputs" SET DATA TYPE json USING "outputs"::json;--> statement-breakpoint
ALTER TABLE "programs" ALTER COLUMN "program" SET DATA TYPE json USING "program"::json;--> statement-breakpoint
-- Existing audit entries keep workspace_id null (org admins only): it is hashed when set, and
-- filling it in now would break their hashes.
ALTER TABLE "audit_log" ADD COLUMN "workspace_id" text;--> statement-breakpoint
ALTER TABLE "runtimes" ADD COLUMN "workspace_id" text;--> statement-breakpoint
-- Runtimes registered before any sign-up (spin start) need a workspace to go to.
INSERT INTO "workspaces" ("id", "name")
SELECT 'ws_' || replace(gen_random_uuid()::text, '-', ''), 'Default'
WHERE EXISTS (SELECT 1 FROM "runtimes") AND NOT EXISTS (SELECT 1 FROM "workspaces");--> statement-breakpoint
-- Each runtime goes to the first workspace its registrant owns (else is a member of), else to
-- the first workspace.
UPDATE "runtimes" r SET "workspace_id" = coalesce(
  (SELECT m."workspace_id" FROM "workspace_members" m JOIN "workspaces" w ON w."id" = m."workspace_id"
   WHERE m."user_id" = r."registered_by"
   ORDER BY (m."role" = 'owner') DESC, w."created_at", w."id" LIMIT 1),
  (SELECT w."id" FROM "workspaces" w ORDER BY w."created_at", w."id" LIMIT 1)
);--> statement-breakpoint
ALTER TABLE "runtimes" ALTER COLUMN "workspace_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "runtimes" ADD CONSTRAINT "runtimes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_workspace_seq_idx" ON "audit_log" USING btree ("workspace_id","seq");--> statement-breakpoint
CREATE INDEX "runtimes_workspace_idx" ON "runtimes" USING btree ("workspace_id");
