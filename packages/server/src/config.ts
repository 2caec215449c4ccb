import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { z } from 'zod';

/** Default location of the built web UI: `packages/web/dist` next to this package. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const LogLevelSchema = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Environment variables the server reads (DESIGN.md §5). */
const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (unset it for embedded PGlite)')
    .optional(),
  SPIN_DATA_DIR: z.string().min(1).default('./.spin/server'),
  SPIN_MASTER_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded')
    .optional(),
  SPIN_MASTER_KEY_FILE: z.string().min(1).optional(),
  XDG_CONFIG_HOME: z.string().min(1).optional(),
  /** Bearer token `GET /metrics` requires; unset → /metrics answers 404 `metrics.disabled`. */
  SPIN_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  SPIN_TLS_CERT: z.string().min(1).optional(),
  SPIN_TLS_KEY: z.string().min(1).optional(),
  SPIN_PUBLIC_URL: z
    .string()
    .url()
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  SPIN_WEB_DIR: z.string().min(1).optional(),
  /** Lifetime of runtime access tokens, seconds (clients refresh them transparently). */
  SPIN_ACCESS_TOKEN_TTL: z.coerce.number().int().min(1).max(86_400).default(600),
  LOG_LEVEL: LogLevelSchema.default('info'),
  // OpenID Connect single sign-on: set issuer, client id and client secret together.
  SPIN_OIDC_ISSUER: z.string().url().optional(),
  SPIN_OIDC_CLIENT_ID: z.string().min(1).optional(),
  SPIN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Default `<SPIN_PUBLIC_URL>/api/v1/auth/oidc/callback`; register it at the IdP. */
  SPIN_OIDC_REDIRECT_URL: z.string().url().optional(),
  SPIN_OIDC_SCOPES: z.string().min(1).default('openid email profile'),
  /** The ID token / userinfo claim that lists the user's groups. */
  SPIN_OIDC_GROUPS_CLAIM: z.string().min(1).default('groups'),
  /**
   * Group → role mapping, `group=role` pairs separated by commas: `role` is a workspace role
   * (owner, editor, agent, viewer) in the default workspace, or `admin` for the org role.
   */
  SPIN_OIDC_GROUP_ROLES: z
    .string()
    .regex(
      /^\s*[^=,\s]+\s*=\s*(admin|owner|editor|agent|viewer)\s*(,\s*[^=,\s]+\s*=\s*(admin|owner|editor|agent|viewer)\s*)*$/,
      'must be group=role pairs separated by commas (role: admin, owner, editor, agent, viewer)',
    )
    .optional(),
  SPIN_OIDC_LABEL: z.string().min(1).default('Sign in with SSO'),
});

/** A role an IdP group maps to: a workspace role in the default workspace, or org admin. */
export type OidcMappedRole = 'admin' | 'owner' | 'editor' | 'agent' | 'viewer';

/** OpenID Connect settings (null when SSO is off). */
export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  scopes: string;
  groupsClaim: string;
  groupRoles: Readonly<Record<string, OidcMappedRole>>;
  label: string;
}

/** Validated server configuration. */
export interface ServerConfig {
  port: number;
  host: string;
  /** `null` → embedded PGlite in `<dataDir>/db`. */
  databaseUrl: string | null;
  dataDir: string;
  /** Base64 master key; undefined → the key in {@link masterKeyFile}. */
  masterKey: string | undefined;
  /**
   * Key file used when `masterKey` is unset (generated on first start): `SPIN_MASTER_KEY_FILE`,
   * default `$XDG_CONFIG_HOME/spin/master.key` (`~/.config/spin/master.key`) — outside the data
   * directory, so one read of the data directory never yields the database and its key.
   */
  masterKeyFile: string;
  /** Token `GET /metrics` requires (`Authorization: Bearer …`); undefined → /metrics is off. */
  metricsToken: string | undefined;
  /** HTTPS: certificate chain and private key (PEM files); both or neither. */
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Public URL of the server; the JWT issuer. */
  publicUrl: string;
  webDir: string;
  /** Lifetime of runtime access tokens, seconds. */
  accessTokenTtlS: number;
  logLevel: z.infer<typeof LogLevelSchema>;
  /** OpenID Connect single sign-on; null when not configured. */
  oidc: OidcConfig | null;
}

/**
 * Parse configuration once from the environment (plus programmatic overrides, which win).
 * Throws an Error naming every variable that is wrong.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<ServerConfig> = {},
): ServerConfig {
  const cleaned = Object.fromEntries(
    Object.keys(EnvSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new Error(`invalid server configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const port = overrides.port ?? e.PORT;
  const tlsCert = overrides.tlsCert ?? e.SPIN_TLS_CERT;
  const tlsKey = overrides.tlsKey ?? e.SPIN_TLS_KEY;
  if (Boolean(tlsCert) !== Boolean(tlsKey)) {
    throw new Error(
      'invalid server configuration:\n  SPIN_TLS_CERT and SPIN_TLS_KEY go together: set both or neither',
    );
  }
  const publicUrl = (
    overrides.publicUrl ??
    e.SPIN_PUBLIC_URL ??
    `${tlsCert ? 'https' : 'http'}://localhost:${port}`
  ).replace(/\/+$/, '');
  return {
    port,
    host: overrides.host ?? e.HOST,
    databaseUrl:
      overrides.databaseUrl !== undefined ? overrides.databaseUrl : (e.DATABASE_URL ?? null),
    dataDir: resolve(overrides.dataDir ?? e.SPIN_DATA_DIR),
    masterKey: overrides.masterKey ?? e.SPIN_MASTER_KEY,
    masterKeyFile: resolve(
      overrides.masterKeyFile ??
        e.SPIN_MASTER_KEY_FILE ??
        join(e.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'spin', 'master.key'),
    ),
    metricsToken: overrides.metricsToken ?? e.SPIN_METRICS_TOKEN,
    tlsCert: tlsCert ? resolve(tlsCert) : undefined,
    tlsKey: tlsKey ? resolve(tlsKey) : undefined,
    publicUrl,
    webDir: resolve(overrides.webDir ?? e.SPIN_WEB_DIR ?? DEFAULT_WEB_DIR),
    accessTokenTtlS: overrides.accessTokenTtlS ?? e.SPIN_ACCESS_TOKEN_TTL,
    logLevel: overrides.logLevel ?? e.LOG_LEVEL,
    oidc: overrides.oidc !== undefined ? overrides.oidc : oidcConfig(e, publicUrl),
  };
}

function oidcConfig(e: z.infer<typeof EnvSchema>, publicUrl: string): OidcConfig | null {
  const set = [e.SPIN_OIDC_ISSUER, e.SPIN_OIDC_CLIENT_ID, e.SPIN_OIDC_CLIENT_SECRET];
  if (set.every((v) => v === undefined)) return null;
  if (!e.SPIN_OIDC_ISSUER || !e.SPIN_OIDC_CLIENT_ID || !e.SPIN_OIDC_CLIENT_SECRET) {
    throw new Error(
      'invalid server configuration:\n  SPIN_OIDC_ISSUER, SPIN_OIDC_CLIENT_ID and ' +
        'SPIN_OIDC_CLIENT_SECRET: set all three for single sign-on, or none',
    );
  }
  const groupRoles: Record<string, OidcMappedRole> = {};
  for (const pair of (e.SPIN_OIDC_GROUP_ROLES ?? '').split(',')) {
    const [group, role] = pair.split('=').map((x) => x.trim());
    if (group && role) groupRoles[group] = role as OidcMappedRole;
  }
  return {
    issuer: e.SPIN_OIDC_ISSUER,
    clientId: e.SPIN_OIDC_CLIENT_ID,
    clientSecret: e.SPIN_OIDC_CLIENT_SECRET,
    redirectUrl: e.SPIN_OIDC_REDIRECT_URL ?? `${publicUrl}/api/v1/auth/oidc/callback`,
    scopes: e.SPIN_OIDC_SCOPES,
    groupsClaim: e.SPIN_OIDC_GROUPS_CLAIM,
    groupRoles,
    label: e.SPIN_OIDC_LABEL,
  };
}
