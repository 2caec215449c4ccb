import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, fchownSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { KernelSpec } from './kernelspec.js';

/**
 * Variables of the runtime process that user code never inherits: SPIN's own (SPIN_TOKEN,
 * and under `spin start` the server's SPIN_MASTER_KEY), the server's DATABASE_URL, and
 * anything named like a secret. Secrets reach cells only through `{{secret:…}}`, which the
 * runtime resolves and masks (DESIGN.md §3).
 */
const SECRET_ENV =
  /^SPIN_|^DATABASE_URL$|SECRET|TOKEN|PASSW(OR)?D|PRIVATE|CREDENTIAL|API_?KEY|ACCESS_?KEY|MASTER_?KEY|AUTH/i;

/** Environment handed to user code: the runtime's, minus {@link SECRET_ENV}. */
export function kernelEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(base).filter(([k]) => !SECRET_ENV.test(k)));
}

/** Where and how a kernel process is launched (see `KernelClientOptions`). */
export interface ProvisionOptions {
  dir: string;
  dirInside?: string;
  owner?: { uid: number; gid: number } | null;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  wrapCommand?: (argv: string[]) => string[];
  transport?: 'ipc' | 'tcp';
}

/** The runtime's side of a connection file: the HMAC key and the five channels' addresses. */
export interface KernelEndpoints {
  key: string;
  shell: string;
  iopub: string;
  stdin: string;
  control: string;
  hb: string;
}

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * Write a fresh connection file (https://jupyter-client.readthedocs.io/en/stable/kernels.html#connection-files)
 * into `opts.dir`: a new HMAC-SHA256 key, IPC sockets in that directory (or free TCP ports on
 * 127.0.0.1 when the socket path would not fit `sun_path`), owned by the kernel's user and
 * readable by no one else. Returns the addresses the runtime connects to.
 */
export async function writeConnectionFile(
  spec: KernelSpec,
  opts: ProvisionOptions,
): Promise<KernelEndpoints> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const owner = opts.owner;
  if (owner) chownSync(opts.dir, owner.uid, owner.gid);
  const key = randomBytes(32).toString('hex');
  const ipcBase = join(opts.dir, 'ipc');
  const inside = opts.dirInside ?? opts.dir;
  const transport = opts.transport ?? (ipcBase.length < 96 ? 'ipc' : 'tcp');
  const ports = transport === 'ipc' ? [1, 2, 3, 4, 5] : await freePorts(5);
  const [shellPort, iopubPort, stdinPort, controlPort, hbPort] = ports as [
    number,
    number,
    number,
    number,
    number,
  ];
  const ip = transport === 'ipc' ? ipcBase : '127.0.0.1';
  const connection = JSON.stringify({
    shell_port: shellPort,
    iopub_port: iopubPort,
    stdin_port: stdinPort,
    control_port: controlPort,
    hb_port: hbPort,
    ip: transport === 'ipc' ? join(inside, 'ipc') : ip,
    key,
    transport,
    signature_scheme: 'hmac-sha256',
    kernel_name: spec.name,
  });
  const fd = openSync(join(opts.dir, 'connection.json'), 'w', 0o600);
  try {
    // the kernel rewrites it on start, so it is its own (and no one else's) to read
    if (owner) fchownSync(fd, owner.uid, owner.gid);
    writeFileSync(fd, connection);
  } finally {
    closeSync(fd);
  }
  const url = (port: number) =>
    transport === 'ipc' ? `ipc://${ip}-${port}` : `tcp://${ip}:${port}`;
  return {
    key,
    shell: url(shellPort),
    iopub: url(iopubPort),
    stdin: url(stdinPort),
    control: url(controlPort),
    hb: url(hbPort),
  };
}

/**
 * Spawn the kernel from its kernelspec's `argv` (`{connection_file}` and `{resource_dir}`
 * filled in as the kernel sees them), rewritten by `wrapCommand` (the sandbox), in its own
 * process group so a SIGINT reaches the kernel and not our terminal. The environment is
 * `opts.env` (default: this process's, scrubbed by {@link kernelEnv}) plus the spec's `env`.
 */
export function spawnKernel(spec: KernelSpec, opts: ProvisionOptions): ChildProcess {
  const inside = opts.dirInside ?? opts.dir;
  const argv = spec.argv.map((a) =>
    a
      .replace('{connection_file}', join(inside, 'connection.json'))
      .replace('{resource_dir}', spec.resourceDir),
  );
  const finalArgv = opts.wrapCommand ? opts.wrapCommand(argv) : argv;
  const env = { ...(opts.env ?? kernelEnv()), ...spec.env };
  return spawn(finalArgv[0]!, finalArgv.slice(1), {
    cwd: opts.cwd ?? opts.dir,
    env,
    detached: true, // own process group: SIGINT reaches the kernel, not our terminal's
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Signal the kernel's process group (a sandbox wrapper's children too), else the process. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
