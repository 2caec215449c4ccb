import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { SpinError } from '@spin/protocol';
import { ShellProgramSchema, type ShellProgram } from '@spin/protocol/processors/shell';
import {
  FrameQueue,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorRequest,
} from '../sdk.js';
import { JsonLinesTable } from './jsonLines.js';

/** Where Debian (and every image we build) has bash. */
export const BASH = '/bin/bash';
const KILL_GRACE_MS = 1000;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * `bash -n`: parse without running, so a syntax error is reported as a bad query with bash's
 * own message before anything starts.
 */
function syntaxCheck(script: string, env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      BASH,
      ['--noprofile', '--norc', '-n', '-c', script],
      { env, signal, timeout: 10_000, maxBuffer: 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        if (signal.aborted) return resolve(); // the run is ending anyway
        const code = (err as { code?: unknown }).code;
        if (typeof code === 'number') {
          const message =
            String(stderr)
              .trim()
              .replace(/^bash: -c: /gm, '') || err.message;
          return reject(new SpinError('processor.bad_query', `bash: ${message}`));
        }
        reject(new SpinError('processor.unavailable', `cannot start ${BASH}: ${err.message}`));
      },
    );
  });
}

/**
 * Run a shell cell: `bash --noprofile --norc -c <script>` in the session's working directory,
 * in its own process group (so abort/timeout kills everything it started), streaming stdout and
 * stderr, ending with the exit code. In `jsonl` output mode stdout lines that are JSON objects
 * become table pages instead of text.
 */
async function* runScript(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
): AsyncIterable<ProcessorFrame> {
  const params: ShellProgram = ShellProgramSchema.parse(request.params);
  const env = {
    ...host.env,
    ...params.env,
    SPIN_TIME_FROM: request.timeRange.from,
    SPIN_TIME_TO: request.timeRange.to,
  };
  await syntaxCheck(params.script, env, signal);
  if (signal.aborted) return;
  const argv = [BASH, '--noprofile', '--norc', '-c', params.script];
  const cmd = host.sandbox ? host.sandbox(argv, [request.cwd]) : argv;
  const queue = new FrameQueue<ProcessorFrame>();
  const table =
    params.output === 'jsonl'
      ? new JsonLinesTable(`${request.jti}:jsonl`, host.limits.pageRows)
      : null;
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: request.cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const untrack = child.pid ? host.trackProcess?.(child.pid) : undefined;
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (exited || !child.pid) return;
    signalGroup(child.pid, 'SIGTERM');
    killTimer ??= setTimeout(() => child.pid && signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  const emitText = (name: 'stdout' | 'stderr', text: string) => {
    if (!text) return;
    if (name === 'stdout' && table) for (const f of table.write(text)) queue.push(f);
    else queue.push({ type: 'stream', name, text });
  };
  for (const name of ['stdout', 'stderr'] as const) {
    const decoder = new StringDecoder('utf8');
    const stream = child[name];
    stream.on('data', (chunk: Buffer) => emitText(name, decoder.write(chunk)));
    stream.on('end', () => emitText(name, decoder.end()));
  }
  child.once('error', (err) => {
    exited = true;
    queue.push({ type: 'stream', name: 'stderr', text: `failed to start bash: ${err.message}\n` });
    queue.push({ type: 'exit', exitCode: 127 });
    queue.end();
  });
  child.once('close', (code, sig) => {
    exited = true;
    untrack?.();
    clearTimeout(killTimer);
    if (table) for (const f of table.end()) queue.push(f);
    const signo = sig ? constants.signals[sig] : undefined;
    queue.push({ type: 'exit', exitCode: code ?? (signo !== undefined ? 128 + signo : null) });
    queue.end();
  });
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  try {
    yield* queue;
  } finally {
    signal.removeEventListener('abort', kill);
    kill();
  }
}

/** Create a shell processor instance (shell has no connection). */
export function createShell(host: ProcessorHost) {
  return {
    query: (request: ProcessorRequest, signal: AbortSignal) => runScript(request, signal, host),
    checkHealth: async () =>
      existsSync(BASH) ? { ok: true } : { ok: false, message: `${BASH} not found` },
    dispose: () => undefined,
  };
}
