import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A token the emulator accepts, and the KV paths (`<mount>/<path>` prefixes) it may read. */
interface TokenEntry {
  paths: string[];
  /** ms since epoch; Infinity for root-like tokens. */
  expiresAt: number;
}

interface KvVersion {
  data: Record<string, string>;
  created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

/** What the emulator saw of one request (headers included, so tests can check the token use). */
export interface VaultRequest {
  method: string;
  url: string;
  token: string | undefined;
}

/**
 * A loopback HTTP server that reproduces the parts of HashiCorp Vault's documented API the
 * runtime uses (vaultproject.io/api-docs): KV secrets engine version 2 (`GET|POST
 * /v1/<mount>/data/<path>`, `?version=N`, response `data.data` and `data.metadata.version`,
 * `lease_duration: 0`), token auth through the `X-Vault-Token` header, and AppRole login
 * (`POST /v1/auth/approle/login` with `role_id`/`secret_id`, answering `auth.client_token`
 * and `auth.lease_duration`). Errors use Vault's bodies: 403 `{"errors":["permission denied"]}`,
 * 404 `{"errors":[]}`, 400 `{"errors":["invalid role or secret ID"]}`.
 */
export class VaultEmulator {
  readonly requests: VaultRequest[] = [];
  private readonly tokens = new Map<string, TokenEntry>();
  private readonly roles = new Map<string, { secretId: string; paths: string[]; ttlS: number }>();
  /** `<mount>/<path>` → versions (index 0 = version 1). */
  private readonly kv = new Map<string, KvVersion[]>();
  private readonly mounts = new Set<string>(['secret']);
  private server: Server | null = null;
  url = '';

  /** Accept `token` for reads under these `<mount>/<path>` prefixes. */
  addToken(token: string, paths: string[], ttlS?: number): void {
    this.tokens.set(token, {
      paths,
      expiresAt: ttlS ? Date.now() + ttlS * 1000 : Number.POSITIVE_INFINITY,
    });
  }

  /** Revoke a token (as `vault token revoke` would). */
  revoke(token: string): void {
    this.tokens.delete(token);
  }

  /** Tokens issued by AppRole logins so far. */
  issuedTokens(): string[] {
    return [...this.tokens.keys()].filter((t) => t.startsWith('hvs.'));
  }

  /** Define an AppRole role. */
  addRole(roleId: string, secretId: string, paths: string[], ttlS = 3600): void {
    this.roles.set(roleId, { secretId, paths, ttlS });
  }

  /** Write a new version of a KV v2 secret (like `vault kv put`); returns its version. */
  put(mount: string, path: string, data: Record<string, string>): number {
    this.mounts.add(mount);
    const key = `${mount}/${path}`;
    const versions = this.kv.get(key) ?? [];
    versions.push({
      data,
      created_time: new Date().toISOString(),
      deletion_time: '',
      destroyed: false,
    });
    this.kv.set(key, versions);
    return versions.length;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => this.handle(req, res, body));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = null;
  }

  private envelope(extra: Record<string, unknown>): Record<string, unknown> {
    return {
      request_id: randomUUID(),
      lease_id: '',
      renewable: false,
      lease_duration: 0,
      data: null,
      wrap_info: null,
      warnings: null,
      auth: null,
      ...extra,
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(value));
    };
    const header = req.headers['x-vault-token'];
    const token = Array.isArray(header) ? header[0] : header;
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', token });
    const url = new URL(req.url ?? '/', 'http://vault');
    const denied = () => json(403, { errors: ['permission denied'] });

    if (url.pathname === '/v1/auth/approle/login' && req.method === 'POST') {
      let creds: { role_id?: unknown; secret_id?: unknown };
      try {
        creds = JSON.parse(body) as typeof creds;
      } catch {
        return json(400, { errors: ['failed to parse JSON input'] });
      }
      if (typeof creds.role_id !== 'string' || creds.role_id === '') {
        return json(400, { errors: ['missing role_id'] });
      }
      const role = this.roles.get(creds.role_id);
      if (!role || role.secretId !== creds.secret_id) {
        return json(400, { errors: ['invalid role or secret ID'] });
      }
      const clientToken = `hvs.${randomBytes(18).toString('base64url')}`;
      this.addToken(clientToken, role.paths, role.ttlS);
      return json(
        200,
        this.envelope({
          auth: {
            client_token: clientToken,
            accessor: randomBytes(12).toString('base64url'),
            policies: ['default'],
            token_policies: ['default'],
            metadata: { role_name: creds.role_id },
            lease_duration: role.ttlS,
            renewable: true,
            entity_id: '',
            token_type: 'service',
            orphan: true,
          },
        }),
      );
    }

    const m = /^\/v1\/([^/]+)\/data\/(.+)$/.exec(url.pathname);
    const entry = token ? this.tokens.get(token) : undefined;
    if (!entry || entry.expiresAt <= Date.now()) return denied();
    if (!m) return json(404, { errors: [] });
    const mount = decodeURIComponent(m[1]!);
    const path = decodeURIComponent(m[2]!);
    const full = `${mount}/${path}`;
    if (!entry.paths.some((p) => full === p || full.startsWith(p.endsWith('/') ? p : `${p}/`))) {
      return denied();
    }
    if (!this.mounts.has(mount)) {
      return json(404, {
        errors: [`no handler for route "${mount}/data/${path}". route entry not found.`],
      });
    }
    if (req.method === 'POST' || req.method === 'PUT') {
      let data: Record<string, string>;
      try {
        data = (JSON.parse(body) as { data: Record<string, string> }).data;
      } catch {
        return json(400, { errors: ['failed to parse JSON input'] });
      }
      const version = this.put(mount, path, data);
      const v = this.kv.get(full)![version - 1]!;
      return json(
        200,
        this.envelope({
          data: {
            created_time: v.created_time,
            custom_metadata: null,
            deletion_time: '',
            destroyed: false,
            version,
          },
        }),
      );
    }
    if (req.method !== 'GET') return json(405, { errors: [] });
    const versions = this.kv.get(full);
    if (!versions) return json(404, { errors: [] });
    const asked = url.searchParams.get('version');
    const n = asked && asked !== '0' ? Number(asked) : versions.length;
    const v = Number.isInteger(n) ? versions[n - 1] : undefined;
    if (!v) return json(404, { errors: [] });
    return json(
      200,
      this.envelope({
        data: {
          data: v.data,
          metadata: {
            created_time: v.created_time,
            custom_metadata: null,
            deletion_time: v.deletion_time,
            destroyed: v.destroyed,
            version: n,
          },
        },
      }),
    );
  }
}
