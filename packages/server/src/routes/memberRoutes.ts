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
import { describeRoute, refusals } from '../openapi/describeRoute.js';
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
  const workspace = (id: string) => ({ type: 'workspace' as const, id });

  app.get(
    '/workspaces/:id/members',
    {
      schema: {
        ...describeRoute({
          operationId: 'listMembers',
          summary: 'List a workspace’s members and their roles',
          tags: ['members'],
          errors: refusals('workspace'),
        }),
        params: WorkspaceParams,
        response: { 200: z.array(MemberSchema) },
      },
    },
    async (request) =>
      members.list(await authorize(actorOf(request), 'member.view', workspace(request.params.id))),
  );

  app.patch(
    '/workspaces/:id/members/:userId',
    {
      schema: {
        ...describeRoute({
          operationId: 'changeMemberRole',
          summary: 'Change a member’s role',
          tags: ['members'],
          errors: [...refusals('workspace', 'write'), 'member.not_found', 'member.last_owner'],
        }),
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
    {
      schema: {
        ...describeRoute({
          operationId: 'removeMember',
          summary: 'Remove a member from the workspace',
          tags: ['members'],
          errors: [...refusals('workspace', 'write'), 'member.not_found', 'member.last_owner'],
        }),
        params: MemberParams,
        response: { 204: z.null() },
      },
    },
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
    {
      schema: {
        ...describeRoute({
          operationId: 'listInvitations',
          summary: 'List a workspace’s pending invitations',
          tags: ['members'],
          errors: refusals('workspace'),
        }),
        params: WorkspaceParams,
        response: { 200: z.array(InvitationSchema) },
      },
    },
    async (request) =>
      members.listInvitations(
        await authorize(actorOf(request), 'member.manage', workspace(request.params.id)),
      ),
  );

  app.post(
    '/workspaces/:id/invitations',
    {
      schema: {
        ...describeRoute({
          operationId: 'createInvitation',
          summary: 'Create an invitation link for a role',
          description:
            'The answer holds the single-use token once; owners invite any role, editors ' +
            'agents and viewers.',
          tags: ['members'],
          errors: refusals('workspace', 'write'),
        }),
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
    {
      schema: {
        ...describeRoute({
          operationId: 'revokeInvitation',
          summary: 'Revoke a pending invitation',
          tags: ['members'],
          errors: [...refusals('workspace', 'write'), 'invitation.not_found'],
        }),
        params: InvitationParams,
        response: { 204: z.null() },
      },
    },
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
        ...describeRoute({
          operationId: 'lookUpInvitation',
          summary: 'See what an invitation token invites to',
          tags: ['members'],
          auth: 'optional',
          errors: [
            'invitation.not_found',
            'invitation.used',
            'invitation.expired',
            'invitation.revoked',
            'auth.rate_limited',
          ],
        }),
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
        ...describeRoute({
          operationId: 'acceptInvitation',
          summary: 'Accept an invitation as the signed-in user',
          tags: ['members'],
          errors: [
            'invitation.not_found',
            'invitation.used',
            'invitation.expired',
            'invitation.revoked',
            'invitation.already_member',
            'auth.rate_limited',
          ],
        }),
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
        ...describeRoute({
          operationId: 'signUpWithInvitation',
          summary: 'Create an account through an invitation and sign in',
          description: 'Sets the session cookie; the answer carries the CSRF token.',
          tags: ['members'],
          auth: 'none',
          errors: [
            'invitation.not_found',
            'invitation.used',
            'invitation.expired',
            'invitation.revoked',
            'auth.email_taken',
            'auth.rate_limited',
          ],
        }),
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
