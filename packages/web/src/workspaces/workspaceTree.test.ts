import type { WorkspaceDetail } from '@spin/protocol';
import { describe, expect, it } from 'vitest';
import { possibleParents, workspaceTree } from './workspaceTree';

const ws = (id: string, parentId: string | null, name = id): WorkspaceDetail => ({
  id,
  name,
  parentId,
  role: 'owner',
  description: '',
  defaultRuntimeId: null,
  sessionRetentionDays: null,
  archivedAt: null,
  createdAt: '2026-12-02T00:00:00.000Z',
  allowedActions: ['workspace.create_child'],
});

describe('workspaceTree', () => {
  it('puts children under their parent, siblings by name', () => {
    const rows = workspaceTree([
      ws('db', 'ops'),
      ws('ops', null),
      ws('api', 'ops'),
      ws('sales', null),
    ]);
    expect(rows.map((r) => `${'-'.repeat(r.depth)}${r.workspace.id}`)).toEqual([
      'ops',
      '-api',
      '-db',
      'sales',
    ]);
  });

  it('shows a workspace whose parent is not visible at the top', () => {
    expect(workspaceTree([ws('child', 'hidden')]).map((r) => r.depth)).toEqual([0]);
  });

  it('offers as parents neither the workspace itself nor its descendants', () => {
    const all = [ws('ops', null), ws('db', 'ops'), ws('deep', 'db'), ws('sales', null)];
    expect(possibleParents(all, 'ops').map((w) => w.id)).toEqual(['sales']);
    expect(possibleParents(all, 'deep').map((w) => w.id)).toEqual(['ops', 'db', 'sales']);
  });
});
