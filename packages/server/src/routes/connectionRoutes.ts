import {
  CompileResponseSchema,
  ConnectionSchema,
  ConnectionSummarySchema,
  CreateConnectionRequestSchema,
  ResourceIdSchema,
  UpdateConnectionRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponseSchema } from './errorSchema.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema };

/**
 * Connections (issue 9). Lists give names and types to everyone who may see the workspace
 * (agents included: they run cells that use them); config and which write-only fields are set
 * only to owners and editors; changes to owners. Write-only values are never returned.
 */
export const connectionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, credentials, compiler } = services;
  const tags = ['connections'];

  app.get(
    '/workspaces/:id/connections',
    {
      schema: {
        operationId: 'listConnections',
        summary: 'Connections usable in a workspace (its own and inherited): names and types',
        tags,
        params: IdParams,
        querystring: z.object({ processor: z.string().min(1).max(64).optional() }),
        response: { 200: z.array(ConnectionSummarySchema), ...errors },
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
        operationId: 'createConnection',
        summary: 'Create a connection, validated against its processor manifest',
        tags,
        params: IdParams,
        body: CreateConnectionRequestSchema.omit({ workspaceId: true }),
        response: { 201: ConnectionSchema, ...errors },
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
        operationId: 'getConnection',
        summary: 'A connection with its config; write-only fields only say whether they are set',
        tags,
        params: IdParams,
        response: { 200: ConnectionSchema, ...errors },
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
        operationId: 'updateConnection',
        summary: 'Change a connection; given write-only fields replace, null clears',
        tags,
        params: IdParams,
        body: UpdateConnectionRequestSchema,
        response: { 200: ConnectionSchema, ...errors },
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
        operationId: 'deleteConnection',
        summary: 'Delete a connection (runtimes drop it with their next bundle)',
        tags,
        params: IdParams,
        response: { 200: z.object({ deleted: z.literal(true) }), ...errors },
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
        operationId: 'testConnection',
        summary: "Compile the connection's health check for a session's runtime (relay it there)",
        tags,
        params: IdParams,
        body: z.object({ sid: ResourceIdSchema }),
        response: { 200: CompileResponseSchema, ...errors },
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
