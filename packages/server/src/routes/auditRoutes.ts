import { AuditEntrySchema, AuditVerifyResponseSchema } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

/**
 * The audit log: org admins read every entry; a workspace owner reads the entries of the
 * workspaces they own (org-level entries such as logins are admins' only). Verifying the chain
 * spans every workspace, so it is an org admin action.
 */
export const auditRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, scope, audit } = services;
  const tags = ['audit'];

  app.get(
    '/audit',
    {
      schema: {
        tags,
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          after: z.coerce.number().int().min(0).default(0),
        }),
        response: { 200: z.object({ entries: z.array(AuditEntrySchema) }) },
      },
    },
    async (request) => {
      const readable = await scope(actorOf(request), 'audit.read');
      return { entries: await audit.list(readable, request.query) };
    },
  );

  app.get(
    '/audit/verify',
    { schema: { tags, response: { 200: AuditVerifyResponseSchema } } },
    async (request) => {
      await authorize(actorOf(request), 'audit.verify', { type: 'org' });
      return audit.verify();
    },
  );
};
