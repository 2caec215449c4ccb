import {
  CompileRequestSchema,
  CompileResponseSchema,
  CreateNotebookRequestSchema,
  NotebookSchema,
  NotebookSummarySchema,
  ResourceIdSchema,
  UpdateNotebookRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/** Notebooks and cell compilation (workspaces: workspaceRoutes.ts). */
export const notebookRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, notebooks, compiler } = services;

  app.get(
    '/notebooks',
    {
      schema: {
        ...describeRoute({
          operationId: 'listNotebooks',
          summary: 'List the notebooks of a workspace',
          description: 'Without `workspaceId`, the caller’s default workspace.',
          tags: ['notebooks'],
          errors: [...refusals('org'), ...refusals('workspace')],
        }),
        querystring: z.object({ workspaceId: ResourceIdSchema.optional() }),
        response: { 200: z.array(NotebookSummarySchema) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const workspaceId =
        request.query.workspaceId ??
        (await notebooks.defaultWorkspaceId(
          (await authorize(actor, 'workspace.list', { type: 'org' })).actor,
        ));
      const grant = await authorize(actor, 'notebook.view', { type: 'workspace', id: workspaceId });
      return notebooks.list(grant.workspaceId);
    },
  );

  app.post(
    '/notebooks',
    {
      schema: {
        ...describeRoute({
          operationId: 'createNotebook',
          summary: 'Create a notebook',
          description: 'In `workspaceId`, or the caller’s default workspace.',
          tags: ['notebooks'],
          errors: [...refusals('org'), ...refusals('workspace', 'write')],
        }),
        body: CreateNotebookRequestSchema,
        response: { 201: NotebookSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const workspaceId =
        request.body.workspaceId ??
        (await notebooks.defaultWorkspaceId(
          (await authorize(actor, 'workspace.list', { type: 'org' })).actor,
        ));
      const grant = await authorize(actor, 'notebook.create', {
        type: 'workspace',
        id: workspaceId,
      });
      const created = await notebooks.create(grant, { ...request.body, workspaceId });
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/notebooks/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'getNotebook',
          summary: 'Read a notebook with its cells',
          tags: ['notebooks'],
          errors: refusals('notebook'),
        }),
        params: IdParams,
        response: { 200: NotebookSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'notebook',
        id: request.params.id,
      });
      return notebooks.get(grant);
    },
  );

  app.put(
    '/notebooks/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'updateNotebook',
          summary: 'Save a notebook (title, cells, settings) as a new kept version',
          description:
            'With `version`, the save is refused with `request.conflict` unless it is still ' +
            'the notebook’s current version (optimistic concurrency).',
          tags: ['notebooks'],
          errors: [...refusals('notebook', 'write'), 'request.conflict'],
        }),
        params: IdParams,
        body: UpdateNotebookRequestSchema,
        response: { 200: NotebookSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.edit', {
        type: 'notebook',
        id: request.params.id,
      });
      return notebooks.update(grant, request.body);
    },
  );

  app.post(
    '/notebooks/:id/compile',
    {
      // every decision is the authorizer's (it confirms a cached session; requestActor.ts)
      config: { sessionCheckedByAuthorize: true },
      schema: {
        ...describeRoute({
          operationId: 'compileCell',
          summary: 'Compile a cell into a signed, encrypted program for the session’s runtime',
          description:
            'DESIGN.md §1 steps 1–3: the answer is an opaque JWE the client relays to the ' +
            'runtime over its WebSocket.',
          tags: ['execution'],
          errors: [
            ...refusals('notebook', 'write'),
            'session.not_found',
            'runtime.unknown_runtime',
            'token.oneshot_spent',
            'compile.unsupported_cell',
            'cell.unknown_type',
            'cell.invalid_params',
            'template.invalid',
            'template.unknown_variable',
            'template.unsupported',
            'template.invalid_value',
            'template.not_input',
            'template.missing_value',
            'secret.not_found',
          ],
        }),
        params: IdParams,
        body: CompileRequestSchema,
        response: { 200: CompileResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.run', {
        type: 'notebook',
        id: request.params.id,
      });
      await services.apiTokens.consumeRun(grant.actor, request.body.sid, request.body.cell.id);
      return compiler.compile(grant, request.params.id, request.body);
    },
  );
};
