import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BundleSecret } from '@spin/protocol';
import { VaultEmulator } from '../src/credentials/vaultEmulator.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';
import {
  endOf,
  filesContaining,
  outputText,
  relay,
  sealBundle,
  secret,
  uses,
} from './credentialFixtures.js';

/** Issue 9, acceptance 2 (runtime half): runtime_env and Vault secrets work in cells. */
const ENV_PW = 'env-pw-Q7;$(touch /tmp/x)`"\'';
const VAULT_PW = 'vault-pw-v2-Zx81!';
const VAULT_PW_V1 = 'vault-pw-v1-Aa00?';
const ROOT_TOKEN = 'hvs.root-' + 'r'.repeat(24);
const ROLE_ID = 'role-ops-3c1f';
const SECRET_ID = 'secret-id-' + 's'.repeat(24);

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

const SECRETS: BundleSecret[] = [
  secret('sec_env', 'ENV_PW', { ref: { storeType: 'runtime_env', env: 'OPS_DB_PASS' } }),
  secret('sec_vault', 'VAULT_PW', {
    ref: { storeType: 'vault', vault: { mount: 'secret', path: 'ops/db', key: 'password' } },
  }),
  secret('sec_vault_v1', 'VAULT_OLD', {
    ref: {
      storeType: 'vault',
      vault: { mount: 'secret', path: 'ops/db', key: 'password', version: 1 },
    },
  }),
  secret('sec_denied', 'VAULT_DENIED', {
    ref: { storeType: 'vault', vault: { mount: 'secret', path: 'billing/db', key: 'password' } },
  }),
  secret('sec_missing', 'VAULT_MISSING', {
    ref: { storeType: 'vault', vault: { mount: 'secret', path: 'ops/none', key: 'password' } },
  }),
  secret('sec_unset', 'ENV_UNSET', { ref: { storeType: 'runtime_env', env: 'OPS_NOT_SET' } }),
  secret('sec_short', 'PIN', { value: 'abc' }),
];
const ALL = Object.fromEntries(SECRETS.map((s) => [s.name, s.id]));

const SHELL = `
printf %s "{{secret:ENV_PW}}" | sha256sum | cut -c1-64
printf %s "{{secret:VAULT_PW}}" | sha256sum | cut -c1-64
printf %s "{{secret:VAULT_OLD}}" | sha256sum | cut -c1-64
echo "vault: {{secret:VAULT_PW}}"
echo "env var: \${OPS_DB_PASS:-hidden}"
env | grep -c '^SPIN_VAULT' || true
`;

async function session(h: Harness): Promise<TestClient> {
  const c = await TestClient.session(h.rt.url, await h.server.token());
  expect(await relay(c, await sealBundle(h, 1, { secrets: SECRETS }))).toMatchObject({
    type: 'credentials_ack',
  });
  return c;
}

describe('runtime_env and Vault secrets (Vault token auth)', () => {
  let vault: VaultEmulator;
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    vault = await new VaultEmulator().start();
    vault.put('secret', 'ops/db', { password: VAULT_PW_V1 });
    vault.put('secret', 'ops/db', { password: VAULT_PW, user: 'ops' });
    vault.put('secret', 'billing/db', { password: 'not-for-ops' });
    vault.addToken(ROOT_TOKEN, ['secret/ops']);
    // in the runtime's own environment too: cells' child processes must still not see it
    process.env.OPS_DB_PASS = ENV_PW;
    h = await startPaired({
      env: {
        ...process.env,
        OPS_DB_PASS: ENV_PW,
        SPIN_VAULT_ADDR: vault.url,
        SPIN_VAULT_TOKEN: ROOT_TOKEN,
      },
    });
    client = await session(h);
  });
  afterAll(async () => {
    delete process.env.OPS_DB_PASS;
    client?.close();
    await h?.close();
    await vault?.stop();
  });

  it('hands a shell cell the runtime_env and Vault values, masked in its output', async () => {
    const events = await client.run(await h.server.shell(SHELL, uses(1, ALL)));
    expect(endOf(events)).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(outputText(events).split('\n')).toEqual([
      sha(ENV_PW),
      sha(VAULT_PW),
      sha(VAULT_PW_V1), // ?version=1
      'vault: [secret:VAULT_PW]',
      'env var: hidden', // the variable itself is not inherited
      '0', // nor is SPIN_VAULT_*
      '',
    ]);
    const reads = vault.requests.filter((r) => r.url.startsWith('/v1/secret/data/ops/db'));
    expect(reads.map((r) => r.url).sort()).toEqual([
      '/v1/secret/data/ops/db',
      '/v1/secret/data/ops/db?version=1',
    ]);
    expect(reads.every((r) => r.token === ROOT_TOKEN)).toBe(true);
    expect(h.logs.text).not.toContain(ROOT_TOKEN);
    expect(h.logs.text).not.toContain(VAULT_PW);
    expect(h.logs.text).not.toContain(ENV_PW);
  });

  it('reads Vault again on the next run (KV v2 reports lease_duration 0): a new version shows', async () => {
    vault.put('secret', 'ops/db', { password: 'vault-pw-v3-Yy22#' });
    const events = await client.run(
      await h.server.shell(
        'printf %s "{{secret:VAULT_PW}}" | sha256sum | cut -c1-64',
        uses(1, ALL),
      ),
    );
    expect(outputText(events).trim()).toBe(sha('vault-pw-v3-Yy22#'));
  });

  it('gives Python SpinSecrets.get_secret, and the kernel no runtime_env variable', async () => {
    const events = await client.run(
      await h.server.python(
        [
          'import hashlib, os',
          'print(hashlib.sha256(SpinSecrets.get_secret("ENV_PW").encode()).hexdigest())',
          'print(os.environ.get("OPS_DB_PASS", "hidden"), os.environ.get("SPIN_VAULT_TOKEN", "hidden"))',
        ].join('\n'),
        uses(1, ALL),
      ),
    );
    expect(endOf(events).status).toBe('ok');
    expect(outputText(events)).toBe(`${sha(ENV_PW)}\nhidden hidden\n`);
  });

  it('resolves {{secret_var:v}} to the secret a template variable names, if the cell may use it', async () => {
    const program = (which: string) =>
      h.server.seal(
        h.server.claims(
          {
            kind: 'processor',
            processor: 'shell',
            connection: null,
            params: {
              script: 'printf %s "{{secret_var:which}}" | sha256sum | cut -c1-64',
              env: {},
            },
            vars: { which },
          },
          uses(1, { ENV_PW: 'sec_env' }),
        ),
      );
    expect(outputText(await client.run(await program('ENV_PW'))).trim()).toBe(sha(ENV_PW));
    const refused = await client.run(await program('VAULT_PW'));
    expect(endOf(refused).status).toBe('error');
    expect(outputText(refused)).toMatch(
      /secret\.unavailable: \{\{secret_var:which\}\}: this cell may not use secret "VAULT_PW"/,
    );
  });

  it('fails a cell with a clear code when a secret cannot be resolved', async () => {
    const cases: [string, RegExp][] = [
      ['VAULT_DENIED', /secret\.unavailable: .*Vault secret\/billing\/db: 403: permission denied/],
      ['VAULT_MISSING', /secret\.unavailable: .*Vault secret\/ops\/none: no such secret/],
      [
        'ENV_UNSET',
        /secret\.unavailable: .*reads OPS_NOT_SET from the runtime's environment, which is not set/,
      ],
      ['PIN', /secret\.unavailable: .*shorter than 4 characters/],
      ['NOT_NAMED', /secret\.unavailable: .*this cell may not use secret "NOT_NAMED"/],
    ];
    for (const [name, message] of cases) {
      const events = await client.run(
        await h.server.shell(`echo "{{secret:${name}}}"`, uses(1, ALL)),
      );
      expect(endOf(events).status).toBe('error');
      const err = events.find((e) => e.type === 'error');
      expect(err?.type === 'error' && err.data.ename).toBe('SecretUnavailable');
      expect(outputText(events)).toMatch(message);
    }
    // in Python, the same reasons come back as SpinSecretError
    const py = await client.run(
      await h.server.python('SpinSecrets.get_secret("VAULT_DENIED")', uses(1, ALL)),
    );
    expect(outputText(py)).toMatch(
      /SpinSecretError: secret\.unavailable: Vault secret\/billing\/db: 403/,
    );
  });

  it("leaves no resolved value in the runtime's files or logs", () => {
    const values = [ENV_PW, VAULT_PW, VAULT_PW_V1, 'vault-pw-v3-Yy22#', ROOT_TOKEN];
    expect(filesContaining(h.home, values)).toEqual([]);
    for (const v of values) expect(h.logs.text).not.toContain(v);
  });
});

describe('Vault AppRole auth', () => {
  let vault: VaultEmulator;
  let h: Harness;
  let bad: Harness;
  let client: TestClient;

  beforeAll(async () => {
    vault = await new VaultEmulator().start();
    vault.put('secret', 'ops/db', { password: VAULT_PW });
    vault.addRole(ROLE_ID, SECRET_ID, ['secret/ops']);
    const env = (secretId: string) => ({
      ...process.env,
      OPS_DB_PASS: ENV_PW,
      SPIN_VAULT_ADDR: vault.url,
      SPIN_VAULT_ROLE_ID: ROLE_ID,
      SPIN_VAULT_SECRET_ID: secretId,
    });
    h = await startPaired({ env: env(SECRET_ID) });
    bad = await startPaired({ env: env('wrong-secret-id-0000') });
    client = await session(h);
  });
  afterAll(async () => {
    client?.close();
    await h?.close();
    await bad?.close();
    await vault?.stop();
  });

  const read = () =>
    h.server.shell(
      'printf %s "{{secret:VAULT_PW}}" | sha256sum | cut -c1-64',
      uses(1, { VAULT_PW: 'sec_vault' }),
    );

  it('logs in once with role_id/secret_id and reads with the token it got', async () => {
    expect(outputText(await client.run(await read())).trim()).toBe(sha(VAULT_PW));
    expect(outputText(await client.run(await read())).trim()).toBe(sha(VAULT_PW));
    const logins = vault.requests.filter((r) => r.url === '/v1/auth/approle/login');
    expect(logins).toHaveLength(1);
    const [issued] = vault.issuedTokens();
    const reads = vault.requests.filter((r) => r.url === '/v1/secret/data/ops/db');
    expect(reads).toHaveLength(2);
    expect(reads.every((r) => r.token === issued)).toBe(true);
    expect(h.logs.text).not.toContain(SECRET_ID);
    expect(h.logs.text).not.toContain(issued!);
  });

  it('logs in again when Vault revokes its token', async () => {
    vault.revoke(vault.issuedTokens()[0]!);
    expect(outputText(await client.run(await read())).trim()).toBe(sha(VAULT_PW));
    expect(vault.requests.filter((r) => r.url === '/v1/auth/approle/login')).toHaveLength(2);
  });

  it("fails the cell with Vault's reason when the AppRole login is refused", async () => {
    const c = await session(bad);
    const events = await c.run(await bad.server.shell('echo "{{secret:VAULT_PW}}"', uses(1, ALL)));
    c.close();
    expect(endOf(events).status).toBe('error');
    expect(outputText(events)).toMatch(
      /secret\.unavailable: .*Vault AppRole login failed \(400\): invalid role or secret ID/,
    );
  });
});
