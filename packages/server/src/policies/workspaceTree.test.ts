import { describe, expect, it } from 'vitest';
import {
  ancestorsOf,
  effectiveRoles,
  inheritedRole,
  wouldCycle,
  type TreeNode,
} from './workspaceTree.js';

const tree: TreeNode[] = [
  { id: 'root', parentId: null },
  { id: 'ops', parentId: 'root' },
  { id: 'ops-db', parentId: 'ops' },
  { id: 'sales', parentId: 'root' },
];
const byId = new Map(tree.map((n) => [n.id, n]));

describe('workspace tree', () => {
  it('lists a workspace and its ancestors, nearest first', () => {
    expect(ancestorsOf(byId, 'ops-db')).toEqual(['ops-db', 'ops', 'root']);
  });

  it('stops on cyclic data instead of looping', () => {
    const cyclic = new Map<string, TreeNode>([
      ['a', { id: 'a', parentId: 'b' }],
      ['b', { id: 'b', parentId: 'a' }],
    ]);
    expect(ancestorsOf(cyclic, 'a')).toEqual(['a', 'b']);
  });

  it('detects a parent that would put a workspace under itself', () => {
    expect(wouldCycle(byId, 'ops', 'ops-db')).toBe(true);
    expect(wouldCycle(byId, 'ops', 'ops')).toBe(true);
    expect(wouldCycle(byId, 'ops-db', 'sales')).toBe(false);
  });

  it('takes the strongest grant on the workspace or an ancestor', () => {
    expect(inheritedRole([{ role: 'viewer' }, { role: 'editor' }, { role: null }])).toBe('editor');
    expect(inheritedRole([{ role: null }])).toBeNull();
    const roles = effectiveRoles(
      tree,
      new Map([
        ['ops', 'editor'],
        ['ops-db', 'viewer'],
      ]),
    );
    expect(Object.fromEntries(roles)).toEqual({ ops: 'editor', 'ops-db': 'editor' });
  });
});
