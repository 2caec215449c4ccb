import { z } from 'zod';
import { WorkspaceRoleSchema, WorkspaceSchema } from './api.js';
import { ResourceIdSchema, StorableStringSchema } from './strings.js';

/**
 * Workspace API types (issue 7). Workspaces nest: members of a workspace are members of its
 * descendants with at least the same role, and a descendant may use its ancestors' runtimes.
 */

const WorkspaceNameSchema = StorableStringSchema.trim().min(1).max(200);
const DescriptionSchema = StorableStringSchema.max(2000);
/** Days an idle execution session is kept (1 day to 10 years); null: the server default. */
const RetentionSchema = z.number().int().min(1).max(3650).nullable();

/** A workspace with its settings, the caller's effective role and allowed actions. */
export const WorkspaceDetailSchema = WorkspaceSchema.extend({
  role: WorkspaceRoleSchema,
  description: z.string(),
  parentId: z.string().nullable(),
  defaultRuntimeId: z.string().nullable(),
  sessionRetentionDays: z.number().int().nullable(),
  /** ISO time it was archived (read-only since), or null. */
  archivedAt: z.string().nullable(),
  createdAt: z.string(),
  allowedActions: z.array(z.string()),
});
export type WorkspaceDetail = z.infer<typeof WorkspaceDetailSchema>;

/** `POST /workspaces`: any org member; with `parentId`, the caller must be an owner there. */
export const CreateWorkspaceRequestSchema = z.object({
  name: WorkspaceNameSchema,
  description: DescriptionSchema.optional(),
  parentId: ResourceIdSchema.nullable().optional(),
});
export type CreateWorkspaceRequest = z.infer<typeof CreateWorkspaceRequestSchema>;

/**
 * `PATCH /workspaces/:id`: settings. A `parentId` that would put the workspace under itself
 * is `400 workspace.parent_cycle`; a `defaultRuntimeId` must be usable in the workspace.
 */
export const UpdateWorkspaceRequestSchema = z.object({
  name: WorkspaceNameSchema.optional(),
  description: DescriptionSchema.optional(),
  parentId: ResourceIdSchema.nullable().optional(),
  defaultRuntimeId: ResourceIdSchema.nullable().optional(),
  sessionRetentionDays: RetentionSchema.optional(),
});
export type UpdateWorkspaceRequest = z.infer<typeof UpdateWorkspaceRequestSchema>;
