import {
  PairGrantRequestSchema,
  PairGrantResponseSchema,
  RegisterRuntimeRequestSchema,
  RepairRuntimeRequestSchema,
  RepairRuntimeResponseSchema,
  ResourceIdSchema,
  RuntimeSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/**
 * Paired runtimes: list (members of their workspace), register (owners of the workspace),
 * re-pair and pairing grants (owners of the runtime's workspace); org admins everywhere.
 */
export const runtimeRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, scope, runtimes, notebooks } = services;

  app.get(
    '/runtimes',
    {
      schema: {
        ...describeRoute({
          operationId: 'listRuntimes',
          summary: 'List the runtimes the caller may use',
          description:
            'With `workspaceId`, the runtimes usable there (its own and its ancestors’); ' +
            'without, every runtime of the workspaces the caller reaches.',
          tags: ['runtimes'],
          errors: refusals('workspace'),
        }),
        querystring: z.object({ workspaceId: ResourceIdSchema.optional() }),
        response: { 200: z.array(RuntimeSchema) },
      },
    },
    async (request) => {
      const { workspaceId } = request.query;
      if (workspaceId === undefined) {
        return runtimes.list(await scope(actorOf(request), 'runtime.view'));
      }
      const grant = await authorize(actorOf(request), 'runtime.view', {
        type: 'workspace',
        id: workspaceId,
      });
      return runtimes.listUsableIn(grant.ancestry);
    },
  );

  app.post(
    '/runtimes',
    {
      schema: {
        ...describeRoute({
          operationId: 'registerRuntime',
          summary: 'Register a paired runtime (its identity from `POST /v1/pair`)',
          tags: ['runtimes'],
          errors: [
            ...refusals('org'),
            ...refusals('workspace', 'write'),
            'runtime.already_registered',
          ],
        }),
        body: RegisterRuntimeRequestSchema,
        response: { 201: RuntimeSchema },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const workspaceId =
        request.body.workspaceId ??
        (await notebooks.defaultWorkspaceId(
          (await authorize(actor, 'workspace.list', { type: 'org' })).actor,
        ));
      const grant = await authorize(actor, 'runtime.manage', {
        type: 'workspace',
        id: workspaceId,
      });
      const created = await runtimes.register(grant.actor, { ...request.body, workspaceId });
      return reply.code(201).send(created);
    },
  );

  app.post(
    '/runtimes/:id/repair',
    {
      schema: {
        ...describeRoute({
          operationId: 'repairRuntime',
          summary: 'Record a runtime’s new identity after re-pairing',
          tags: ['runtimes'],
          errors: [...refusals('runtime', 'write'), 'runtime.fingerprint_mismatch'],
        }),
        params: IdParams,
        body: RepairRuntimeRequestSchema,
        response: { 200: RepairRuntimeResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'runtime.manage', {
        type: 'runtime',
        id: request.params.id,
      });
      return runtimes.repair(grant.actor, grant.runtime, request.body);
    },
  );

  app.post(
    '/runtimes/:id/pair-grant',
    {
      schema: {
        ...describeRoute({
          operationId: 'createPairGrant',
          summary: 'Issue a signed grant that lets a paired runtime be paired again',
          tags: ['runtimes'],
          errors: refusals('runtime', 'write'),
        }),
        params: IdParams,
        body: PairGrantRequestSchema,
        response: { 200: PairGrantResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'runtime.manage', {
        type: 'runtime',
        id: request.params.id,
      });
      return runtimes.issuePairGrant(grant.actor, grant.runtime, request.body);
    },
  );
};
