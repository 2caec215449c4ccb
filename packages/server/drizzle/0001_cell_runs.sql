CREATE TABLE "cell_runs" (
	"notebook_id" text NOT NULL,
	"cell_id" text NOT NULL,
	"jti" text NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"execution_count" integer,
	"exit_code" integer,
	"outputs" jsonb NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cell_runs_notebook_id_cell_id_pk" PRIMARY KEY("notebook_id","cell_id")
);
--> statement-breakpoint
ALTER TABLE "cell_runs" ADD CONSTRAINT "cell_runs_notebook_id_notebooks_id_fk" FOREIGN KEY ("notebook_id") REFERENCES "public"."notebooks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Move outputs and lastRun out of notebooks.cells (written by 0000) into cell_runs.
INSERT INTO "cell_runs" ("notebook_id", "cell_id", "jti", "status", "started_at", "ended_at", "execution_count", "outputs")
SELECT n."id", c->>'id', c->'lastRun'->>'jti', c->'lastRun'->>'status',
       (c->'lastRun'->>'startedAt')::timestamptz, (c->'lastRun'->>'endedAt')::timestamptz,
       (c->'lastRun'->>'executionCount')::integer, coalesce(c->'outputs', '[]'::jsonb)
FROM "notebooks" n, jsonb_array_elements(n."cells") AS c
WHERE jsonb_typeof(c->'lastRun') = 'object'
ON CONFLICT DO NOTHING;
--> statement-breakpoint
UPDATE "notebooks" SET "cells" = (
  SELECT coalesce(jsonb_agg(jsonb_build_object('id', c->'id', 'type', c->'type', 'source', c->'source') ORDER BY ord), '[]'::jsonb)
  FROM jsonb_array_elements("cells") WITH ORDINALITY AS e(c, ord)
);
