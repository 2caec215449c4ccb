import {
  ApiTokenListSchema,
  ApiTokenSchema,
  CreateApiTokenRequestSchema,
  CreatedApiTokenSchema,
  ResourceIdSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

/** API tokens: create (the secret is in this one answer), list own, revoke. */
export const tokenRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, apiTokens } = services;

  app.post(
    '/tokens',
    {
      schema: {
        ...describeRoute({
          operationId: 'createApiToken',
          summary: 'Create an API token (the secret is in this answer only)',
          tags: ['tokens'],
          errors: [
            ...refusals('workspace', 'write'),
            'notebook.not_found',
            'token.notebook_required',
          ],
        }),
        body: CreateApiTokenRequestSchema,
        response: { 201: CreatedApiTokenSchema },
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'token.create', {
        type: 'workspace',
        id: request.body.workspaceId,
      });
      return reply.code(201).send(await apiTokens.create(grant, request.body));
    },
  );

  app.get(
    '/tokens',
    {
      schema: {
        ...describeRoute({
          operationId: 'listApiTokens',
          summary: 'List the caller’s API tokens with their last use',
          tags: ['tokens'],
          errors: refusals('org'),
        }),
        response: { 200: ApiTokenListSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'token.manage', { type: 'org' });
      return apiTokens.list(grant.actor);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'revokeApiToken',
          summary: 'Revoke an API token (its owner, or an org admin)',
          tags: ['tokens'],
          errors: [...refusals('org'), 'request.not_found'],
        }),
        params: z.object({ id: ResourceIdSchema }),
        response: { 200: ApiTokenSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'token.manage', { type: 'org' });
      return apiTokens.revoke(grant.actor, request.params.id);
    },
  );
};
