import {
  AccessTokenResponseSchema,
  CreateSessionRequestSchema,
  ExecSessionSchema,
  HandoffRequestSchema,
  SessionRecordSchema,
  PendingReceiptsRequestSchema,
  PendingReceiptsResponseSchema,
  ResourceIdSchema,
  SubmitReceiptRequestSchema,
  SubmitReceiptResponseSchema,
  peekReceipt,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const SidParams = z.object({ sid: ResourceIdSchema });

/** Execution sessions, access tokens and runtime receipts (DESIGN.md §1 steps 1 and 7). */
export const sessionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, sessions, receipts } = services;
  const tags = ['execution'];

  app.post(
    '/sessions',
    {
      schema: { tags, body: CreateSessionRequestSchema, response: { 200: ExecSessionSchema } },
    },
    async (request) => {
      // Viewers may join an open session to watch (the service refuses them starting one).
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'notebook',
        id: request.body.notebookId,
      });
      return sessions.open(grant, request.body);
    },
  );

  app.get(
    '/sessions/:sid',
    { schema: { tags, params: SidParams, response: { 200: SessionRecordSchema } } },
    async (request) => {
      await authorize(actorOf(request), 'session.view', {
        type: 'session',
        sid: request.params.sid,
      });
      return sessions.record(request.params.sid);
    },
  );

  app.post(
    '/sessions/:sid/handoff',
    {
      schema: {
        tags,
        params: SidParams,
        body: HandoffRequestSchema,
        response: { 200: SessionRecordSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.run', {
        type: 'session',
        sid: request.params.sid,
      });
      return sessions.handOff(grant, request.params.sid, request.body.to);
    },
  );

  app.post(
    '/sessions/:sid/token',
    {
      schema: {
        tags,
        params: SidParams,
        response: { 200: AccessTokenResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'session.view', {
        type: 'session',
        sid: request.params.sid,
      });
      await services.rateLimits.spend('tokenUser', grant.actor.userId);
      return sessions.issueToken(grant);
    },
  );

  app.post(
    '/sessions/:sid/pending-receipts',
    {
      schema: {
        tags,
        params: SidParams,
        body: PendingReceiptsRequestSchema,
        response: { 200: PendingReceiptsResponseSchema },
      },
    },
    async (request) => {
      await authorize(actorOf(request), 'session.view', {
        type: 'session',
        sid: request.params.sid,
      });
      return { pending: await receipts.pending(request.params.sid, request.body.jtis) };
    },
  );

  app.post(
    '/receipts',
    {
      schema: {
        tags,
        body: SubmitReceiptRequestSchema,
        response: { 200: SubmitReceiptResponseSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.view', {
        type: 'program',
        jti: peekReceipt(request.body.receipt).jti,
      });
      return receipts.submit(grant, request.body);
    },
  );
};
