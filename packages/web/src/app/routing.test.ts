import { describe, expect, it } from 'vitest';
import {
  AUDIT_PATH,
  CONNECTIONS_PATH,
  SECRETS_PATH,
  RUNTIMES_PATH,
  TOKENS_PATH,
  WORKSPACES_PATH,
  membersPath,
  notebookPath,
  parseRoute,
} from './routing';

describe('parseRoute', () => {
  it('maps / and unknown paths to the list', () => {
    expect(parseRoute('/')).toEqual({ name: 'list' });
    expect(parseRoute('/settings/whatever')).toEqual({ name: 'list' });
    expect(parseRoute('/notebooks/')).toEqual({ name: 'list' });
    expect(parseRoute('/notebooks/%E0%A4%A')).toEqual({ name: 'list' });
  });
  it('maps /notebooks/:id and round-trips ids through notebookPath', () => {
    expect(parseRoute('/notebooks/nb_123')).toEqual({ name: 'notebook', id: 'nb_123' });
    expect(parseRoute(notebookPath('a b/c'))).toEqual({ name: 'notebook', id: 'a b/c' });
  });
  it('maps /runtimes (with or without a trailing slash)', () => {
    expect(parseRoute(RUNTIMES_PATH)).toEqual({ name: 'runtimes' });
    expect(parseRoute('/runtimes/')).toEqual({ name: 'runtimes' });
    expect(parseRoute('/runtimes/x')).toEqual({ name: 'list' });
  });
  it('maps members pages and invitation links', () => {
    expect(parseRoute('/members')).toEqual({ name: 'members', workspaceId: null });
    expect(parseRoute(membersPath('ws 1'))).toEqual({ name: 'members', workspaceId: 'ws 1' });
    expect(parseRoute('/workspaces/%E0%A4%A/members')).toEqual({ name: 'list' });
    expect(parseRoute('/invite/abc_DEF-123')).toEqual({ name: 'invite', token: 'abc_DEF-123' });
    expect(parseRoute('/invite/not%20a%20token')).toEqual({ name: 'list' });
  });

  it('maps /connections, /secrets and /audit (with or without a trailing slash)', () => {
    expect(parseRoute(CONNECTIONS_PATH)).toEqual({ name: 'connections' });
    expect(parseRoute('/connections/')).toEqual({ name: 'connections' });
    expect(parseRoute(SECRETS_PATH)).toEqual({ name: 'secrets' });
    expect(parseRoute('/secrets/')).toEqual({ name: 'secrets' });
    expect(parseRoute(AUDIT_PATH)).toEqual({ name: 'audit' });
    expect(parseRoute('/audit/')).toEqual({ name: 'audit' });
    expect(parseRoute('/audit/x')).toEqual({ name: 'list' });
  });

  it('maps /workspaces', () => {
    expect(parseRoute(WORKSPACES_PATH)).toEqual({ name: 'workspaces' });
    expect(parseRoute('/workspaces/')).toEqual({ name: 'workspaces' });
  });

  it('maps /tokens (with or without a trailing slash)', () => {
    expect(parseRoute(TOKENS_PATH)).toEqual({ name: 'tokens' });
    expect(parseRoute('/tokens/')).toEqual({ name: 'tokens' });
    expect(parseRoute('/tokens/tok_1')).toEqual({ name: 'list' });
  });
});
