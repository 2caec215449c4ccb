import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { CreatedInvitation, Member, Workspace, WorkspaceRole } from '@spin/protocol';
import { api, isUnauthenticated, toErrorInfo, type ErrorInfo } from '../app/api';
import { membersPath, navigate } from '../app/routing';
import { ErrorBox } from '../runtimes/PairPanel';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { keys } from '../app/queryKeys';

const ROLES: readonly WorkspaceRole[] = ['viewer', 'agent', 'editor', 'owner'];

/** What each role may do, shown beside the role pickers. */
const ROLE_HINT: Record<WorkspaceRole, string> = {
  viewer: 'read notebooks and outputs',
  agent: 'read and run (for AI agents)',
  editor: 'read, edit and run',
  owner: 'everything, including members and runtimes',
};

function formatTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * `/workspaces/:id/members`: who belongs to a workspace and with which role. Owners (and org
 * admins) change roles, remove members, create invitation links and revoke pending ones.
 */
export function MembersPage({ workspaceId }: { workspaceId: string | null }) {
  useDocumentTitle('Members');
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const unauthenticated = isUnauthenticated(workspaces.error);

  const first = workspaces.data?.[0];
  useEffect(() => {
    if (workspaceId === null && first) navigate(membersPath(first.id), { replace: true });
  }, [workspaceId, first]);

  const current = workspaces.data?.find((w) => w.id === workspaceId) ?? null;
  return (
    <main className="page">
      <div className="list-header">
        <h1>Members</h1>
        {workspaces.data && workspaces.data.length > 0 && (
          <label className="inline-field">
            Workspace{' '}
            <select
              data-testid="members-workspace"
              value={workspaceId ?? ''}
              onChange={(e) => navigate(membersPath(e.target.value))}
            >
              {workspaces.data.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {workspaces.isPending && <p className="muted">Loading…</p>}
      {workspaces.error && !unauthenticated && <ErrorBox error={toErrorInfo(workspaces.error)} />}
      {workspaces.data && workspaceId !== null && !current && (
        <ErrorBox
          testId="members-error"
          error={{
            code: 'request.not_found',
            message: 'This workspace does not exist or you are not a member of it.',
          }}
        />
      )}
      {current && <WorkspaceMembers key={current.id} workspace={current} />}
    </main>
  );
}

function WorkspaceMembers({ workspace }: { workspace: Workspace }) {
  const canManage = workspace.role === 'owner';
  const members = useQuery({
    queryKey: keys.members.list(workspace.id),
    queryFn: () => api.members.list(workspace.id),
  });
  return (
    <>
      <p className="muted page-intro">
        Your role in <strong>{workspace.name}</strong>:{' '}
        <span data-testid="my-role">{workspace.role}</span> ({ROLE_HINT[workspace.role]}).
      </p>
      {members.error && <ErrorBox error={toErrorInfo(members.error)} />}
      {members.data && (
        <MemberTable workspaceId={workspace.id} members={members.data} canManage={canManage} />
      )}
      {canManage && <InvitePanel workspaceId={workspace.id} />}
    </>
  );
}

function MemberTable({
  workspaceId,
  members,
  canManage,
}: {
  workspaceId: string;
  members: Member[];
  canManage: boolean;
}) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<ErrorInfo | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: keys.members.list(workspaceId) });
  const change = useMutation({
    mutationFn: (v: { userId: string; role: WorkspaceRole }) =>
      api.members.changeRole(workspaceId, v.userId, v.role),
    onMutate: () => setError(null),
    onError: (err) => setError(toErrorInfo(err)),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.members.remove(workspaceId, userId),
    onMutate: () => setError(null),
    onError: (err) => setError(toErrorInfo(err)),
    onSettled: refresh,
  });
  return (
    <>
      {error && <ErrorBox error={error} testId="member-error" />}
      <table className="runtime-table member-table" data-testid="member-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Email</th>
            <th>Role</th>
            <th>Joined</th>
            {canManage && <th aria-label="Actions" />}
          </tr>
        </thead>
        <tbody>
          {members.map((m) => (
            <tr key={m.userId} data-testid="member-row" data-email={m.email}>
              <td className="runtime-name-cell">{m.name}</td>
              <td>{m.email}</td>
              <td>
                {canManage ? (
                  <select
                    aria-label={`Role of ${m.email}`}
                    data-testid="member-role"
                    value={m.role}
                    disabled={change.isPending}
                    onChange={(e) =>
                      change.mutate({ userId: m.userId, role: e.target.value as WorkspaceRole })
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span data-testid="member-role">{m.role}</span>
                )}
              </td>
              <td>{formatTime(m.joinedAt)}</td>
              {canManage && (
                <td>
                  <button
                    type="button"
                    className="btn btn-delete"
                    data-testid="member-remove"
                    disabled={remove.isPending}
                    onClick={() => {
                      if (window.confirm(`Remove ${m.email} from this workspace?`)) {
                        remove.mutate(m.userId);
                      }
                    }}
                  >
                    Remove
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function InvitePanel({ workspaceId }: { workspaceId: string }) {
  const queryClient = useQueryClient();
  const [role, setRole] = useState<WorkspaceRole>('viewer');
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [copied, setCopied] = useState(false);
  const pending = useQuery({
    queryKey: keys.members.invitations(workspaceId),
    queryFn: () => api.members.listInvitations(workspaceId),
  });
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: keys.members.invitations(workspaceId) });
  const invite = useMutation({
    mutationFn: () => api.members.invite(workspaceId, { role }),
    onMutate: () => {
      setCreated(null);
      setCopied(false);
    },
    onSuccess: setCreated,
    onSettled: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api.members.revokeInvitation(workspaceId, id),
    onSettled: refresh,
  });
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard permission: the link stays selectable in the field
    }
  };

  return (
    <section className="invite-panel" aria-labelledby="invite-heading">
      <h2 id="invite-heading">Invite someone</h2>
      <p className="muted">
        Create a link and send it yourself; it works once, for one person, and expires after 7 days.
        Whoever opens it can sign up (even when open sign-up is closed) or sign in, and joins with
        the role you pick.
      </p>
      <div className="invite-form">
        <label className="inline-field">
          Role{' '}
          <select
            data-testid="invite-role"
            value={role}
            onChange={(e) => setRole(e.target.value as WorkspaceRole)}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r} — {ROLE_HINT[r]}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          className="btn btn-primary"
          data-testid="invite-create"
          disabled={invite.isPending}
          onClick={() => invite.mutate()}
        >
          {invite.isPending ? 'Creating…' : 'Create invitation link'}
        </button>
      </div>
      {invite.error && <ErrorBox error={toErrorInfo(invite.error)} testId="invite-error" />}
      {created && (
        <div className="notice invite-link" role="status">
          Invitation link for a <strong>{created.invitation.role}</strong> (shown once):
          <div className="invite-link-row">
            <input
              readOnly
              data-testid="invite-link"
              value={created.url}
              aria-label="Invitation link"
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="btn"
              data-testid="invite-copy"
              onClick={() => void copy(created.url)}
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
        </div>
      )}
      <h3>Pending invitations</h3>
      {revoke.error && <ErrorBox error={toErrorInfo(revoke.error)} />}
      {pending.data && pending.data.length === 0 && (
        <p className="muted" data-testid="no-pending-invitations">
          No pending invitations.
        </p>
      )}
      {pending.data && pending.data.length > 0 && (
        <table className="runtime-table" data-testid="pending-invitations">
          <thead>
            <tr>
              <th>Role</th>
              <th>Created</th>
              <th>Expires</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {pending.data.map((inv) => (
              <tr key={inv.id} data-testid="pending-invitation">
                <td>{inv.role}</td>
                <td>{formatTime(inv.createdAt)}</td>
                <td>{formatTime(inv.expiresAt)}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-delete"
                    data-testid="invitation-revoke"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(inv.id)}
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
