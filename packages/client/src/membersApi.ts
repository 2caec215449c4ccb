import { z } from 'zod';
import {
  AcceptedInvitationSchema,
  CreatedInvitationSchema,
  InvitationPreviewSchema,
  InvitationSchema,
  InvitationSignupResponseSchema,
  MemberSchema,
  type CreateInvitationRequest,
  type InvitationSignupRequest,
  type WorkspaceRole,
} from '@spin/protocol';
import type { HttpClient } from './httpClient.js';

const NoContent = z.unknown();
const ws = (id: string) => `/api/v1/workspaces/${encodeURIComponent(id)}`;

/** Workspace members and invitations by link (`ServerApi.members`). */
export class MembersApi {
  constructor(private readonly http: HttpClient) {}

  list(workspaceId: string) {
    return this.http.request('GET', `${ws(workspaceId)}/members`, z.array(MemberSchema));
  }
  changeRole(workspaceId: string, userId: string, role: WorkspaceRole) {
    return this.http.request(
      'PATCH',
      `${ws(workspaceId)}/members/${encodeURIComponent(userId)}`,
      MemberSchema,
      { role },
    );
  }
  async remove(workspaceId: string, userId: string): Promise<void> {
    await this.http.request(
      'DELETE',
      `${ws(workspaceId)}/members/${encodeURIComponent(userId)}`,
      NoContent,
    );
  }
  listInvitations(workspaceId: string) {
    return this.http.request('GET', `${ws(workspaceId)}/invitations`, z.array(InvitationSchema));
  }
  /** Create an invitation; the answer holds the link (shown once). */
  invite(workspaceId: string, body: CreateInvitationRequest) {
    return this.http.request(
      'POST',
      `${ws(workspaceId)}/invitations`,
      CreatedInvitationSchema,
      body,
    );
  }
  async revokeInvitation(workspaceId: string, invitationId: string): Promise<void> {
    await this.http.request(
      'DELETE',
      `${ws(workspaceId)}/invitations/${encodeURIComponent(invitationId)}`,
      NoContent,
    );
  }
  /** What an invitation link grants, before accepting (no sign-in needed). */
  lookupInvitation(token: string) {
    return this.http.request('POST', '/api/v1/invitations/lookup', InvitationPreviewSchema, {
      token,
    });
  }
  acceptInvitation(token: string) {
    return this.http.request('POST', '/api/v1/invitations/accept', AcceptedInvitationSchema, {
      token,
    });
  }
  /** Create an account through an invitation; signs in like `signup`. */
  async signupWithInvitation(body: InvitationSignupRequest) {
    const res = await this.http.request(
      'POST',
      '/api/v1/invitations/signup',
      InvitationSignupResponseSchema,
      body,
    );
    this.http.csrfToken = res.csrfToken;
    return res;
  }
}
