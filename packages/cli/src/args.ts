/** Parsed `spin` command line: the command, `--flag value` / `--flag=value` options, and positionals. */
export interface ParsedArgs {
  command: string;
  options: Record<string, string | true>;
  positionals: string[];
}

/** Minimal argv parser: enough for a handful of commands, no dependency. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const [command = 'help', ...rest] = argv;
  const options: Record<string, string | true> = {};
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) options[a.slice(2, eq)] = a.slice(eq + 1);
      else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith('--'))
        options[a.slice(2)] = rest[++i]!;
      else options[a.slice(2)] = true;
    } else {
      positionals.push(a);
    }
  }
  return { command, options, positionals };
}

/** Read a port from an option or env var, with a clear error naming the source. */
export function portFrom(
  value: string | true | undefined,
  envName: string,
  fallback: number,
): number {
  const raw = typeof value === 'string' ? value : process.env[envName];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new Error(
      `${typeof value === 'string' ? 'the port option' : envName} must be a port number (0–65535), got "${raw}"`,
    );
  }
  return n;
}
