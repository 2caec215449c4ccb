import {
  CellPathParamsSchema,
  DeleteCellQuerySchema,
  InsertCellRequestSchema,
  MoveCellRequestSchema,
  NotebookPageSchema,
  NotebookSchema,
  NotebookSearchQuerySchema,
  NotebookVersionPageSchema,
  NotebookVersionSchema,
  PageQuerySchema,
  ResourceIdSchema,
  RestoreVersionRequestSchema,
  SetTagsRequestSchema,
  UpdateCellRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './requestActor.js';
import { ErrorResponseSchema, type RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });
const VersionParams = IdParams.extend({ version: z.coerce.number().int().min(0) });
const errors = { 404: ErrorResponseSchema, 409: ErrorResponseSchema };

/**
 * Notebook operations (issue 7): cells by id, kept versions, tags and search. Every cell
 * operation and restore is a save — optional `version`, a new kept version — like `PUT`.
 */
export const notebookOpsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, notebooks } = services;
  const tags = ['notebooks'];
  const edit = (request: { params: { id: string } }, actor: ReturnType<typeof actorOf>) =>
    authorize(actor, 'notebook.edit', { type: 'notebook', id: request.params.id });

  app.get(
    '/workspaces/:id/notebooks',
    {
      schema: {
        tags,
        summary: 'Search a workspace’s notebooks by title and content, by tag, paginated',
        params: IdParams,
        querystring: NotebookSearchQuerySchema,
        response: { 200: NotebookPageSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'workspace',
        id: request.params.id,
      });
      return notebooks.search(grant.workspaceId, request.query);
    },
  );

  app.post(
    '/notebooks/:id/cells',
    {
      schema: {
        tags,
        summary: 'Insert a cell',
        params: IdParams,
        body: InsertCellRequestSchema,
        response: { 201: NotebookSchema, ...errors },
      },
    },
    async (request, reply) => {
      const grant = await edit(request, actorOf(request));
      return reply.code(201).send(await notebooks.insertCell(grant, request.body));
    },
  );

  app.patch(
    '/notebooks/:id/cells/:cellId',
    {
      schema: {
        tags,
        summary: 'Update a cell',
        params: CellPathParamsSchema,
        body: UpdateCellRequestSchema,
        response: { 200: NotebookSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.updateCell(grant, request.params.cellId, request.body);
    },
  );

  app.post(
    '/notebooks/:id/cells/:cellId/move',
    {
      schema: {
        tags,
        summary: 'Move a cell',
        params: CellPathParamsSchema,
        body: MoveCellRequestSchema,
        response: { 200: NotebookSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.moveCell(grant, request.params.cellId, request.body);
    },
  );

  app.delete(
    '/notebooks/:id/cells/:cellId',
    {
      schema: {
        tags,
        summary: 'Delete a cell',
        params: CellPathParamsSchema,
        querystring: DeleteCellQuerySchema,
        response: { 200: NotebookSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.deleteCell(grant, request.params.cellId, request.query.version);
    },
  );

  app.get(
    '/notebooks/:id/versions',
    {
      schema: {
        tags,
        summary: 'List kept versions, newest first',
        params: IdParams,
        querystring: PageQuerySchema,
        response: { 200: NotebookVersionPageSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'notebook',
        id: request.params.id,
      });
      return notebooks.listVersions(grant, request.query);
    },
  );

  app.get(
    '/notebooks/:id/versions/:version',
    {
      schema: {
        tags,
        summary: 'Read one kept version',
        params: VersionParams,
        response: { 200: NotebookVersionSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'notebook',
        id: request.params.id,
      });
      return notebooks.getVersion(grant, request.params.version);
    },
  );

  app.post(
    '/notebooks/:id/versions/:version/restore',
    {
      schema: {
        tags,
        summary: 'Restore a kept version (as a new version)',
        params: VersionParams,
        body: RestoreVersionRequestSchema,
        response: { 200: NotebookSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.restoreVersion(grant, request.params.version, request.body.version);
    },
  );

  app.put(
    '/notebooks/:id/tags',
    {
      schema: {
        tags,
        summary: 'Replace the notebook’s tags',
        params: IdParams,
        body: SetTagsRequestSchema,
        response: { 200: NotebookSchema, 404: ErrorResponseSchema },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.setTags(grant, request.body.tags);
    },
  );
};
