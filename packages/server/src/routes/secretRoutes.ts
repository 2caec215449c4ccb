import {
  CreateSecretRequestSchema,
  CredentialBundleResponseSchema,
  ResourceIdSchema,
  SecretSchema,
  SessionTimelineSchema,
  UpdateSecretRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorResponseSchema } from './errorSchema.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });
const errors = { 400: ErrorResponseSchema, 403: ErrorResponseSchema, 404: ErrorResponseSchema };

/**
 * Secrets (issue 9): names, store types and references to owners and editors (never values:
 * a `spin_store` value is write-only), changes to owners. Also the two read models built on
 * credentials: a runtime's sealed bundle, and a session's timeline.
 */
export const secretRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, authorizeCredentialSync, credentials, bundles, timeline } = services;
  const tags = ['secrets'];

  app.get(
    '/workspaces/:id/secrets',
    {
      schema: {
        operationId: 'listSecrets',
        summary: 'Secrets usable in a workspace (its own and inherited), without values',
        tags,
        params: IdParams,
        response: { 200: z.array(SecretSchema), ...errors },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'secret.view', {
        type: 'workspace',
        id: request.params.id,
      });
      return credentials.listSecrets(grant);
    },
  );

  app.post(
    '/workspaces/:id/secrets',
    {
      schema: {
        operationId: 'createSecret',
        summary: 'Create a secret (spin_store values are encrypted at rest and never returned)',
        tags,
        params: IdParams,
        body: CreateSecretRequestSchema.omit({ workspaceId: true }),
        response: { 201: SecretSchema, ...errors },
      },
    },
    async (request, reply) => {
      const grant = await authorize(actorOf(request), 'secret.manage', {
        type: 'workspace',
        id: request.params.id,
      });
      return reply.code(201).send(await credentials.createSecret(grant, request.body));
    },
  );

  app.get(
    '/secrets/:id',
    {
      schema: {
        operationId: 'getSecret',
        summary: 'A secret without its value (`value.set` says whether one is stored)',
        tags,
        params: IdParams,
        response: { 200: SecretSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'secret.view', {
        type: 'secret',
        id: request.params.id,
      });
      return credentials.getSecret(grant.secret);
    },
  );

  app.patch(
    '/secrets/:id',
    {
      schema: {
        operationId: 'updateSecret',
        summary: 'Change a secret: description, reference or (spin_store) value',
        tags,
        params: IdParams,
        body: UpdateSecretRequestSchema,
        response: { 200: SecretSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'secret.manage', {
        type: 'secret',
        id: request.params.id,
      });
      return credentials.updateSecret(grant, grant.secret, request.body);
    },
  );

  app.delete(
    '/secrets/:id',
    {
      schema: {
        operationId: 'deleteSecret',
        summary: 'Delete a secret (runtimes drop it with their next bundle)',
        tags,
        params: IdParams,
        response: { 200: z.object({ deleted: z.literal(true) }), ...errors },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'secret.manage', {
        type: 'secret',
        id: request.params.id,
      });
      await credentials.deleteSecret(grant, grant.secret);
      return { deleted: true as const };
    },
  );

  app.get(
    '/runtimes/:id/credentials',
    {
      schema: {
        operationId: 'getCredentialBundle',
        summary: "The runtime's sealed credential bundle for a client to relay (null when current)",
        tags,
        params: IdParams,
        querystring: z.object({ have: z.coerce.number().int().nonnegative().optional() }),
        response: { 200: CredentialBundleResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { actor, runtime } = await authorizeCredentialSync(actorOf(request), request.params.id);
      return bundles.fetch(actor, runtime, request.query.have);
    },
  );

  app.get(
    '/sessions/:sid/timeline',
    {
      schema: {
        operationId: 'getSessionTimeline',
        summary: 'Every run of a session: who, when, status, runtime, duration, connections',
        tags: ['execution'],
        params: z.object({ sid: ResourceIdSchema }),
        response: { 200: SessionTimelineSchema, ...errors },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'session.view', {
        type: 'session',
        sid: request.params.sid,
      });
      return timeline.timeline(grant.session);
    },
  );
};
