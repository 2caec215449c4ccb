import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '@spin/protocol';
import { formatDuration, initialsOf, participantsOf, rightsOf } from './sessionView';

const NOW = Date.parse('2026-12-02T12:00:00Z');
const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  sid: 'ses_1',
  notebookId: 'nb_1',
  runtimeId: 'rt_1',
  createdAt: '2026-12-02T10:00:00Z',
  ownerId: 'u_ada',
  ownerEpoch: 0,
  owner: { id: 'u_ada', name: 'Ada Admin' },
  participants: [
    {
      userId: 'u_ada',
      name: 'Ada Admin',
      firstAttachedAt: '2026-12-02T10:00:00Z',
      lastAttachedAt: '2026-12-02T11:58:00Z',
    },
    {
      userId: 'u_gr',
      name: 'grace',
      firstAttachedAt: '2026-12-02T10:00:00Z',
      lastAttachedAt: '2026-12-02T11:59:00Z',
    },
    {
      userId: 'u_old',
      name: 'Old Timer',
      firstAttachedAt: '2026-12-02T09:00:00Z',
      lastAttachedAt: '2026-12-02T09:10:00Z',
    },
  ],
  ...over,
});

describe('session panel view model', () => {
  it('puts the owner first, marks me, and dims who has not attached within a token lifetime', () => {
    const views = participantsOf(record(), 'u_gr', NOW);
    expect(views.map((v) => [v.initials, v.isOwner, v.isMe, v.active])).toEqual([
      ['AA', true, false, true],
      ['GR', false, true, true],
      ['OT', false, false, false],
    ]);
  });

  it('keeps who may not be handed the session (a viewer), and treats unknown as may', () => {
    const r = record();
    r.participants[2] = { ...r.participants[2]!, mayOwn: false };
    const views = participantsOf(r, 'u_ada', NOW);
    expect(views.map((v) => [v.userId, v.mayOwn])).toEqual([
      ['u_ada', true],
      ['u_gr', true],
      ['u_old', false],
    ]);
  });

  it('lists an owner who never attached (handed a session they have not opened)', () => {
    const views = participantsOf(
      record({ ownerId: 'u_new', owner: { id: 'u_new', name: 'New Owner' } }),
      null,
      NOW,
    );
    expect(views[0]).toMatchObject({ userId: 'u_new', isOwner: true, active: false });
    expect(views).toHaveLength(4);
  });

  it('reads the rights from allowedActions, and keeps owner rights to the owner without them', () => {
    expect(rightsOf(record({ allowedActions: [] }), 'u_ada')).toEqual({
      run: false,
      interrupt: false,
      handOff: false,
      requestOwnership: false,
      isOwner: true,
    });
    expect(rightsOf(record({ allowedActions: ['session.run'] }), 'u_gr').run).toBe(true);
    expect(
      rightsOf(record({ allowedActions: ['session.run', 'session.request_ownership'] }), 'u_gr'),
    ).toMatchObject({ run: true, handOff: false, requestOwnership: true, isOwner: false });
    expect(rightsOf(record(), 'u_gr')).toMatchObject({ run: true, handOff: false });
    expect(rightsOf(record(), 'u_ada')).toMatchObject({ interrupt: true, handOff: true });
  });

  it('formats initials and durations', () => {
    expect(initialsOf('  ')).toBe('?');
    expect(initialsOf('Grace Mary Hopper')).toBe('GH');
    expect(formatDuration(null)).toBe('—');
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
  });
});
