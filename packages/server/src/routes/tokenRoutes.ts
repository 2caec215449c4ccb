import {
  ApiTokenListSchema,
  ApiTokenSchema,
  CreateApiTokenRequestSchema,
  CreatedApiTokenSchema,
  ResourceIdSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

/** API tokens: create (the secret is in this one answer), list own, revoke. */
export const tokenRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, apiTokens } = services;
  const tags = ['tokens'];

  app.post(
    '/tokens',
    {
      schema: { tags, body: CreateApiTokenRequestSchema, response: { 201: CreatedApiTokenSchema } },
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
    { schema: { tags, response: { 200: ApiTokenListSchema } } },
    async (request) => {
      const grant = await authorize(actorOf(request), 'token.manage', { type: 'org' });
      return apiTokens.list(grant.actor);
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags,
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
