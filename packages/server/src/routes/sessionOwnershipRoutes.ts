import { ResourceIdSchema, SessionRecordSchema } from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { describeRoute, refusals } from '../openapi/describeRoute.js';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';

const SidParams = z.object({ sid: ResourceIdSchema });
const RequestParams = z.object({ sid: ResourceIdSchema, requestId: ResourceIdSchema });
const ANSWER_ERRORS = [
  ...refusals('session', 'write'),
  'session.not_owner',
  'session.request_not_found',
  'session.request_stale',
] as const;

/** Requests for a session's ownership: ask the owner, who accepts (a handoff) or declines. */
export const sessionOwnershipRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services },
) => {
  const { authorize, ownership } = services;

  app.post(
    '/sessions/:sid/ownership-requests',
    {
      schema: {
        ...describeRoute({
          operationId: 'requestSessionOwnership',
          summary: 'Ask the session’s owner to hand the session to you',
          description:
            'One pending request per requester: asking again while one waits changes nothing. ' +
            'It expires after ten minutes, or when the session changes hands otherwise.',
          tags: ['execution'],
          errors: [...refusals('session', 'write'), 'session.already_owner'],
        }),
        params: SidParams,
        response: { 200: SessionRecordSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.run', {
        type: 'session',
        sid: request.params.sid,
      });
      return ownership.request(grant, request.params.sid);
    },
  );

  app.post(
    '/sessions/:sid/ownership-requests/:requestId/accept',
    {
      schema: {
        ...describeRoute({
          operationId: 'acceptSessionOwnershipRequest',
          summary: 'Accept a request for the session: hand it to the requester',
          tags: ['execution'],
          errors: [...ANSWER_ERRORS, 'session.handoff_target_invalid', 'request.conflict'],
        }),
        params: RequestParams,
        response: { 200: SessionRecordSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.run', {
        type: 'session',
        sid: request.params.sid,
      });
      return ownership.accept(grant, request.params.sid, request.params.requestId);
    },
  );

  app.post(
    '/sessions/:sid/ownership-requests/:requestId/decline',
    {
      schema: {
        ...describeRoute({
          operationId: 'declineSessionOwnershipRequest',
          summary: 'Decline a request for the session (its owner stays)',
          tags: ['execution'],
          errors: [...ANSWER_ERRORS],
        }),
        params: RequestParams,
        response: { 200: SessionRecordSchema },
      },
    },
    async (request) => {
      const grant = await authorize(actorOf(request), 'notebook.run', {
        type: 'session',
        sid: request.params.sid,
      });
      return ownership.decline(grant, request.params.sid, request.params.requestId);
    },
  );
};
