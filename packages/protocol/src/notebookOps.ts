import { z } from 'zod';
import { NotebookSummarySchema } from './api.js';
import { CellIdSchema, CellInputSchema, CellSchema } from './cells.js';
import { NotebookSettingsSchema } from './notebookSettings.js';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

/**
 * Notebook operations beyond whole-notebook saves (issue 7): cell operations, versions, tags,
 * search and paginated lists. Every cell operation and restore is a save: it takes the same
 * optional `version` (a stale one is a 409 `request.conflict`) and keeps a version.
 */

/** Optimistic-concurrency guard every save may send. */
const ExpectedVersionSchema = z.number().int().nonnegative().optional();

/** `POST /notebooks/:id/cells`: insert a cell at `index` (default: at the end). */
export const InsertCellRequestSchema = z.object({
  cell: CellInputSchema,
  index: z.number().int().nonnegative().optional(),
  version: ExpectedVersionSchema,
});
export type InsertCellRequest = z.infer<typeof InsertCellRequestSchema>;

/**
 * `PATCH /notebooks/:id/cells/:cellId`: change some fields of one cell; `null` clears an
 * optional field. The result must still be a valid cell of its type.
 */
export const UpdateCellRequestSchema = z.object({
  type: z.string().optional(),
  source: z.string().optional(),
  params: z.record(z.string(), z.unknown()).nullable().optional(),
  connection: z.string().nullable().optional(),
  resultVar: z.string().nullable().optional(),
  timeRange: z.unknown().optional(),
  version: ExpectedVersionSchema,
});
export type UpdateCellRequest = z.infer<typeof UpdateCellRequestSchema>;

/** `POST /notebooks/:id/cells/:cellId/move`: move a cell to `index` (0 = first). */
export const MoveCellRequestSchema = z.object({
  index: z.number().int().nonnegative(),
  version: ExpectedVersionSchema,
});
export type MoveCellRequest = z.infer<typeof MoveCellRequestSchema>;

/** Query of `DELETE /notebooks/:id/cells/:cellId`. */
export const DeleteCellQuerySchema = z.object({
  version: z.coerce.number().int().min(0).optional(),
});

/** Paging of every list: `limit` items from `offset`, with the total they came from. */
export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type PageQuery = z.infer<typeof PageQuerySchema>;

/** A page of `item`s: `total` counts every match, not just this page. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int().nonnegative(),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

/** A tag: a short label without commas (the same rule as nbformat's `metadata.tags`). */
export const TagSchema = StorableStringSchema.trim()
  .min(1)
  .max(64)
  .regex(/^[^,]+$/, 'tags cannot contain commas');

/** `PUT /notebooks/:id/tags`: the notebook's whole tag set (duplicates are dropped). */
export const SetTagsRequestSchema = z.object({ tags: z.array(TagSchema).max(50) });

/** A notebook in search results and paginated lists. */
export const NotebookListItemSchema = NotebookSummarySchema.extend({
  tags: z.array(z.string()),
  version: z.number().int().nonnegative(),
});
export type NotebookListItem = z.infer<typeof NotebookListItemSchema>;

/** `GET /workspaces/:id/notebooks`: search by name and content, filter by tag, page. */
export const NotebookSearchQuerySchema = PageQuerySchema.extend({
  /** Matches the title or any cell's source, case-insensitively. */
  q: z.string().trim().max(200).optional(),
  tag: TagSchema.optional(),
});
export type NotebookSearchQuery = z.infer<typeof NotebookSearchQuerySchema>;

export const NotebookPageSchema = pageSchema(NotebookListItemSchema);
export type NotebookPage = z.infer<typeof NotebookPageSchema>;

/** One kept version of a notebook, without its content. */
export const NotebookVersionSummarySchema = z.object({
  version: z.number().int().nonnegative(),
  title: z.string(),
  savedAt: z.string(),
  /** The user who saved it (null once that user is deleted, or for versions before issue 7). */
  savedBy: z.string().nullable(),
  /** For a restore: the version it restored. */
  restoredFrom: z.number().int().nullable(),
  cellCount: z.number().int().nonnegative(),
});
export type NotebookVersionSummary = z.infer<typeof NotebookVersionSummarySchema>;

/** One kept version with its content (cells without outputs). */
export const NotebookVersionSchema = NotebookVersionSummarySchema.extend({
  cells: z.array(CellSchema.omit({ outputs: true, lastRun: true })),
  settings: NotebookSettingsSchema,
});
export type NotebookVersion = z.infer<typeof NotebookVersionSchema>;

export const NotebookVersionPageSchema = pageSchema(NotebookVersionSummarySchema);

/** `POST /notebooks/:id/versions/:version/restore`. */
export const RestoreVersionRequestSchema = z.object({ version: ExpectedVersionSchema });

/** Path of one cell. */
export const CellPathParamsSchema = z.object({ id: ResourceIdSchema, cellId: CellIdSchema });
