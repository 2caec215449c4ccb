import {
  CompileResponseSchema,
  ConnectionSchema,
  ConnectionSummarySchema,
  CreateConnectionBodySchema,
  CredentialDeletedSchema,
  ResourceIdSchema,
  TestConnectionRequestSchema,
  UpdateConnectionRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/**
 * Connections (issue 9). Lists give names and types to everyone who may see the workspace
 * (agents included: they run cells that use them); config and which write-only fields are set
 * only to owners and editors; changes to owners. Write-only values are never returned.
 */
export const connectionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, credentials, compiler } = services;

  app.get(
    '/workspaces/:id/connections',
    {
      schema: {
        ...describeRoute({
          operationId: 'listConnections',
          summary: 'List the connections usable in a workspace: names and types',
          description:
            'The workspace’s own connections and those of its ancestors, nearest first (a ' +
            'child’s connection shadows a parent’s of the same name). Every member sees these, ' +
            'agents included; `processor` keeps one processor’s.',
          tags: ['connections'],
          errors: refusals('workspace'),
        }),
        params: IdParams,
        querystring: z.object({ processor: z.string().min(1).max(64).optional() }),
        response: { 200: z.array(ConnectionSummarySchema) },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'connection.list', {
        type: 'workspace',
        id: request.params.id,
      });
      return credentials.listConnections(grant, request.query.processor);
    },
  );

  app.post(
    '/workspaces/:id/connections',
    {
      schema: {
        ...describeRoute({
          operationId: 'createConnection',
          summary: 'Create a connection, validated against its processor manifest',
          description:
            'Owners only. `config` is checked by the manifest’s config schema and `secrets` by ' +
            'its write-only fields (a value may be one `{{secret:NAME}}` reference); write-only ' +
            'values are encrypted at rest and never returned. `isDefault` makes it the ' +
            'workspace’s default connection of its processor.',
          tags: ['connections'],
          errors: [
            ...refusals('workspace', 'write'),
            'processor.not_found',
            'connection.name_taken',
            'request.conflict',
          ],
        }),
        params: IdParams,
        body: CreateConnectionBodySchema,
        response: { 201: ConnectionSchema },
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'connection.manage', {
        type: 'workspace',
        id: request.params.id,
      });
      return reply.code(201).send(await credentials.createConnection(grant, request.body));
    },
  );

  app.get(
    '/connections/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'getConnection',
          summary: 'Read a connection: its config, and whether each write-only field is set',
          tags: ['connections'],
          errors: refusals('connection'),
        }),
        params: IdParams,
        response: { 200: ConnectionSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'connection.view', {
        type: 'connection',
        id: request.params.id,
      });
      return credentials.getConnection(grant.connection);
    },
  );

  app.patch(
    '/connections/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'updateConnection',
          summary: 'Change a connection; given write-only fields replace, null clears',
          description:
            'Owners only. Absent fields keep their values. With `version`, refused with ' +
            '`request.conflict` unless it is the connection’s current version.',
          tags: ['connections'],
          errors: [
            ...refusals('connection', 'write'),
            'processor.not_found',
            'connection.name_taken',
            'request.conflict',
          ],
        }),
        params: IdParams,
        body: UpdateConnectionRequestSchema,
        response: { 200: ConnectionSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'connection.manage', {
        type: 'connection',
        id: request.params.id,
      });
      return credentials.updateConnection(grant, grant.connection, request.body);
    },
  );

  app.delete(
    '/connections/:id',
    {
      schema: {
        ...describeRoute({
          operationId: 'deleteConnection',
          summary: 'Delete a connection (runtimes drop it with their next bundle)',
          tags: ['connections'],
          errors: refusals('connection', 'write'),
        }),
        params: IdParams,
        response: { 200: CredentialDeletedSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'connection.manage', {
        type: 'connection',
        id: request.params.id,
      });
      await credentials.deleteConnection(grant, grant.connection);
      return { deleted: true as const };
    },
  );

  app.post(
    '/connections/:id/test',
    {
      schema: {
        ...describeRoute({
          operationId: 'testConnection',
          summary: 'Compile the connection’s health check for a session’s runtime',
          description:
            'Owners and editors. The answer is a program like `compileCell`’s, which the client ' +
            'relays to the session’s runtime; the runtime runs the processor’s health check ' +
            'with the connection. The connection must be usable from the session’s notebook.',
          tags: ['connections', 'execution'],
          errors: [
            ...refusals('connection', 'write'),
            ...refusals('session', 'write'),
            'runtime.unknown_runtime',
            'processor.not_found',
          ],
        }),
        params: IdParams,
        body: TestConnectionRequestSchema,
        response: { 200: CompileResponseSchema },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { connection } = await authorize(actor, 'connection.test', {
        type: 'connection',
        id: request.params.id,
      });
      const session = await authorize(actor, 'notebook.run', {
        type: 'session',
        sid: request.body.sid,
      });
      return compiler.compileHealthCheck(session, connection);
    },
  );
};
