import {
  CreateSecretBodySchema,
  CredentialBundleResponseSchema,
  CredentialDeletedSchema,
  ResourceIdSchema,
  SecretSchema,
  SessionTimelineSchema,
  UpdateSecretRequestSchema,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const IdParams = z.object({ id: ResourceIdSchema });

/**
 * Secrets (issue 9): names, store types and references to owners and editors (never values:
 * a `spin_store` value is write-only), changes to owners. Also the two read models built on
 * credentials: a runtime's sealed bundle, and a session's timeline.
 */
export const secretRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, authorizeCredentialSync, credentials, bundles, timeline } = services;

  app.get(
    '/workspaces/:id/secrets',
    {
      schema: {
        ...describeRoute({
          operationId: 'listSecrets',
          summary: 'List the secrets usable in a workspace, without values',
          description:
            'Owners and editors. The workspace’s own secrets and those of its ancestors, ' +
            'nearest first: names, store types and references; a `spin_store` value only as ' +
            '`value.set`.',
          tags: ['secrets'],
          errors: refusals('workspace'),
        }),
        params: IdParams,
        response: { 200: z.array(SecretSchema) },
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
        ...describeRoute({
          operationId: 'createSecret',
          summary: 'Create a secret (spin_store values are encrypted at rest, never returned)',
          description:
            'Owners only. Only a `spin_store` secret may carry a `value`; `runtime_env` and ' +
            '`vault` secrets name where the runtime reads it.',
          tags: ['secrets'],
          errors: [...refusals('workspace', 'write'), 'secret.name_taken'],
        }),
        params: IdParams,
        body: CreateSecretBodySchema,
        response: { 201: SecretSchema },
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
        ...describeRoute({
          operationId: 'getSecret',
          summary: 'Read a secret without its value (`value.set` says whether one is stored)',
          tags: ['secrets'],
          errors: refusals('secret'),
        }),
        params: IdParams,
        response: { 200: SecretSchema },
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
        ...describeRoute({
          operationId: 'updateSecret',
          summary: 'Change a secret: description, reference or (spin_store) value',
          description: 'Owners only. Moving a secret off `spin_store` drops its stored value.',
          tags: ['secrets'],
          errors: refusals('secret', 'write'),
        }),
        params: IdParams,
        body: UpdateSecretRequestSchema,
        response: { 200: SecretSchema },
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
        ...describeRoute({
          operationId: 'deleteSecret',
          summary: 'Delete a secret (runtimes drop it with their next bundle)',
          tags: ['secrets'],
          errors: refusals('secret', 'write'),
        }),
        params: IdParams,
        response: { 200: CredentialDeletedSchema },
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
        ...describeRoute({
          operationId: 'getCredentialBundle',
          summary: 'Fetch a runtime’s sealed credential bundle for the client to relay',
          description:
            'Owners, editors and agents of a workspace that may use the runtime. The bundle is ' +
            'a JWE sealed to the runtime (the client cannot read it), sent over the runtime’s ' +
            'WebSocket as a `credentials` message; `bundle` is null when `have` is already ' +
            'the current `version`. Every fetch is audited.',
          tags: ['secrets', 'runtimes'],
          errors: ['runtime.unknown_runtime', 'auth.permission_required'],
        }),
        params: IdParams,
        querystring: z.object({ have: z.coerce.number().int().nonnegative().optional() }),
        response: { 200: CredentialBundleResponseSchema },
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
        ...describeRoute({
          operationId: 'getSessionTimeline',
          summary: 'List every run of a session: who, when, status, runtime, connections',
          tags: ['execution'],
          errors: refusals('session'),
        }),
        params: z.object({ sid: ResourceIdSchema }),
        response: { 200: SessionTimelineSchema },
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
