import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from './security/secureFiles.js';

/**
 * Runtime configuration (DESIGN.md §5), parsed and validated once at start. Every error names
 * the environment variable that is wrong.
 */
export const RuntimeConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8888),
  host: z.string().min(1).default('127.0.0.1'),
  spinToken: z.string().min(16, 'must be at least 16 characters').optional(),
  home: z.string().min(1).default('./.spin/runtime'),
  sandbox: z.enum(['none', 'bwrap']).default('none'),
  allowedOrigins: z.array(z.string()).default([]),
  /** Bearer token `GET /metrics` requires; unset → /metrics answers 404 `metrics.disabled`. */
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
/** Validated runtime configuration. `spinToken` is always set after {@link loadConfig}. */
export type RuntimeConfig = z.infer<typeof RuntimeConfigSchema> & { spinToken: string };

const ENV_NAMES: Record<string, string> = {
  port: 'PORT',
  host: 'HOST',
  spinToken: 'SPIN_TOKEN',
  home: 'SPIN_HOME',
  sandbox: 'SPIN_SANDBOX',
  allowedOrigins: 'SPIN_ALLOWED_ORIGINS',
  metricsToken: 'SPIN_METRICS_TOKEN',
  logLevel: 'LOG_LEVEL',
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
  set('logLevel', env.LOG_LEVEL);
  set('metricsToken', env.SPIN_METRICS_TOKEN);
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
  const result = RuntimeConfigSchema.safeParse({ ...fromEnv(env), ...defined });
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
  return { ...cfg, home, allowedOrigins: origins, spinToken, spinTokenGenerated };
}
