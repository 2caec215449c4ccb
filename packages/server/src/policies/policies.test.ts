import { describe, expect, it } from 'vitest';
import type { WorkspaceRole } from '@spin/protocol';
import type { NotebookRow } from '../repositories/notebooksRepository.js';
import type { WorkspaceRow } from '../repositories/workspacesRepository.js';
import { allowedActions, decide, type Membership } from './policies.js';

const workspace = (archivedAt: Date | null = null): WorkspaceRow => ({
  id: 'ws_1',
  name: 'Ops',
  createdAt: new Date('2026-12-01T00:00:00Z'),
  parentId: null,
  description: '',
  defaultRuntimeId: null,
  sessionRetentionDays: null,
  archivedAt,
  createdBy: null,
});

function member(
  role: WorkspaceRole,
  opts: { orgRole?: 'admin' | 'member'; archived?: boolean; row?: WorkspaceRow } = {},
): Membership {
  const row = opts.row ?? workspace();
  return {
    actor: {
      kind: 'user',
      userId: 'usr_1',
      email: 'a@b.c',
      name: 'A',
      orgRole: opts.orgRole ?? 'member',
    },
    role,
    workspace: row,
    ancestry: [row.id],
    archived: opts.archived ?? row.archivedAt !== null,
  };
}

describe('policies', () => {
  it('decides by role first', () => {
    expect(decide('workspace', 'notebook.edit', member('viewer'), workspace())).toBe(
      'auth.permission_required',
    );
    expect(decide('workspace', 'notebook.edit', member('editor'), workspace())).toBe(true);
  });

  it('refuses writes in an archived workspace with workspace.archived, reads still pass', () => {
    const archived = workspace(new Date());
    const owner = member('owner', { row: archived });
    expect(decide('workspace', 'notebook.edit', owner, archived)).toBe('workspace.archived');
    expect(decide('workspace', 'notebook.run', owner, archived)).toBe('workspace.archived');
    expect(decide('workspace', 'notebook.view', owner, archived)).toBe(true);
    // unarchiving it is possible; under an archived parent it is not
    expect(decide('workspace', 'workspace.archive', owner, archived)).toBe(true);
    const underArchived = member('owner', { archived: true });
    expect(decide('workspace', 'workspace.archive', underArchived, workspace())).toBe(
      'workspace.archived',
    );
  });

  it('lets only org admins delete a workspace, even its owners cannot', () => {
    expect(decide('workspace', 'workspace.delete', member('owner'), workspace())).toBe(
      'auth.permission_required',
    );
    const admin = member('owner', { orgRole: 'admin' });
    expect(decide('workspace', 'workspace.delete', admin, workspace())).toBe(true);
  });

  it('reports the allowed actions of a resource for the UI', () => {
    const nb: NotebookRow = {
      id: 'nb_1',
      workspaceId: 'ws_1',
      title: 'Runbook',
      cells: [],
      settings: {},
      version: 0,
      tags: [],
      jupyter: null,
      createdBy: null,
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    expect(allowedActions('notebook', member('viewer'), nb)).toEqual(['notebook.view']);
    expect(allowedActions('notebook', member('agent'), nb)).toEqual([
      'notebook.view',
      'notebook.run',
    ]);
    expect(allowedActions('notebook', member('editor'), nb)).toEqual([
      'notebook.view',
      'notebook.run',
      'notebook.edit',
    ]);
    const ws = allowedActions('workspace', member('owner'), workspace());
    expect(ws).toContain('workspace.update');
    expect(ws).not.toContain('workspace.delete');
  });
});
