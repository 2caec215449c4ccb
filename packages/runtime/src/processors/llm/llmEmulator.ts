import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an emulator saw of one request. */
export interface SeenLlmRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
}

/** Largest answer the emulated models write (tokens). */
export const MODEL_MAX_TOKENS = 8192;

/**
 * The answer an emulated model writes: it quotes the prompt and the system prompt back, so
 * tests can see what reached the model. Prompt markers pick the test behaviours: `[long]` a
 * long answer (up to max_tokens words), `[hold]` one word and then nothing until the client
 * leaves, `[overloaded]` an error event mid-stream.
 */
export function emulatedAnswer(prompt: string, system: string): string[] {
  if (prompt.includes('[long]')) {
    return Array.from({ length: MODEL_MAX_TOKENS }, (_, i) => `word${i} `);
  }
  const text = [
    '## Answer',
    '',
    `You asked: ${prompt}`,
    '',
    `- system prompt: ${system || '(none)'}`,
    '- status: **ok**',
    '',
  ].join('\n');
  // One "token" per word or whitespace run, as tokenizers cut text into small pieces.
  return text.match(/\s+|[^\s]+/g) ?? [];
}

/** Words as the emulators count tokens. */
export function tokens(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * Base of the two vendor emulators: a loopback HTTP server that records requests and tracks
 * streams, so tests can assert that a cancelled cell closed its upstream request.
 */
export abstract class LlmEmulator {
  readonly seen: SeenLlmRequest[] = [];
  /** Streams still open. */
  openStreams = 0;
  /** Streams the client closed before the answer ended. */
  abortedStreams = 0;
  url = '';
  private server: Server | null = null;

  constructor(
    /** The only API key accepted. */
    readonly apiKey: string,
    /** Keys that are valid but over their rate limit. */
    readonly limitedKeys: readonly string[] = [],
    /** Model ids this account may use. */
    readonly models: readonly string[] = ['spin-test-model'],
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (raw += c));
      req.on('end', () => {
        let body: Record<string, unknown> | null = null;
        try {
          body = raw ? (JSON.parse(raw) as Record<string, unknown>) : null;
        } catch {
          body = null;
        }
        const path = new URL(req.url ?? '/', 'http://emulator').pathname;
        this.seen.push({ path, headers: req.headers, body });
        this.handle(path, req, res, body, raw);
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((r) => this.server?.close(r));
  }

  protected abstract handle(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown> | null,
    raw: string,
  ): void;

  protected json(res: ServerResponse, status: number, value: unknown, headers = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  }

  /**
   * Send `pieces` as server-sent events, one per tick; stop at `hold` (keep the stream open)
   * and count a client that leaves early as an aborted stream.
   */
  protected stream(
    res: ServerResponse,
    events: ({ event?: string; data: unknown } | 'hold')[],
  ): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    this.openStreams++;
    let done = false;
    res.on('close', () => {
      this.openStreams--;
      if (!done) this.abortedStreams++;
    });
    const send = (i: number) => {
      if (res.destroyed) return;
      const e = events[i];
      if (e === 'hold') return; // nothing more until the client goes away
      if (e === undefined) {
        done = true;
        res.end();
        return;
      }
      const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
      res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${data}\n\n`);
      setImmediate(() => send(i + 1));
    };
    send(0);
  }
}
