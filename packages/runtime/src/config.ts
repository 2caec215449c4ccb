import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from './security/secureFiles.js';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  kib: 2 ** 10,
  mb: 1e6,
  mib: 2 ** 20,
  gb: 1e9,
  gib: 2 ** 30,
  tb: 1e12,
  tib: 2 ** 40,
};
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 };

/** A size: bytes, or a number with a unit (`512KiB`, `10GB`, `4MiB`). */
const SizeSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const n =
    typeof v === 'number'
      ? v
      : m && m[1]
        ? Number(m[1]) * (SIZE_UNITS[(m[2] || 'b').toLowerCase()] ?? NaN)
        : NaN;
  if (!Number.isFinite(n) || n < 1) {
    ctx.addIssue({
      code: 'custom',
      message: `"${String(v)}" is not a size (e.g. 4MiB, 10GB, 65536)`,
    });
    return z.NEVER;
  }
  return Math.floor(n);
});

/** A duration: seconds, or a number with a unit (`500ms`, `90s`, `12h`, `30d`). Milliseconds out. */
const DurationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? null : /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  const n =
    typeof v === 'number'
      ? v
      : m && m[1]
        ? Number(m[1]) * (DURATION_UNITS[(m[2] || 's').toLowerCase()] ?? NaN)
        : NaN;
  if (!Number.isFinite(n) || n < 1) {
    ctx.addIssue({
      code: 'custom',
      message: `"${String(v)}" is not a duration (e.g. 30d, 12h, 90s)`,
    });
    return z.NEVER;
  }
  return Math.floor(n);
});

/**
 * Runtime configuration (DESIGN.md §5), parsed and validated once at start. Every error names
 * the environment variable that is wrong.
 */
export const RuntimeConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8888),
  host: z.string().min(1).default('127.0.0.1'),
  spinToken: z.string().min(16, 'must be at least 16 characters').optional(),
  home: z.string().min(1).default('./.spin/runtime'),
  sandbox: z.enum(['auto', 'bwrap', 'user', 'none']).default('auto'),
  /** Extra paths user code must never see (the server's data dir and master key under `spin start`). */
  sandboxHide: z.array(z.string().min(1)).default([]),
  /** `off` gives sandboxed processes no network at all (only their own loopback). */
  sandboxNetwork: z.enum(['on', 'off']).default('on'),
  /** Address-space limit per sandboxed process, bytes (RLIMIT_AS); unset = none. */
  sandboxMemoryBytes: z.coerce.number().int().positive().optional(),
  /** CPU-time limit per sandboxed process, seconds (RLIMIT_CPU); unset = none. */
  sandboxCpuSeconds: z.coerce.number().int().positive().optional(),
  /** Process limit per session user (RLIMIT_NPROC, per uid); unset = none. */
  sandboxProcesses: z.coerce.number().int().positive().optional(),
  /** bubblewrap's path (Debian: /usr/bin/bwrap). */
  sandboxBwrap: z.string().min(1).default('/usr/bin/bwrap'),
  /** First uid/gid of the per-session users (user mode, and bwrap as root). */
  sandboxUidBase: z.coerce.number().int().min(1000).max(4_000_000_000).optional(),
  allowedOrigins: z.array(z.string()).default([]),
  /** Bearer token `GET /metrics` requires; unset → /metrics answers 404 `metrics.disabled`. */
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Connections defined at the runtime (JSON); default `$SPIN_HOME/connections.json` if present. */
  connectionsFile: z.string().min(1).optional(),
  /** TLS: certificate chain and key (PEM files); both or neither. */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** Mutual TLS: CA bundle that client certificates must chain to. */
  tlsClientCa: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Journals and blobs older than this are deleted (ms). */
  journalMaxAgeMs: DurationSchema.default(30 * 8.64e7),
  /** Journals and blobs together are kept under this size, oldest deleted first. */
  journalMaxBytes: SizeSchema.default(10 * 2 ** 30),
  /** A journal segment file is rotated at this size. */
  journalSegmentBytes: SizeSchema.default(16 * 2 ** 20),
  /** Recent journal events each session keeps in memory. */
  journalWindowBytes: SizeSchema.default(2 ** 20),
  /** Per-cell inline output limit (the program's `limits.outputBytes` may lower it). */
  outputInlineBytes: SizeSchema.default(4 * 2 ** 20),
  /** Most one spilled stream keeps in its blob. */
  outputSpillMaxBytes: SizeSchema.default(2 * 2 ** 30),
  /** Heartbeat period of each kernel; five unanswered beats in a row mean it is dead. */
  kernelHeartbeatMs: DurationSchema.default(2000),
  /** A kernel idle this long, with no client attached, is shut down (it restarts on demand). */
  kernelIdleTimeoutMs: DurationSchema.default(3.6e6),
  /**
   * Kernelspecs kept pre-started, one each, in a sandbox of their own for the next new session
   * (kernels/kernelPool.ts). `SPIN_KERNEL_POOL`: comma-separated names, or `off`.
   */
  kernelPool: z.array(z.string().min(1)).default(['python3']),
});
/** Validated runtime configuration. `spinToken` is always set after {@link loadConfig}. */
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema> & { spinToken: string };

const ENV_NAMES: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  spinToken: 'SPIN_TOKEN',
  home: 'SPIN_HOME',
  sandbox: 'SPIN_SANDBOX',
  sandboxHide: 'SPIN_SANDBOX_HIDE',
  sandboxNetwork: 'SPIN_SANDBOX_NETWORK',
  sandboxMemoryBytes: 'SPIN_SANDBOX_MEMORY',
  sandboxCpuSeconds: 'SPIN_SANDBOX_CPU_SECONDS',
  sandboxProcesses: 'SPIN_SANDBOX_PROCESSES',
  sandboxUidBase: 'SPIN_SANDBOX_UID_BASE',
  sandboxBwrap: 'SPIN_SANDBOX_BWRAP',
  allowedOrigins: 'SPIN_ALLOWED_ORIGINS',
  metricsToken: 'SPIN_METRICS_TOKEN',
  connectionsFile: 'SPIN_CONNECTIONS_FILE',
  tlsCert: 'SPIN_TLS_CERT',
  tlsKey: 'SPIN_TLS_KEY',
  tlsClientCa: 'SPIN_TLS_CLIENT_CA',
  logLevel: 'LOG_LEVEL',
  journalMaxAgeMs: 'SPIN_JOURNAL_MAX_AGE',
  journalMaxBytes: 'SPIN_JOURNAL_MAX_BYTES',
  journalSegmentBytes: 'SPIN_JOURNAL_SEGMENT_BYTES',
  journalWindowBytes: 'SPIN_JOURNAL_WINDOW_BYTES',
  outputInlineBytes: 'SPIN_OUTPUT_INLINE_BYTES',
  outputSpillMaxBytes: 'SPIN_OUTPUT_SPILL_MAX_BYTES',
  kernelHeartbeatMs: 'SPIN_KERNEL_HEARTBEAT',
  kernelIdleTimeoutMs: 'SPIN_KERNEL_IDLE_TIMEOUT',
  kernelPool: 'SPIN_KERNEL_POOL',
};

/** Origins are compared in their serialised form (`scheme://host[:port]`, no path). */
export function normaliseOrigin(origin: string): string | null {
  try {
    const o = new URL(origin).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** `2g`, `512m`, `64k` or plain bytes; anything else is passed on for zod to refuse. */
function parseBytes(value: string | undefined): unknown {
  const m = value?.trim().match(/^(\d+)\s*([kmg]?)i?b?$/i);
  if (!m) return value;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== '') raw[key] = value;
  };
  set('port', env.PORT);
  set('host', env.HOST);
  set('spinToken', env.SPIN_TOKEN);
  set('home', env.SPIN_HOME);
  set('sandbox', env.SPIN_SANDBOX);
  set('sandboxNetwork', env.SPIN_SANDBOX_NETWORK);
  set('sandboxMemoryBytes', parseBytes(env.SPIN_SANDBOX_MEMORY));
  set('sandboxCpuSeconds', env.SPIN_SANDBOX_CPU_SECONDS);
  set('sandboxProcesses', env.SPIN_SANDBOX_PROCESSES);
  set('sandboxUidBase', env.SPIN_SANDBOX_UID_BASE);
  set('sandboxBwrap', env.SPIN_SANDBOX_BWRAP);
  if (env.SPIN_SANDBOX_HIDE) raw.sandboxHide = env.SPIN_SANDBOX_HIDE.split(':').filter(Boolean);
  set('logLevel', env.LOG_LEVEL);
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    if (key.startsWith('journal') || key.startsWith('output') || key.startsWith('kernel')) {
      set(key, env[name]);
    }
  }
  if (env.SPIN_KERNEL_POOL !== undefined) {
    const v = env.SPIN_KERNEL_POOL.trim();
    raw.kernelPool = /^(off|none|false|0|)$/i.test(v)
      ? []
      : v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  }
  set('metricsToken', env.SPIN_METRICS_TOKEN);
  set('connectionsFile', env.SPIN_CONNECTIONS_FILE);
  set('tlsCert', env.SPIN_TLS_CERT);
  set('tlsKey', env.SPIN_TLS_KEY);
  set('tlsClientCa', env.SPIN_TLS_CLIENT_CA);
  if (env.SPIN_ALLOWED_ORIGINS) {
    raw.allowedOrigins = env.SPIN_ALLOWED_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return raw;
}

/** Where a generated SPIN_TOKEN is kept when none is configured. */
export function spinTokenPath(home: string): string {
  return join(home, 'spin-token');
}

/**
 * Parse config from `env` with `overrides` taking precedence. When no SPIN_TOKEN is given, the
 * one in `$SPIN_HOME/spin-token` is used, or a new one is generated there (mode 0600).
 */
export function loadConfig(
  overrides: Partial<RuntimeConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): RuntimeConfig & { spinTokenGenerated: boolean } {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const fromEnvironment = fromEnv(env);
  // Paths to hide add up: an operator's SPIN_SANDBOX_HIDE plus what the embedder names.
  if (Array.isArray(defined.sandboxHide) && Array.isArray(fromEnvironment.sandboxHide)) {
    defined.sandboxHide = [...(fromEnvironment.sandboxHide as string[]), ...defined.sandboxHide];
  }
  const result = RuntimeConfigSchema.safeParse({ ...fromEnvironment, ...defined });
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? '');
    throw new Error(`invalid runtime configuration: ${ENV_NAMES[key] ?? key}: ${issue?.message}`);
  }
  const cfg = result.data;
  const origins: string[] = [];
  for (const o of cfg.allowedOrigins) {
    const n = normaliseOrigin(o);
    if (!n)
      throw new Error(`invalid runtime configuration: SPIN_ALLOWED_ORIGINS: bad origin "${o}"`);
    origins.push(n);
  }
  const home = resolve(cfg.home);
  const sandboxHide = [...new Set(cfg.sandboxHide.map((p) => resolve(p)))];
  let spinToken = cfg.spinToken;
  let spinTokenGenerated = false;
  if (!spinToken) {
    const file = spinTokenPath(home);
    if (existsSync(file)) {
      spinToken = readFileSync(file, 'utf8').trim();
    } else {
      spinToken = randomBytes(32).toString('base64url');
      writePrivateFile(file, spinToken + '\n');
    }
    spinTokenGenerated = true;
  }
  return { ...cfg, home, sandboxHide, allowedOrigins: origins, spinToken, spinTokenGenerated };
}
