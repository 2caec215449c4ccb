import { RegisterRuntimeRequestSchema, RuntimeSchema } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../app.js';
import type { RouteContext } from './routeContext.js';

/** Paired runtimes: list (any member), register (owners and org admins). */
export const runtimeRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, runtimes } = services;

  app.get(
    '/runtimes',
    { schema: { tags: ['runtimes'], response: { 200: z.array(RuntimeSchema) } } },
    async (request) => {
      await authorize(actorOf(request), 'runtime.view', { type: 'org' });
      return runtimes.list();
    },
  );

  app.post(
    '/runtimes',
    {
      schema: {
        tags: ['runtimes'],
        body: RegisterRuntimeRequestSchema,
        response: { 201: RuntimeSchema },
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'runtime.manage', { type: 'org' });
      return reply.code(201).send(await runtimes.register(request.body, grant.actor));
    },
  );
};
