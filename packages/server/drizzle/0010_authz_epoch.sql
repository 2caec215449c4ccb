-- Issue 13: one authorization read per compile. Servers cache what authorization derives from
-- rows that rarely change (workspace chains with the caller's grants, execution sessions,
-- runtime keys) and check that cache against this one number, read in the same statement as
-- the resource. Every write that can change an authorization decision bumps it in its own
-- transaction — by trigger, so no write path (and no other server process) can forget to.
CREATE TABLE "authz_epoch" (
	"id" integer PRIMARY KEY NOT NULL CHECK ("id" = 1),
	"epoch" bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "authz_epoch" ("id", "epoch") VALUES (1, 1);
--> statement-breakpoint
CREATE FUNCTION "authz_epoch_bump"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE "authz_epoch" SET "epoch" = "epoch" + 1 WHERE "id" = 1;
	RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "workspace_members_authz_epoch" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "workspace_members" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
CREATE TRIGGER "workspaces_authz_epoch" AFTER UPDATE OR DELETE OR TRUNCATE ON "workspaces" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
CREATE TRIGGER "users_authz_epoch" AFTER UPDATE OF "org_role" OR DELETE OR TRUNCATE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
CREATE TRIGGER "exec_sessions_authz_epoch" AFTER UPDATE OR DELETE OR TRUNCATE ON "exec_sessions" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
CREATE TRIGGER "runtimes_authz_epoch" AFTER UPDATE OR DELETE OR TRUNCATE ON "runtimes" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
