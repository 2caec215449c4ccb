import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { ShellParamsSchema, shellManifest } from '@spin/protocol';
import type { ProcessorFactory, ProcessorFrame, ProcessorRequest } from '../types.js';
import { FrameQueue } from './frameQueue.js';

const BASH = '/bin/bash';

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * Run a shell cell: `bash --noprofile --norc -c <script>` in the session's working directory,
 * in its own process group (so abort/timeout kills everything it started), streaming stdout and
 * stderr, ending with the exit code.
 */
function runScript(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: Parameters<ProcessorFactory['create']>[1],
): AsyncIterable<ProcessorFrame> {
  const params = ShellParamsSchema.parse(request.params);
  const argv = [BASH, '--noprofile', '--norc', '-c', params.script];
  const cmd = host.sandbox ? host.sandbox(argv, [request.cwd]) : argv;
  const queue = new FrameQueue<ProcessorFrame>();
  const child = spawn(cmd[0]!, cmd.slice(1), {
    cwd: request.cwd,
    env: { ...host.env, ...params.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = () => {
    if (exited || !child.pid) return;
    signalGroup(child.pid, 'SIGTERM');
    killTimer = setTimeout(() => child.pid && signalGroup(child.pid, 'SIGKILL'), 1000);
  };
  for (const name of ['stdout', 'stderr'] as const) {
    const decoder = new StringDecoder('utf8');
    const stream = child[name];
    stream.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (text) queue.push({ type: 'stream', name, text });
    });
    stream.on('end', () => {
      const text = decoder.end();
      if (text) queue.push({ type: 'stream', name, text });
    });
  }
  child.once('error', (err) => {
    exited = true;
    queue.push({ type: 'stream', name: 'stderr', text: `failed to start bash: ${err.message}\n` });
    queue.push({ type: 'exit', exitCode: 127 });
    queue.end();
  });
  child.once('close', (code, sig) => {
    exited = true;
    clearTimeout(killTimer);
    const signo = sig ? constants.signals[sig] : undefined;
    queue.push({ type: 'exit', exitCode: code ?? (signo !== undefined ? 128 + signo : null) });
    queue.end();
  });
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  return {
    async *[Symbol.asyncIterator]() {
      try {
        yield* queue;
      } finally {
        signal.removeEventListener('abort', kill);
        kill();
      }
    },
  };
}

/** The shell processor (manifest in `@spin/protocol` processors/shell.ts). */
export const shellProcessor: ProcessorFactory = {
  manifest: shellManifest,
  create(_connection, host) {
    return {
      query: (request, signal) => runScript(request, signal, host),
      checkHealth: async () =>
        existsSync(BASH) ? { ok: true } : { ok: false, message: `${BASH} not found` },
      dispose: () => undefined,
    };
  },
};
