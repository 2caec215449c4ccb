-- Issue 13: a compile or a receipt reads no cookie session. Servers cache resolved sessions and
-- check them against the authorization epoch (migration 0010) that the request's authorization
-- read carries, so every change that can end a session or change what its actor says bumps it:
-- a session deleted or changed (logout, password change) and a user's email or name (the actor
-- carries them; the org role already bumps). A login only inserts: a new session is not cached.
CREATE TRIGGER "auth_sessions_authz_epoch" AFTER UPDATE OR DELETE OR TRUNCATE ON "auth_sessions" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
DROP TRIGGER "users_authz_epoch" ON "users";
--> statement-breakpoint
CREATE TRIGGER "users_authz_epoch" AFTER UPDATE OF "org_role", "email", "name" OR DELETE OR TRUNCATE ON "users" FOR EACH STATEMENT EXECUTE FUNCTION "authz_epoch_bump"();
--> statement-breakpoint
-- A check inside one statement: raises SQLSTATE SPN01 (aborting the whole statement) unless
-- `ok`. A receipt batch is one statement — mark the programs, keep the runs, append the audit
-- entries — that must record every receipt or none (repositories/receiptBatchRepository.ts).
CREATE FUNCTION "spin_require"("ok" boolean, "what" text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	IF ok IS NOT TRUE THEN
		RAISE EXCEPTION 'spin_require: %', what USING ERRCODE = 'SPN01';
	END IF;
	RETURN true;
END;
$$;
