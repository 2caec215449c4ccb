import type { ErrorCode, WorkspaceRole } from '@spin/protocol';
import type { ConnectionRow, SecretRow } from '../repositories/credentialsRepository.js';
import type { ExecSessionRow } from '../repositories/execSessionsRepository.js';
import type { NotebookRow } from '../repositories/notebooksRepository.js';
import type { ProgramRow } from '../repositories/programsRepository.js';
import type { RuntimeRow } from '../repositories/runtimesRepository.js';
import type { WorkspaceRow } from '../repositories/workspacesRepository.js';
import type { UserActor } from './actor.js';
import { ARCHIVED_ALLOWS, ROLE_POLICY, roleAllows, type Action } from './rolePolicy.js';

/**
 * Per-resource policies in the style of Outline's `allow(User, 'update', Document, …)`: each
 * decides on rows the authorizer already loaded, never by reading the database. Every action
 * first needs the caller's role (rolePolicy.ts, inherited down the workspace tree) and, in an
 * archived workspace, to be a read (`ARCHIVED_ALLOWS`); a rule below adds what the row itself
 * decides. An action without a rule is decided by those two alone — so an action another part
 * adds to rolePolicy.ts works here with no change.
 */

/** The caller's standing in the resource's workspace, as the authorizer resolved it. */
export interface Membership {
  actor: UserActor;
  /** Effective role: the strongest grant on the workspace or an ancestor (org admins: owner). */
  role: WorkspaceRole;
  workspace: WorkspaceRow;
  /** The workspace and its ancestors, nearest first. */
  ancestry: readonly string[];
  /** Archived itself or under an archived ancestor: read-only. */
  archived: boolean;
}

/** The rows each resource type loads. */
export interface ResourceRows {
  workspace: WorkspaceRow;
  notebook: NotebookRow;
  session: ExecSessionRow;
  program: ProgramRow;
  runtime: RuntimeRow;
  connection: ConnectionRow;
  secret: SecretRow;
}
export type ResourceType = keyof ResourceRows;

/** A rule: true allows; false is 403 `auth.permission_required`; a code refuses with it. */
export type Rule<Row> = (m: Membership, row: Row) => boolean | ErrorCode;

type PolicyTable = { [T in ResourceType]: Partial<Record<Action, Rule<ResourceRows[T]>>> };

/** The rules that depend on more than the role. */
export const POLICIES: PolicyTable = {
  workspace: {
    // Deleting removes notebooks and runtimes: an org decision, not one workspace owner's.
    'workspace.delete': (m) => m.actor.orgRole === 'admin',
    // Archiving or unarchiving one under an archived parent changes nothing: it stays read-only.
    'workspace.archive': (m, ws) => ws.archivedAt !== null || !m.archived || 'workspace.archived',
  },
  notebook: {},
  session: {},
  program: {},
  runtime: {},
  connection: {},
  secret: {},
};

/** Which actions `allowedActions` reports on a resource of each type. */
const REPORTED: { [T in ResourceType]: (action: Action) => boolean } = {
  workspace: () => true,
  notebook: (a) => a.startsWith('notebook.') && a !== 'notebook.create',
  session: (a) => a.startsWith('session.'),
  program: () => false,
  runtime: (a) => a.startsWith('runtime.'),
  connection: (a) => a.startsWith('connection.'),
  secret: (a) => a.startsWith('secret.'),
};

/** Decide `action` on a loaded row: true, or the error code refusing it. */
export function decide<T extends ResourceType>(
  type: T,
  action: Action,
  m: Membership,
  row: ResourceRows[T],
): true | ErrorCode {
  if (!roleAllows(m.role, action)) return 'auth.permission_required';
  const rule = (POLICIES[type] as Partial<Record<Action, Rule<ResourceRows[T]>>>)[action];
  if (m.archived && !ARCHIVED_ALLOWS.has(action)) return 'workspace.archived';
  if (!rule) return true;
  const verdict = rule(m, row);
  if (verdict === true) return true;
  return verdict === false ? 'auth.permission_required' : verdict;
}

/** Everything the caller may do with a loaded row (for the UI to hide the rest). */
export function allowedActions<T extends ResourceType>(
  type: T,
  m: Membership,
  row: ResourceRows[T],
): Action[] {
  return (Object.keys(ROLE_POLICY) as Action[]).filter(
    (a) => REPORTED[type](a) && decide(type, a, m, row) === true,
  );
}
