CREATE TABLE "notebook_versions" (
	"notebook_id" text NOT NULL,
	"version" integer NOT NULL,
	"title" text NOT NULL,
	"cells" jsonb NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"saved_by" text,
	"restored_from" integer,
	"saved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notebook_versions_notebook_id_version_pk" PRIMARY KEY("notebook_id","version")
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "chain" text DEFAULT 'sha256' NOT NULL;--> statement-breakpoint
ALTER TABLE "notebooks" ADD COLUMN "jupyter" jsonb;--> statement-breakpoint
ALTER TABLE "notebooks" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "notebook_versions" ADD CONSTRAINT "notebook_versions_notebook_id_notebooks_id_fk" FOREIGN KEY ("notebook_id") REFERENCES "public"."notebooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notebook_versions" ADD CONSTRAINT "notebook_versions_saved_by_users_id_fk" FOREIGN KEY ("saved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Data: every notebook that exists before versions were kept gets its current state as its first kept version.
INSERT INTO "notebook_versions" ("notebook_id", "version", "title", "cells", "settings", "saved_by", "saved_at") SELECT "id", "version", "title", "cells", "settings", NULL, "updated_at" FROM "notebooks";
