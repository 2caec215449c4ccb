import { describe, expect, it } from 'vitest';
import {
  canPairRuntimes,
  checkFingerprint,
  checkPairForm,
  checkRuntimeUrl,
  pairableWorkspaces,
} from './pairForm';

const FP = 'SHA256:0a:1b:2c:3d:4e:5f:60:71:82:93:a4:b5:c6:d7:e8:f9';

describe('checkRuntimeUrl', () => {
  it('accepts http(s) URLs and drops trailing slashes', () => {
    expect(checkRuntimeUrl(' http://127.0.0.1:8888/ ')).toEqual({
      ok: true,
      value: 'http://127.0.0.1:8888',
    });
    expect(checkRuntimeUrl('https://Runtime.Example.test/spin//')).toEqual({
      ok: true,
      value: 'https://runtime.example.test/spin',
    });
  });

  it.each([
    ['', 'enter the runtime URL'],
    ['runtime:8888', 'http:// or https://'],
    ['127.0.0.1:8888', 'not a URL'],
    ['ftp://host/', 'http:// or https://'],
    ['javascript:alert(1)', 'http:// or https://'],
    ['http://user:pw@host:8888', 'user or password'],
    ['http://host:8888/?x=1', 'query or fragment'],
    ['http://host:8888/#x', 'query or fragment'],
    ['http://' + 'a'.repeat(600) + '.test', 'longer than 512'],
  ])('rejects %j', (input, message) => {
    const r = checkRuntimeUrl(input);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('client.invalid_url');
      expect(r.error.message).toContain(message);
    }
  });

  it('refuses an http runtime from an https page unless it is loopback', () => {
    expect(checkRuntimeUrl('http://rt.example.test:8888', 'https:').ok).toBe(false);
    expect(checkRuntimeUrl('https://rt.example.test:8888', 'https:').ok).toBe(true);
    expect(checkRuntimeUrl('http://localhost:8888', 'https:').ok).toBe(true);
    expect(checkRuntimeUrl('http://127.0.0.1:8888', 'https:').ok).toBe(true);
    expect(checkRuntimeUrl('http://rt.example.test:8888', 'http:').ok).toBe(true);
  });
});

describe('checkFingerprint', () => {
  it('treats empty as not given', () => {
    expect(checkFingerprint('  ')).toEqual({ ok: true, value: undefined });
  });
  it('normalises case, prefix and separators to the printed form', () => {
    expect(checkFingerprint(FP)).toEqual({ ok: true, value: FP });
    expect(checkFingerprint(' ' + FP.toUpperCase() + ' ')).toEqual({ ok: true, value: FP });
    expect(checkFingerprint(FP.slice('SHA256:'.length).replaceAll(':', ''))).toEqual({
      ok: true,
      value: FP,
    });
  });
  it('rejects anything that is not 16 hex bytes', () => {
    for (const bad of ['SHA256:0a:1b', FP + ':00', 'SHA256:zz' + FP.slice(9), 'hello']) {
      const r = checkFingerprint(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('client.invalid_fingerprint');
    }
  });
});

describe('checkPairForm', () => {
  const good = { name: ' edge ', url: 'http://127.0.0.1:9999/', token: ' tok ', fingerprint: '' };

  it('returns pairRuntime arguments, trimmed, without an empty fingerprint', () => {
    expect(checkPairForm(good)).toEqual({
      ok: true,
      value: { name: 'edge', runtimeUrl: 'http://127.0.0.1:9999', spinToken: 'tok' },
    });
    const withFp = checkPairForm({ ...good, fingerprint: FP.toUpperCase() });
    expect(withFp.ok && withFp.value.expectedFingerprint).toBe(FP);
  });

  it('reports the first problem with a stable code', () => {
    const code = (v: typeof good) => {
      const r = checkPairForm(v);
      return r.ok ? null : r.error.code;
    };
    expect(code({ ...good, name: '  ' })).toBe('client.invalid_name');
    expect(code({ ...good, name: 'x'.repeat(201) })).toBe('client.invalid_name');
    expect(code({ ...good, url: 'file:///etc/passwd' })).toBe('client.invalid_url');
    expect(code({ ...good, token: '   ' })).toBe('client.token_missing');
    expect(code({ ...good, fingerprint: 'nope' })).toBe('client.invalid_fingerprint');
  });
});

describe('canPairRuntimes', () => {
  it('allows org admins and workspace owners only', () => {
    expect(canPairRuntimes({ orgRole: 'admin' }, [])).toBe(true);
    expect(canPairRuntimes({ orgRole: 'member' }, [{ role: 'editor' }, { role: 'owner' }])).toBe(
      true,
    );
    expect(canPairRuntimes({ orgRole: 'member' }, [{ role: 'editor' }, { role: 'viewer' }])).toBe(
      false,
    );
    expect(canPairRuntimes({ orgRole: 'member' }, [])).toBe(false);
  });
});

describe('pairableWorkspaces', () => {
  const ws = [
    { id: 'a', role: 'owner' as const },
    { id: 'b', role: 'editor' as const },
  ];
  it('offers owned workspaces to members and every workspace to org admins', () => {
    expect(pairableWorkspaces({ orgRole: 'member' }, ws).map((w) => w.id)).toEqual(['a']);
    expect(pairableWorkspaces({ orgRole: 'admin' }, ws).map((w) => w.id)).toEqual(['a', 'b']);
  });
});
