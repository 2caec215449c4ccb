import {
  AcceptedInvitationSchema,
  ChangeMemberRoleRequestSchema,
  CreatedInvitationSchema,
  CreateInvitationRequestSchema,
  InvitationPreviewSchema,
  InvitationSchema,
  InvitationSignupRequestSchema,
  InvitationSignupResponseSchema,
  InvitationTokenRequestSchema,
  MemberSchema,
  ResourceIdSchema,
  SpinError,
} from '@spin/protocol';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from './requestActor.js';
import type { RouteContext } from './routeContext.js';
import { setSessionCookie } from './sessionCookie.js';

const WorkspaceParams = z.object({ id: ResourceIdSchema });
const MemberParams = z.object({ id: ResourceIdSchema, userId: ResourceIdSchema });
const InvitationParams = z.object({ id: ResourceIdSchema, invitationId: ResourceIdSchema });

/**
 * Workspace members (list, role change, removal) and invitations by link (create, list
 * pending, revoke; look up, accept, sign up through one). Tokens travel in bodies only.
 */
export const memberRoutes: FastifyPluginAsyncZod<RouteContext> = async (
  app,
  { services, config },
) => {
  const { authorize, members } = services;
  const tags = ['members'];
  const workspace = (id: string) => ({ type: 'workspace' as const, id });

  app.get(
    '/workspaces/:id/members',
    { schema: { tags, params: WorkspaceParams, response: { 200: z.array(MemberSchema) } } },
    async (request) =>
      members.list(await authorize(actorOf(request), 'member.view', workspace(request.params.id))),
  );

  app.patch(
    '/workspaces/:id/members/:userId',
    {
      schema: {
        tags,
        params: MemberParams,
        body: ChangeMemberRoleRequestSchema,
        response: { 200: MemberSchema },
      },
    },
    async (request) => {
      const grant = await authorize(
        actorOf(request),
        'member.manage',
        workspace(request.params.id),
      );
      return members.changeRole(grant, request.params.userId, request.body.role);
    },
  );

  app.delete(
    '/workspaces/:id/members/:userId',
    { schema: { tags, params: MemberParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const grant = await authorize(
        actorOf(request),
        'member.manage',
        workspace(request.params.id),
      );
      await members.remove(grant, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/workspaces/:id/invitations',
    { schema: { tags, params: WorkspaceParams, response: { 200: z.array(InvitationSchema) } } },
    async (request) =>
      members.listInvitations(
        await authorize(actorOf(request), 'member.manage', workspace(request.params.id)),
      ),
  );

  app.post(
    '/workspaces/:id/invitations',
    {
      schema: {
        tags,
        params: WorkspaceParams,
        body: CreateInvitationRequestSchema,
        response: { 201: CreatedInvitationSchema },
      },
    },
    async (request, reply) => {
      const grant = await authorize(
        actorOf(request),
        'member.manage',
        workspace(request.params.id),
      );
      return reply.code(201).send(await members.createInvitation(grant, request.body));
    },
  );

  app.delete(
    '/workspaces/:id/invitations/:invitationId',
    { schema: { tags, params: InvitationParams, response: { 204: z.null() } } },
    async (request, reply) => {
      const grant = await authorize(
        actorOf(request),
        'member.manage',
        workspace(request.params.id),
      );
      await members.revokeInvitation(grant, request.params.invitationId);
      return reply.code(204).send(null);
    },
  );

  // The token is the permit for these three: no workspace role is needed to use one.
  app.post(
    '/invitations/lookup',
    {
      schema: {
        tags,
        body: InvitationTokenRequestSchema,
        response: { 200: InvitationPreviewSchema },
      },
    },
    async (request) => members.preview(request.body.token, request.ip),
  );

  app.post(
    '/invitations/accept',
    {
      schema: {
        tags,
        body: InvitationTokenRequestSchema,
        response: { 200: AcceptedInvitationSchema },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      if (!actor) throw new SpinError('auth.unauthenticated', 'sign in to accept the invitation');
      return members.accept(actor, request.body.token, request.ip);
    },
  );

  app.post(
    '/invitations/signup',
    {
      schema: {
        tags,
        body: InvitationSignupRequestSchema,
        response: { 200: InvitationSignupResponseSchema },
      },
    },
    async (request, reply) => {
      const { user, accepted } = await members.signup(request.body, request.ip);
      const session = await services.auth.openSession(user);
      setSessionCookie(reply, session, config.publicUrl.startsWith('https:'));
      return { ...session.info, accepted };
    },
  );
};
