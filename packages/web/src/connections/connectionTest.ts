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
 * Test a connection the way any cell runs (DESIGN.md §1): open a session for a notebook of the
 * workspace on `runtime`, have the server compile the connection's health check for it, relay
 * the sealed program (and, when needed, the credential bundle) to the runtime, wait for the
 * end and the audited receipt, then close the session.
 */
export async function testConnection(opts: {
  connectionId: string;
  notebookId: string;
  runtime: Runtime;
}): Promise<ConnectionTestResult> {
  const session = await NotebookSession.open({
    api,
    notebookId: opts.notebookId,
    runtime: opts.runtime,
  });
  try {
    const result = await session.testConnection(opts.connectionId);
    await result.audited.catch(() => null); // the receipt is relayed before the socket closes
    const text = outputText(result.outputs);
    return result.status === 'ok'
      ? { ok: true, text: text || 'connected' }
      : { ok: false, text: text || `the health check ended with status ${result.status}` };
  } finally {
    session.close();
  }
}
