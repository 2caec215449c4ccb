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
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const SidParams = z.object({ sid: ResourceIdSchema });

/** Execution sessions, access tokens and runtime receipts (DESIGN.md §1 steps 1 and 7). */
export const sessionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, { services }) => {
  const { authorize, sessions, receipts } = services;

  app.post(
    '/sessions',
    {
      schema: {
        ...describeRoute({
          operationId: 'openSession',
          summary: 'Open (or join) the notebook’s execution session on a runtime',
          description: 'Viewers may join an open session to watch; starting one needs run rights.',
          tags: ['execution'],
          errors: [...refusals('notebook'), 'runtime.unknown_runtime'],
        }),
        body: CreateSessionRequestSchema,
        response: { 200: ExecSessionSchema },
      },
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
    {
      schema: {
        ...describeRoute({
          operationId: 'getSession',
          summary: 'Read a session: owner, participants and runs',
          tags: ['execution'],
          errors: refusals('session'),
        }),
        params: SidParams,
        response: { 200: SessionRecordSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'session.view', {
        type: 'session',
        sid: request.params.sid,
      });
      return sessions.record(request.params.sid, grant.session, grant);
    },
  );

  app.post(
    '/sessions/:sid/handoff',
    {
      schema: {
        ...describeRoute({
          operationId: 'handOffSession',
          summary: 'Hand the session’s ownership to another participant',
          tags: ['execution'],
          errors: [
            ...refusals('session', 'write'),
            'session.not_owner',
            'session.handoff_target_invalid',
            'request.conflict',
          ],
        }),
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
        ...describeRoute({
          operationId: 'issueSessionToken',
          summary: 'Issue a short-lived access token for the session’s runtime',
          tags: ['execution'],
          errors: [...refusals('session'), 'auth.rate_limited'],
        }),
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
        ...describeRoute({
          operationId: 'listPendingReceipts',
          summary: 'Which of these programs still await their receipt',
          tags: ['execution'],
          errors: refusals('session'),
        }),
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
      // every decision is the authorizer's (it confirms a cached session; requestActor.ts)
      config: { sessionCheckedByAuthorize: true },
      schema: {
        ...describeRoute({
          operationId: 'submitReceipt',
          summary: 'Submit a runtime-signed receipt for a program to the audit log',
          tags: ['execution'],
          errors: [
            ...refusals('program'),
            'receipt.malformed',
            'receipt.signature_invalid',
            'receipt.digest_mismatch',
            'receipt.mismatch',
            'receipt.duplicate',
            'runtime.unknown_runtime',
          ],
        }),
        body: SubmitReceiptRequestSchema,
        response: { 200: SubmitReceiptResponseSchema },
      },
    },
    async (request) => {
      const check = () =>
        authorize(actorOf(request), 'notebook.view', {
          type: 'program',
          jti: peekReceipt(request.body.receipt).jti,
        });
      return receipts.submit(await check(), request.body, check);
    },
  );
};
