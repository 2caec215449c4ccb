import { parseArgs } from './args.js';
import { secretsCommand } from './commands/secrets.js';
import { startCommand } from './commands/start.js';

const HELP = `spin — notebooks for operations work

Usage:
  spin start [--port 8080] [--runtime-port 8888] [--home .spin]
      Server, web UI and a local runtime paired to it, in one process.
  spin server      Only the control plane (env: PORT, DATABASE_URL, SPIN_DATA_DIR, …).
  spin runtime [--unpair]
      Only a runtime (env: PORT, SPIN_TOKEN, SPIN_HOME, …). --unpair first forgets the server
      it was paired with, so it can be paired again with SPIN_TOKEN alone.
  spin secrets rotate-master-key
      Re-encrypt every stored secret and the server signing key under a new master key (stop
      the server first; reads the server's env: DATABASE_URL, SPIN_DATA_DIR, SPIN_MASTER_KEY…).
  spin help        This text.
`;

/** Run one `spin` command (`argv` without node and script, e.g. `['start', '--port', '9090']`). */
export async function main(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  switch (args.command) {
    case 'start':
      return startCommand(args);
    case 'server': {
      const { startServer } = await import('@spin/server');
      const s = await startServer();
      console.log(`SPIN server listening on ${s.url}`);
      return;
    }
    case 'runtime': {
      const { loadConfig, resetPairing, startRuntime } = await import('@spin/runtime');
      if (args.options.unpair === true) {
        const { home } = loadConfig();
        const had = resetPairing(home);
        console.log(
          had
            ? `SPIN runtime in ${home}: pairing reset; pair it again with its SPIN_TOKEN`
            : `SPIN runtime in ${home} was not paired`,
        );
      }
      await startRuntime(); // its banner names the URL, fingerprint and kernels
      return;
    }
    case 'secrets':
      return secretsCommand(args);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP);
      return;
    default:
      process.stderr.write(`spin: unknown command "${args.command}"\n\n${HELP}`);
      process.exitCode = 2;
  }
}

/** A one-line explanation of a start-up failure, naming what to change. */
function explain(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code === 'EADDRINUSE') {
    return `port ${e.port ?? ''} on ${e.address ?? 'localhost'} is already in use — stop the other program or choose another port (spin start --port N --runtime-port M)`;
  }
  if (e?.code === 'EACCES' && e.port !== undefined) {
    return `not allowed to listen on port ${e.port} — choose a port above 1023`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** {@link main} as a process entry point: a failure prints one line and exits with status 1. */
export function runMain(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    console.error(`spin: ${explain(err)}`);
    process.exit(1);
  });
}
