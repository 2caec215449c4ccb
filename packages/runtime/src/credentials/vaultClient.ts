import nodeVault from 'node-vault';
import { SpinError, type VaultRef } from '@spin/protocol';

/** How the runtime reaches HashiCorp Vault (`SPIN_VAULT_*`); the server never sees any of it. */
export interface VaultSettings {
  addr: string;
  token?: string | undefined;
  roleId?: string | undefined;
  secretId?: string | undefined;
  /** AppRole auth mount (default `approle`). */
  approleMount?: string | undefined;
  namespace?: string | undefined;
}

/**
 * Vault settings from the runtime's environment, or null when `SPIN_VAULT_ADDR` is unset.
 * Throws an Error naming the variable that is wrong (checked once, at start).
 */
export function vaultSettingsFromEnv(env: NodeJS.ProcessEnv): VaultSettings | null {
  const addr = env.SPIN_VAULT_ADDR;
  if (!addr) return null;
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new Error(`SPIN_VAULT_ADDR is not a URL (e.g. https://vault.internal:8200)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error('SPIN_VAULT_ADDR must be an http:// or https:// URL');
  }
  const settings: VaultSettings = {
    addr: addr.replace(/\/+$/, ''),
    token: env.SPIN_VAULT_TOKEN || undefined,
    roleId: env.SPIN_VAULT_ROLE_ID || undefined,
    secretId: env.SPIN_VAULT_SECRET_ID || undefined,
    approleMount: env.SPIN_VAULT_APPROLE_MOUNT || undefined,
    namespace: env.SPIN_VAULT_NAMESPACE || undefined,
  };
  if (!settings.token && !settings.roleId) {
    throw new Error(
      'SPIN_VAULT_ADDR is set, but neither SPIN_VAULT_TOKEN nor SPIN_VAULT_ROLE_ID (AppRole) is',
    );
  }
  if (settings.roleId && !settings.token && !settings.secretId) {
    throw new Error('SPIN_VAULT_ROLE_ID is set without SPIN_VAULT_SECRET_ID');
  }
  return settings;
}

interface Cached {
  value: string;
  until: number;
}

/** Status and Vault's first error message of a failed call (never the request: it holds the token). */
function describe(err: unknown): { status: number | null; message: string } {
  const e = err as { response?: { statusCode?: number }; message?: string; code?: string };
  const status = typeof e.response?.statusCode === 'number' ? e.response.statusCode : null;
  if (status !== null) return { status, message: String(e.message ?? `status ${status}`) };
  return { status: null, message: e.code ?? 'Vault is unreachable' };
}

/**
 * Reads KV version 2 secrets for the runtime (protocol `VaultRefSchema`) with `node-vault`:
 * `GET /v1/<mount>/data/<path>[?version=N]`, `data.data[key]`. It authenticates with
 * `SPIN_VAULT_TOKEN`, or with AppRole (`POST /v1/auth/approle/login` with `SPIN_VAULT_ROLE_ID`
 * and `SPIN_VAULT_SECRET_ID`), logging in again when its token's lease ends or Vault refuses it.
 * Values are cached for the read's `lease_duration` (KV v2 reports 0: read on every run).
 * Errors name the path and Vault's reason, never a token or value.
 */
export class VaultClient {
  private readonly vault: nodeVault.client;
  private tokenUntil = 0;
  private readonly cache = new Map<string, Cached>();

  constructor(
    private readonly settings: VaultSettings,
    private readonly now: () => number = Date.now,
  ) {
    // debug: a no-op, so DEBUG=node-vault can never print a login body
    this.vault = nodeVault({ endpoint: settings.addr, debug: () => undefined } as never);
    this.vault.token = settings.token ?? '';
    (this.vault as { namespace?: string }).namespace = settings.namespace ?? '';
    if (settings.token) this.tokenUntil = Number.POSITIVE_INFINITY;
  }

  private async login(): Promise<void> {
    const { roleId, secretId } = this.settings;
    if (!roleId || !secretId) {
      throw new SpinError(
        'secret.unavailable',
        'Vault needs SPIN_VAULT_TOKEN, or SPIN_VAULT_ROLE_ID and SPIN_VAULT_SECRET_ID for AppRole',
      );
    }
    try {
      const res = (await this.vault.approleLogin({
        role_id: roleId,
        secret_id: secretId,
        ...(this.settings.approleMount ? { mount_point: this.settings.approleMount } : {}),
      })) as { auth?: { client_token?: string; lease_duration?: number } };
      const token = res.auth?.client_token;
      if (!token) throw new Error('no client_token');
      this.vault.token = token;
      const lease = res.auth?.lease_duration ?? 0;
      this.tokenUntil = lease > 0 ? this.now() + lease * 1000 : Number.POSITIVE_INFINITY;
    } catch (err) {
      if (err instanceof SpinError) throw err;
      const { status, message } = describe(err);
      throw new SpinError(
        'secret.unavailable',
        `Vault AppRole login failed${status ? ` (${status})` : ''}: ${message}`,
      );
    }
  }

  private appRole(): boolean {
    return !this.settings.token && !!this.settings.roleId;
  }

  /** The value at `ref` (a KV v2 secret's key). Throws `secret.unavailable` with Vault's reason. */
  async read(ref: VaultRef): Promise<string> {
    const version = ref.version ? `?version=${ref.version}` : '';
    const path = `${ref.mount}/data/${ref.path}${version}`;
    const cacheKey = `${path}#${ref.key}`;
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > this.now()) return hit.value;
    for (let attempt = 0; ; attempt++) {
      if (this.appRole() && this.tokenUntil <= this.now()) await this.login();
      let res: { data?: { data?: Record<string, unknown> | null }; lease_duration?: number };
      try {
        res = (await this.vault.read(path)) as typeof res;
      } catch (err) {
        const { status, message } = describe(err);
        if (status === 403 && this.appRole() && attempt === 0) {
          this.tokenUntil = 0; // token revoked or expired early: log in once more
          continue;
        }
        const why =
          status === 404 ? 'no such secret (or version)' : `${status ?? 'error'}: ${message}`;
        throw new SpinError('secret.unavailable', `Vault ${ref.mount}/${ref.path}: ${why}`);
      }
      const data = res.data?.data;
      if (!data) {
        throw new SpinError(
          'secret.unavailable',
          `Vault ${ref.mount}/${ref.path}: the version is deleted or destroyed`,
        );
      }
      const value = data[ref.key];
      if (typeof value !== 'string') {
        throw new SpinError(
          'secret.unavailable',
          `Vault ${ref.mount}/${ref.path}: no string key "${ref.key}"`,
        );
      }
      const lease = res.lease_duration ?? 0;
      if (lease > 0) this.cache.set(cacheKey, { value, until: this.now() + lease * 1000 });
      else this.cache.delete(cacheKey);
      return value;
    }
  }
}
