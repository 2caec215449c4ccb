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
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });
const VersionParams = IdParams.extend({ version: z.coerce.number().int().min(0) });

/**
 * Notebook operations (issue 7): cells by id, kept versions, tags and search. Every cell
 * operation and restore is a save — optional `version`, a new kept version — like `PUT`.
 */
export const notebookOpsRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, notebooks } = services;
  const edit = (request: { params: { id: string } }, actor: ReturnType<typeof actorOf>) =>
    authorize(actor, 'notebook.edit', { type: 'notebook', id: request.params.id });

  app.get(
    '/workspaces/:id/notebooks',
    {
      schema: {
        ...describeRoute({
          operationId: 'searchNotebooks',
          summary: 'Search a workspace’s notebooks by title and content, by tag, paginated',
          tags: ['notebooks'],
          errors: refusals('workspace'),
        }),
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
        ...describeRoute({
          operationId: 'insertCell',
          summary: 'Insert a cell (a save: a new kept version)',
          tags: ['notebooks'],
          errors: [...refusals('notebook', 'write'), 'request.conflict', 'notebook.cell_exists'],
        }),
        params: IdParams,
        body: InsertCellRequestSchema,
        response: { 201: NotebookSchema },
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
        ...describeRoute({
          operationId: 'updateCell',
          summary: 'Update a cell’s source, type or settings',
          tags: ['notebooks'],
          errors: [...refusals('notebook', 'write'), 'request.conflict', 'notebook.cell_not_found'],
        }),
        params: CellPathParamsSchema,
        body: UpdateCellRequestSchema,
        response: { 200: NotebookSchema },
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
        ...describeRoute({
          operationId: 'moveCell',
          summary: 'Move a cell to another index',
          tags: ['notebooks'],
          errors: [...refusals('notebook', 'write'), 'request.conflict', 'notebook.cell_not_found'],
        }),
        params: CellPathParamsSchema,
        body: MoveCellRequestSchema,
        response: { 200: NotebookSchema },
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
        ...describeRoute({
          operationId: 'deleteCell',
          summary: 'Delete a cell',
          tags: ['notebooks'],
          errors: [...refusals('notebook', 'write'), 'request.conflict', 'notebook.cell_not_found'],
        }),
        params: CellPathParamsSchema,
        querystring: DeleteCellQuerySchema,
        response: { 200: NotebookSchema },
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
        ...describeRoute({
          operationId: 'listNotebookVersions',
          summary: 'List kept versions, newest first',
          tags: ['notebooks'],
          errors: refusals('notebook'),
        }),
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
        ...describeRoute({
          operationId: 'getNotebookVersion',
          summary: 'Read one kept version',
          tags: ['notebooks'],
          errors: [...refusals('notebook'), 'notebook.version_not_found'],
        }),
        params: VersionParams,
        response: { 200: NotebookVersionSchema },
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
        ...describeRoute({
          operationId: 'restoreNotebookVersion',
          summary: 'Restore a kept version (as a new version)',
          tags: ['notebooks'],
          errors: [
            ...refusals('notebook', 'write'),
            'request.conflict',
            'notebook.version_not_found',
          ],
        }),
        params: VersionParams,
        body: RestoreVersionRequestSchema,
        response: { 200: NotebookSchema },
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
        ...describeRoute({
          operationId: 'setNotebookTags',
          summary: 'Replace the notebook’s tags',
          tags: ['notebooks'],
          errors: refusals('notebook', 'write'),
        }),
        params: IdParams,
        body: SetTagsRequestSchema,
        response: { 200: NotebookSchema },
      },
    },
    async (request) => {
      const grant = await edit(request, actorOf(request));
      return notebooks.setTags(grant, request.body.tags);
    },
  );
};
