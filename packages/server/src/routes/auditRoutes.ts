import { Readable } from 'node:stream';
import {
  AuditEntrySchema,
  AuditFilterQuerySchema,
  AuditVerifyResponseSchema,
  NDJSON_MEDIA_TYPE,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

/**
 * The audit log: org admins read every entry; a workspace owner reads the entries of the
 * workspaces they own (org-level entries such as logins are admins' only). Verifying the chain
 * spans every workspace, so it is an org admin action.
 */
export const auditRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, scope, audit } = services;

  app.get(
    '/audit',
    {
      schema: {
        ...describeRoute({
          operationId: 'listAuditEntries',
          summary: 'List the audit entries the caller may read, filtered, oldest first',
          description:
            'Org admins read every entry; a workspace owner the entries of the workspaces ' +
            'they own. Page with `after` (the last `seq` seen).',
          tags: ['audit'],
          errors: ['auth.permission_required'],
        }),
        querystring: AuditFilterQuerySchema.extend({
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
    '/audit/export',
    {
      schema: {
        ...describeRoute({
          operationId: 'exportAuditEntries',
          summary: 'Export the audit entries the caller may read as JSON lines',
          tags: ['audit'],
          errors: ['auth.permission_required'],
          success: {
            status: 200,
            description: 'One audit entry (component `AuditEntry`) per line, streamed',
            contentType: NDJSON_MEDIA_TYPE,
            schema: { type: 'string', description: 'JSON lines of `AuditEntry`' },
          },
        }),
        querystring: AuditFilterQuerySchema,
      },
    },
    async (request, reply) => {
      const readable = await scope(actorOf(request), 'audit.read');
      const entries = audit.entries(readable, request.query);
      // Streamed page by page: an export of a long log never sits in memory whole.
      const lines = Readable.from(
        (async function* () {
          for await (const entry of entries) yield `${JSON.stringify(entry)}\n`;
        })(),
      );
      return reply
        .type(NDJSON_MEDIA_TYPE)
        .header('content-disposition', 'attachment; filename="spin-audit.ndjson"')
        .send(lines);
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        ...describeRoute({
          operationId: 'verifyAuditChain',
          summary: 'Verify the keyed audit chain end to end (org admins)',
          tags: ['audit'],
          errors: refusals('org'),
        }),
        response: { 200: AuditVerifyResponseSchema },
      },
    },
    async (request) => {
      await authorize(actorOf(request), 'audit.verify', { type: 'org' });
      return audit.verify();
    },
  );
};
