import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { OpenAIEmulator } from '../src/processors/llm/openaiEmulator.js';
import type { ProcessorConnection } from '../src/processors/types.js';
import { TestClient, startPaired, type Harness } from './fixtures.js';

function text(events: JournalEvent[], name: 'stdout' | 'stderr'): string {
  return events
    .flatMap((e) => (e.type === 'stream' && e.data.name === name ? [e.data.text] : []))
    .join('');
}

function errorText(events: JournalEvent[]): string {
  return events
    .flatMap((e) => (e.type === 'error' ? [`${e.data.ename}: ${e.data.evalue}`] : []))
    .join('\n');
}

// Issue 10, LLM: the prompt takes earlier cells' results; the answer streams into the journal
// and ends as markdown; its result (with `raw` = the final message) is data for Python.
describe('an LLM cell in a session (real runtime, real ipykernel, OpenAI emulator)', () => {
  const key = `sk-e2e-${crypto.randomUUID()}`;
  const emu = new OpenAIEmulator(key);
  let h: Harness;
  let client: TestClient;

  beforeAll(async () => {
    await emu.start();
    const connection: ProcessorConnection = {
      name: 'assistant',
      config: { provider: 'openai', baseUrl: `${emu.url}/v1`, model: 'spin-test-model' },
      secrets: { apiKey: key },
    };
    h = await startPaired({
      connections: { get: (name) => (name === connection.name ? connection : undefined) },
    });
    client = await TestClient.session(h.rt.url, await h.server.token());
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await h?.close();
    await emu.stop();
  });

  it("puts an earlier cell's result into the prompt and streams the answer", async () => {
    const hosts = await client.run(
      await h.server.cell({
        id: 'hosts_cell',
        type: 'shell',
        source: `echo '{"host": "web-1", "errors": 3}'; echo '{"host": "db-1", "errors": 41}'`,
        params: { output: 'jsonl' },
        resultVar: 'hosts',
      }),
    );
    expect(errorText(hosts)).toBe('');
    const events = await client.run(
      await h.server.cell({
        id: 'ask',
        type: 'llm',
        source: 'Why does {{hosts.rows.1.host}} log {{hosts.rows.1.errors}} errors?',
        connection: 'assistant',
        params: { system: 'You are on call.' },
        resultVar: 'answer',
      }),
    );
    expect(errorText(events)).toBe('');
    expect(emu.seen.at(-1)!.body).toMatchObject({
      messages: [
        { role: 'system', content: 'You are on call.' },
        { role: 'user', content: 'Why does db-1 log 41 errors?' },
      ],
    });
    expect(text(events, 'stdout')).toBe(
      '## Answer\n\nYou asked: Why does db-1 log 41 errors?\n\n- system prompt: You are on call.\n- status: **ok**\n',
    );
    expect(events.filter((e) => e.type === 'stream').length).toBeGreaterThan(2);
    const md = events.find((e) => e.type === 'display_data');
    expect(md?.type === 'display_data' && md.data.data['text/markdown']).toContain(
      'You asked: Why does db-1 log 41 errors?',
    );
    expect(text(events, 'stderr')).toMatch(/^spin-test-model · 10 → \d+ tokens · stop\n$/);

    const py = await client.run(
      await h.server.python(
        'print(answer.raw["usage"]["prompt_tokens"], answer.raw["choices"][0]["finish_reason"], answer.rows[0]["line"])',
        { cell: 'py' },
      ),
    );
    expect(errorText(py)).toBe('');
    expect(text(py, 'stdout')).toBe('10 stop ## Answer\n');
    // The key went to the model provider only, never into the session's output.
    expect(JSON.stringify([hosts, events, py])).not.toContain(key);
  });
});
