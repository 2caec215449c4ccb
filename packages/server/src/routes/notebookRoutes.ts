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
        tags: ['notebooks'],
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
        tags: ['notebooks'],
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
    { schema: { tags: ['notebooks'], params: IdParams, response: { 200: NotebookSchema } } },
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
        tags: ['notebooks'],
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
      schema: {
        tags: ['execution'],
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
