import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_WEB_DIR, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: null,
      masterKey: undefined,
      publicUrl: 'http://localhost:8080',
      webDir: DEFAULT_WEB_DIR,
      logLevel: 'info',
    });
    expect(c.dataDir).toMatch(/\.spin\/server$/);
    expect(c.masterKeyFile).toBe(join(homedir(), '.config', 'spin', 'master.key'));
    expect(c.metricsToken).toBeUndefined();
    expect(DEFAULT_WEB_DIR).toMatch(/packages\/web\/dist$/);
  });

  it('derives the public URL from PORT and strips a trailing slash', () => {
    expect(loadConfig({ PORT: '9090' }).publicUrl).toBe('http://localhost:9090');
    expect(loadConfig({ SPIN_PUBLIC_URL: 'https://spin.example.com/' }).publicUrl).toBe(
      'https://spin.example.com',
    );
  });

  it('keeps the master key file outside the data directory', () => {
    const env = { SPIN_DATA_DIR: '/var/lib/spin', XDG_CONFIG_HOME: '/etc/xdg' };
    expect(loadConfig(env).masterKeyFile).toBe('/etc/xdg/spin/master.key');
    expect(
      loadConfig({ ...env, SPIN_MASTER_KEY_FILE: '/run/secrets/spin.key' }).masterKeyFile,
    ).toBe('/run/secrets/spin.key');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(
      /DATABASE_URL: must be a postgres/,
    );
    expect(() => loadConfig({ SPIN_MASTER_KEY: 'c2hvcnQ=' })).toThrow(
      /SPIN_MASTER_KEY: must be 32 bytes/,
    );
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ SPIN_METRICS_TOKEN: 'short' })).toThrow(/SPIN_METRICS_TOKEN/);
  });

  it('reads OpenID Connect settings: all three of issuer, client id and secret, or none', () => {
    expect(loadConfig({}).oidc).toBeNull();
    const oidc = loadConfig({
      SPIN_PUBLIC_URL: 'https://spin.example.com',
      SPIN_OIDC_ISSUER: 'https://idp.example.com/realms/ops',
      SPIN_OIDC_CLIENT_ID: 'spin',
      SPIN_OIDC_CLIENT_SECRET: 's3cret',
      SPIN_OIDC_GROUP_ROLES: 'sre=editor, platform-admins=admin,oncall=agent',
    }).oidc;
    expect(oidc).toEqual({
      issuer: 'https://idp.example.com/realms/ops',
      clientId: 'spin',
      clientSecret: 's3cret',
      redirectUrl: 'https://spin.example.com/api/v1/auth/oidc/callback',
      scopes: 'openid email profile',
      groupsClaim: 'groups',
      groupRoles: { sre: 'editor', 'platform-admins': 'admin', oncall: 'agent' },
      label: 'Sign in with SSO',
    });
    expect(() => loadConfig({ SPIN_OIDC_ISSUER: 'https://idp.example.com' })).toThrow(
      /SPIN_OIDC_ISSUER, SPIN_OIDC_CLIENT_ID and SPIN_OIDC_CLIENT_SECRET/,
    );
    expect(() => loadConfig({ SPIN_OIDC_GROUP_ROLES: 'sre=superuser' })).toThrow(
      /SPIN_OIDC_GROUP_ROLES: must be group=role pairs/,
    );
    expect(() => loadConfig({ SPIN_OIDC_ISSUER: 'not a url' })).toThrow(/SPIN_OIDC_ISSUER/);
  });
});
