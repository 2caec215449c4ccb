import { NotebookSession } from '@spin/client';
import type { Output, Runtime } from '@spin/protocol';
import { api } from '../app/api';

/** What a "Test" showed: the runtime's "✓ name: connected" line, or why it failed. */
export interface ConnectionTestResult {
  ok: boolean;
  text: string;
}

function outputText(outputs: readonly Output[]): string {
  const parts: string[] = [];
  for (const o of outputs) {
    if (o.output_type === 'stream') parts.push(Array.isArray(o.text) ? o.text.join('') : o.text);
    else if (o.output_type === 'error') parts.push(`${o.ename}: ${o.evalue}`);
  }
  return parts.join('\n').trim();
}

/**
 * Tests a connection the way any cell runs (DESIGN.md §1): in a session for a notebook of the
 * workspace on a runtime, the server compiles the connection's health check, and the client
 * relays the sealed program (and, when needed, the credential bundle) to the runtime, waits for
 * the end and relays the receipt. One session per (notebook, runtime) is opened on first use
 * and kept until {@link ConnectionTester.close}, so testing several connections does not open a
 * session each.
 */
export class ConnectionTester {
  private readonly sessions = new Map<string, Promise<NotebookSession>>();
  private closed = false;

  async test(opts: {
    connectionId: string;
    notebookId: string;
    runtime: Runtime;
  }): Promise<ConnectionTestResult> {
    const session = await this.session(opts.notebookId, opts.runtime);
    const result = await session.testConnection(opts.connectionId);
    await result.audited.catch(() => null); // its receipt is relayed like any run's
    const text = outputText(result.outputs);
    return result.status === 'ok'
      ? { ok: true, text: text || 'connected' }
      : { ok: false, text: text || `the health check ended with status ${result.status}` };
  }

  private session(notebookId: string, runtime: Runtime): Promise<NotebookSession> {
    if (this.closed) return Promise.reject(new Error('the page was closed'));
    const key = `${notebookId}|${runtime.id}|${runtime.url}`;
    let p = this.sessions.get(key);
    if (!p) {
      p = NotebookSession.open({ api, notebookId, runtime });
      this.sessions.set(key, p);
      p.catch(() => this.sessions.delete(key)); // a failed open is retried by the next test
    }
    return p;
  }

  /** Close every session opened (the page went away). */
  close(): void {
    this.closed = true;
    for (const p of this.sessions.values()) p.then((s) => s.close()).catch(() => undefined);
    this.sessions.clear();
  }
}
