import { SpinError, type ErrorCode, type WorkspaceRole } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { credentialsRepository } from '../repositories/credentialsRepository.js';
import { execSessionsRepository } from '../repositories/execSessionsRepository.js';
import { notebooksRepository } from '../repositories/notebooksRepository.js';
import { programsRepository } from '../repositories/programsRepository.js';
import { runtimesRepository, type RuntimeRow } from '../repositories/runtimesRepository.js';
import { workspacesRepository, type ChainLink } from '../repositories/workspacesRepository.js';
import { EpochCache } from './authzCache.js';
import type { CompiledProgram, CompiledPrograms } from './compiledPrograms.js';
import type { UserActor } from './actor.js';
import { credentialSyncVerdict } from './runtimeUsable.js';
import { checkTokenOrgAction, confineToToken } from './tokenScope.js';
import {
  allowedActions,
  decide,
  type Membership,
  type ResourceRows,
  type ResourceType,
} from './policies.js';
import {
  ARCHIVED_ALLOWS,
  ORG_ADMIN_ROLE,
  orgRoleAllows,
  roleAllows,
  type Action,
  type OrgAction,
} from './rolePolicy.js';
import { ancestorsOf, effectiveRoles, inheritedRole } from './workspaceTree.js';

/** Something inside a workspace; the authorizer loads it and resolves its workspace. */
export type WorkspaceResource =
  | { type: 'workspace'; id: string }
  | { type: 'notebook'; id: string }
  | { type: 'session'; sid: string }
  | { type: 'program'; jti: string }
  | { type: 'runtime'; id: string }
  | { type: 'connection'; id: string }
  | { type: 'secret'; id: string };

/** What an action is about: the organisation, or something inside a workspace. */
export type Resource = { type: 'org' } | WorkspaceResource;

/**
 * A successful check on a workspace resource: the caller's role in the resource's workspace
 * and the rows the check loaded — the resource itself and its workspace — so the service
 * works on them and does not read them again.
 */
export interface Grant extends Membership {
  workspaceId: string;
  /**
   * The authorization epoch read with the resource (notebooks, sessions, programs), for the
   * services' own epoch-checked caches; null when the check read none.
   */
  epoch: number | null;
  /** The loaded resource row of each type; set for the checked resource's type. */
  runtime: RuntimeRow | null;
  notebook: ResourceRows['notebook'] | null;
  session: ResourceRows['session'] | null;
  program: ResourceRows['program'] | null;
  connection: ResourceRows['connection'] | null;
  secret: ResourceRows['secret'] | null;
  /** Everything the caller may do with the checked resource (returned to the UI). */
  allowedActions: Action[];
  /**
   * Set when the check read nothing (a receipt for a program this process compiled, see
   * {@link CompiledPrograms}): it holds only if, when the caller writes, the authorization epoch
   * is still `epoch` and the notebook still in `workspaceId` — the write must check both.
   */
  confirm: { epoch: number; notebookId: string; workspaceId: string } | null;
}

/** A grant for a resource of type `T`: that row is loaded. */
export type GrantFor<T extends ResourceType> = Grant & { [K in T]: ResourceRows[K] };

/** A successful org-level check: decided by the organisation role alone. */
export interface OrgGrant {
  actor: UserActor;
  orgRole: UserActor['orgRole'];
}

/**
 * Where an action may be performed: every workspace (org admins) or the listed ones (where the
 * caller's role allows it). Lists and the audit log are filtered by it.
 */
export type Scope = { all: true } | { all: false; workspaceIds: readonly string[] };

/** Checks `actor` may perform `action` on `resource`; throws a SpinError otherwise. */
export interface Authorize {
  (actor: UserActor | null, action: OrgAction, resource: { type: 'org' }): Promise<OrgGrant>;
  <R extends WorkspaceResource>(
    actor: UserActor | null,
    action: Action,
    resource: R,
  ): Promise<GrantFor<R['type']>>;
}

/** The workspaces where `actor` may perform `action`; 403 when there are none. */
export type ScopeOf = (actor: UserActor | null, action: Action) => Promise<Scope>;

/** Every workspace the actor reaches (directly, by inheritance, or as org admin). */
export type VisibleWorkspaces = (actor: UserActor) => Promise<Membership[]>;

/**
 * Checks `actor` may fetch runtime `id`'s sealed credential bundle (see
 * {@link credentialSyncVerdict}); returns the loaded runtime row.
 */
export type AuthorizeCredentialSync = (
  actor: UserActor | null,
  runtimeId: string,
) => Promise<{ actor: UserActor; runtime: RuntimeRow }>;

const signIn = () => new SpinError('auth.unauthenticated', 'sign in first');
const refusal = (code: ErrorCode, action: string) =>
  code === 'auth.permission_required'
    ? new SpinError(code, `your role does not allow ${action}`)
    : code === 'workspace.archived'
      ? new SpinError(code, `the workspace is archived (read-only); ${action} is not possible`)
      : new SpinError(code, `${action} is not possible here`);

interface Loaded {
  workspaceId: string;
  row: ResourceRows[ResourceType] | null;
  /** The authorization epoch read with the row (hot-path resources), else null. */
  epoch: number | null;
  /** Nothing was read: the row came from {@link CompiledPrograms} (see `Grant.confirm`). */
  unread?: true;
}

/**
 * The actor to decide with. A cookie session served from the cache without a read
 * (`actor.unverified`, services/authService.ts) holds exactly when `epoch` — read in the same
 * statement as the resource — is the epoch it was cached under; otherwise (or with no epoch
 * read) it is re-read. Null: the session has ended.
 */
async function verifiedActor(
  actor: UserActor | null,
  epoch: number | null,
): Promise<UserActor | null> {
  if (!actor?.unverified) return actor;
  if (epoch !== null && epoch === actor.unverified.epoch) {
    const { unverified: _confirmed, ...verified } = actor;
    return verified;
  }
  return actor.unverified.recheck();
}

/** The notebook a loaded resource is or belongs to (oneshot tokens are confined to one). */
function notebookOf(type: ResourceType, row: Loaded['row']): string | null {
  if (!row) return null;
  if (type === 'notebook') return (row as ResourceRows['notebook']).id;
  if (type === 'session') return (row as ResourceRows['session']).notebookId;
  if (type === 'program') return (row as ResourceRows['program']).notebookId;
  return null;
}

/**
 * Build the authorizer. Anonymous → 401 `auth.unauthenticated`; a resource that does not exist
 * or that the caller cannot see → 404 (not leaking existence); a visible resource the role may
 * not act on → 403 `auth.permission_required`; a write in an archived workspace → 409
 * `workspace.archived`. Each check reads the resource once (with its workspace id) and the
 * workspace's parent chain with the caller's grants once.
 */
export function createAuthorizer(
  db: Db,
  compiled?: CompiledPrograms,
): {
  authorize: Authorize;
  scope: ScopeOf;
  visibleWorkspaces: VisibleWorkspaces;
  authorizeCredentialSync: AuthorizeCredentialSync;
} {
  /** Workspace chains with one user's grants, checked against the epoch (authzCache.ts). */
  const chains = new EpochCache<ChainLink[]>();

  /**
   * A program this process compiled, for a caller whose cookie session and chain are cached
   * under the epoch it was compiled under: nothing to read (the write confirms, `Grant.confirm`).
   */
  function loadCompiled(actor: UserActor, jti: string): Loaded | null {
    const hit = compiled?.peek(jti);
    if (!hit || actor.unverified?.epoch !== hit.epoch) return null;
    const { program, workspaceId }: CompiledProgram = hit.value;
    if (!chains.get(`${workspaceId}|${actor.userId}`, hit.epoch)) return null;
    return { workspaceId, row: program, epoch: hit.epoch, unread: true };
  }

  async function load(resource: WorkspaceResource): Promise<Loaded | null> {
    switch (resource.type) {
      case 'workspace':
        return { workspaceId: resource.id, row: null, epoch: null }; // the chain query loads it
      // Notebooks, sessions and programs are what every compile and receipt authorizes: their
      // read carries the authorization epoch, so the chain comes from the cache when it holds.
      case 'notebook': {
        const found = await notebooksRepository.getWithEpoch(db, resource.id);
        return (
          found && {
            workspaceId: found.notebook.workspaceId,
            row: found.notebook,
            epoch: found.epoch,
          }
        );
      }
      case 'session': {
        const found = await execSessionsRepository.getWithWorkspace(db, resource.sid);
        return found && { workspaceId: found.workspaceId, row: found.session, epoch: found.epoch };
      }
      case 'program': {
        const found = await programsRepository.getWithWorkspace(db, resource.jti);
        return found && { workspaceId: found.workspaceId, row: found.program, epoch: found.epoch };
      }
      case 'runtime': {
        const row = await runtimesRepository.get(db, resource.id);
        return row && { workspaceId: row.workspaceId, row, epoch: null };
      }
      case 'connection': {
        const row = await credentialsRepository.getConnection(db, resource.id);
        return row && { workspaceId: row.workspaceId, row, epoch: null };
      }
      case 'secret': {
        const row = await credentialsRepository.getSecret(db, resource.id);
        return row && { workspaceId: row.workspaceId, row, epoch: null };
      }
    }
  }

  const NOT_FOUND: Record<ResourceType, ErrorCode> = {
    workspace: 'request.not_found',
    notebook: 'notebook.not_found',
    session: 'session.not_found',
    program: 'receipt.unknown_program',
    runtime: 'runtime.unknown_runtime',
    connection: 'connection.not_found',
    secret: 'secret.not_found',
  };

  async function authorizeOrg(unverified: UserActor | null, action: OrgAction): Promise<OrgGrant> {
    const actor = await verifiedActor(unverified, null);
    if (!actor) throw signIn();
    checkTokenOrgAction(actor, action);
    if (!orgRoleAllows(actor.orgRole, action)) throw refusal('auth.permission_required', action);
    return { actor, orgRole: actor.orgRole };
  }

  async function authorizeWorkspace(
    unverified: UserActor | null,
    action: Action,
    resource: WorkspaceResource,
  ): Promise<Grant> {
    if (!unverified) throw signIn();
    const notFound = () => new SpinError(NOT_FOUND[resource.type], `${resource.type} not found`);
    const loaded =
      (resource.type === 'program' ? loadCompiled(unverified, resource.jti) : null) ??
      (await load(resource));
    // A cached cookie session is confirmed by the epoch this read carried (or re-read); with
    // nothing read (a compiled program), by the caller's write (`Grant.confirm`).
    const actor = await verifiedActor(unverified, loaded?.epoch ?? null);
    if (!actor) throw signIn();
    if (!loaded) throw notFound();
    const chain = await chains.getOrLoad(
      `${loaded.workspaceId}|${actor.userId}`,
      loaded.epoch,
      () => workspacesRepository.chainFor(db, loaded.workspaceId, actor.userId),
    );
    const workspace = chain[0]?.workspace;
    const member: WorkspaceRole | null =
      actor.orgRole === 'admin' ? ORG_ADMIN_ROLE : inheritedRole(chain);
    // An API token confines the caller to its workspace (exactly: not its children), to at
    // most the token's role, and (oneshot) to one notebook.
    const role =
      member &&
      workspace &&
      confineToToken(actor, workspace.id, notebookOf(resource.type, loaded.row), member);
    if (!workspace || !role) throw notFound();
    const m: Membership = {
      actor,
      role,
      workspace,
      ancestry: chain.map((l) => l.workspace.id),
      archived: chain.some((l) => l.workspace.archivedAt !== null),
    };
    const type = resource.type;
    const row = (loaded.row ?? workspace) as ResourceRows[typeof type];
    const verdict = decide(type, action, m, row);
    if (verdict !== true) throw refusal(verdict, action);
    return {
      ...m,
      epoch: loaded.epoch,
      workspaceId: workspace.id,
      runtime: type === 'runtime' ? (row as RuntimeRow) : null,
      notebook: type === 'notebook' ? (row as ResourceRows['notebook']) : null,
      session: type === 'session' ? (row as ResourceRows['session']) : null,
      program: type === 'program' ? (row as ResourceRows['program']) : null,
      connection: type === 'connection' ? (row as ResourceRows['connection']) : null,
      secret: type === 'secret' ? (row as ResourceRows['secret']) : null,
      allowedActions: allowedActions(type, m, row),
      confirm:
        loaded.unread && loaded.epoch !== null
          ? {
              epoch: loaded.epoch,
              notebookId: (row as ResourceRows['program']).notebookId,
              workspaceId: workspace.id,
            }
          : null,
    };
  }

  const authorize = ((actor: UserActor | null, action: Action | OrgAction, resource: Resource) =>
    resource.type === 'org'
      ? authorizeOrg(actor, action as OrgAction)
      : authorizeWorkspace(actor, action as Action, resource)) as Authorize;

  const visibleWorkspaces: VisibleWorkspaces = async (unverified) => {
    const actor = await verifiedActor(unverified, null);
    if (!actor) throw signIn();
    const tree = await workspacesRepository.tree(db);
    const byId = new Map(tree.map((w) => [w.id, w]));
    const roles =
      actor.orgRole === 'admin'
        ? new Map(tree.map((w) => [w.id, ORG_ADMIN_ROLE]))
        : effectiveRoles(tree, await workspacesRepository.grantsOf(db, actor.userId));
    return tree.flatMap((workspace) => {
      const member = roles.get(workspace.id);
      // an API token sees its one workspace, with the role it is confined to
      const role =
        member && confineToToken(actor, workspace.id, actor.token?.notebookId ?? null, member);
      if (!role) return [];
      const ancestry = ancestorsOf(byId, workspace.id);
      const archived = ancestry.some((id) => byId.get(id)?.archivedAt != null);
      return [{ actor, role, workspace, ancestry, archived }];
    });
  };

  const scope: ScopeOf = async (unverified, action) => {
    const actor = await verifiedActor(unverified, null);
    if (!actor) throw signIn();
    if (actor.orgRole === 'admin' && !actor.token) return { all: true };
    const workspaceIds = (await visibleWorkspaces(actor))
      .filter((m) => roleAllows(m.role, action) && (!m.archived || ARCHIVED_ALLOWS.has(action)))
      .map((m) => m.workspace.id);
    if (workspaceIds.length === 0) throw refusal('auth.permission_required', action);
    return { all: false, workspaceIds };
  };

  const authorizeCredentialSync: AuthorizeCredentialSync = async (unverified, runtimeId) => {
    const actor = await verifiedActor(unverified, null);
    if (!actor) throw signIn();
    const runtime = await runtimesRepository.get(db, runtimeId);
    const verdict = runtime
      ? credentialSyncVerdict(await visibleWorkspaces(actor), runtime)
      : 'hidden';
    if (!runtime || verdict === 'hidden') {
      throw new SpinError(NOT_FOUND.runtime, 'runtime not found');
    }
    if (verdict === 'denied') throw refusal('auth.permission_required', 'credentials.sync');
    return { actor, runtime };
  };

  return { authorize, scope, visibleWorkspaces, authorizeCredentialSync };
}

/** Whether a scope includes `workspaceId`. */
export function scopeIncludes(scope: Scope, workspaceId: string | null): boolean {
  if (scope.all) return true;
  return workspaceId !== null && scope.workspaceIds.includes(workspaceId);
}
