import {
  CreateWorkspaceRequestSchema,
  ResourceIdSchema,
  UpdateWorkspaceRequestSchema,
  WorkspaceDetailSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { presentWorkspace } from '../services/workspaceService.js';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/**
 * Workspaces: list (every one the caller reaches, with role and allowed actions), create,
 * read, settings, archive/unarchive and delete (org admins).
 */
export const workspaceRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, visibleWorkspaces, workspaces } = services;
  const one = { params: IdParams, response: { 200: WorkspaceDetailSchema } };

  app.get(
    '/workspaces',
    {
      schema: {
        ...describeRoute({
          operationId: 'listWorkspaces',
          summary: 'List every workspace the caller reaches, with role and allowed actions',
          tags: ['workspaces'],
          errors: refusals('org'),
        }),
        response: { 200: z.array(WorkspaceDetailSchema) },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'workspace.list', { type: 'org' });
      return (await visibleWorkspaces(grant.actor)).map(presentWorkspace);
    },
  );

  app.post(
    '/workspaces',
    {
      schema: {
        ...describeRoute({
          operationId: 'createWorkspace',
          summary: 'Create a workspace (top level, or a child of `parentId`)',
          tags: ['workspaces'],
          errors: [...refusals('org'), ...refusals('workspace', 'write')],
        }),
        body: CreateWorkspaceRequestSchema,
        response: { 201: WorkspaceDetailSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { parentId } = request.body;
      const org = await authorize(actor, 'workspace.create', { type: 'org' });
      const parent = parentId
        ? await authorize(actor, 'workspace.create_child', { type: 'workspace', id: parentId })
        : null;
      return reply.code(201).send(await workspaces.create(org.actor, parent, request.body));
    },
  );

  const view = describeRoute({
    operationId: 'getWorkspace',
    summary: 'Read a workspace’s settings, the caller’s role and allowed actions',
    tags: ['workspaces'],
    errors: refusals('workspace'),
  });
  app.get('/workspaces/:id', { schema: { ...view, ...one } }, async (request) =>
    presentWorkspace(
      await authorize(actorOf(request), 'workspace.view', {
        type: 'workspace',
        id: request.params.id,
      }),
    ),
  );

  app.patch(
    '/workspaces/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'updateWorkspace',
          summary: 'Change a workspace’s settings or move it under another parent',
          tags: ['workspaces'],
          errors: [
            ...refusals('workspace', 'write'),
            'workspace.parent_cycle',
            'runtime.unknown_runtime',
          ],
        }),
        ...one,
        body: UpdateWorkspaceRequestSchema,
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const grant = await authorize(actor, 'workspace.update', {
        type: 'workspace',
        id: request.params.id,
      });
      const { parentId } = request.body;
      // Moving under a parent needs ownership there too; to the top level, only here.
      const newParent =
        parentId === undefined
          ? undefined
          : parentId === null
            ? null
            : await authorize(actor, 'workspace.create_child', { type: 'workspace', id: parentId });
      return workspaces.update(grant, newParent, request.body);
    },
  );

  const archive = (operationId: string, summary: string) => ({
    schema: {
      ...describeRoute({
        operationId,
        summary,
        tags: ['workspaces'],
        errors: refusals('workspace', 'write'),
      }),
      ...one,
    },
  });
  app.post(
    '/workspaces/:id/archive',
    archive('archiveWorkspace', 'Archive a workspace (read-only until unarchived)'),
    async (request) =>
      workspaces.setArchived(
        await authorize(actorOf(request), 'workspace.archive', {
          type: 'workspace',
          id: request.params.id,
        }),
        true,
      ),
  );

  app.delete(
    '/workspaces/:id/archive',
    archive('unarchiveWorkspace', 'Unarchive a workspace'),
    async (request) =>
      workspaces.setArchived(
        await authorize(actorOf(request), 'workspace.archive', {
          type: 'workspace',
          id: request.params.id,
        }),
        false,
      ),
  );

  app.delete(
    '/workspaces/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'deleteWorkspace',
          summary: 'Delete a workspace (org admins); its audit trail is kept',
          tags: ['workspaces'],
          errors: [...refusals('workspace', 'write'), 'workspace.has_children'],
        }),
        params: IdParams,
        response: { 200: z.object({ deleted: z.string() }) },
      },
    },
    async (request) =>
      workspaces.delete(
        await authorize(actorOf(request), 'workspace.delete', {
          type: 'workspace',
          id: request.params.id,
        }),
      ),
  );
};
