import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER, localTimeToIso, toAuditQuery } from './auditFilter';

describe('toAuditQuery', () => {
  it('leaves blank fields out, so an empty form filters nothing', () => {
    expect(toAuditQuery(EMPTY_FILTER)).toEqual({});
    expect(toAuditQuery({ ...EMPTY_FILTER, actor: '   ', action: '' })).toEqual({});
  });

  it('trims actor and action and keeps the workspace', () => {
    expect(
      toAuditQuery({
        ...EMPTY_FILTER,
        workspaceId: 'ws_1',
        actor: ' usr_abc ',
        action: 'connection.created\n',
      }),
    ).toEqual({ workspaceId: 'ws_1', actor: 'usr_abc', action: 'connection.created' });
  });

  it('sends local times as the ISO instants they name', () => {
    const q = toAuditQuery({ ...EMPTY_FILTER, from: '2026-03-01T08:30', to: '2026-03-02T00:00' });
    expect(q.from).toBe(new Date(2026, 2, 1, 8, 30).toISOString());
    expect(q.to).toBe(new Date(2026, 2, 2, 0, 0).toISOString());
  });

  it('drops a time that is not one', () => {
    expect(localTimeToIso('not a time')).toBeUndefined();
    expect(toAuditQuery({ ...EMPTY_FILTER, from: 'soon' })).toEqual({});
  });
});
