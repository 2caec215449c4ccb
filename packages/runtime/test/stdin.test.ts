import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canonicalJson,
  outputsFromEvents,
  verifyReceipt,
  type JournalEvent,
  type RuntimeMessage,
} from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

type InputRequest = Extract<RuntimeMessage, { type: 'input_request' }>;

function text(events: JournalEvent[]): string {
  return events.map((e) => (e.type === 'stream' ? e.data.text : '')).join('');
}

function ended(events: JournalEvent[]) {
  const last = events[events.length - 1];
  if (last?.type !== 'cell_ended') throw new Error('no cell_ended');
  return last.data;
}

/** Every file under `dir`, recursively. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return [];
    return st.isDirectory() ? files(p) : st.isFile() ? [p] : [];
  });
}

describe('stdin: input() and getpass() answered by the client (real ipykernel)', () => {
  let h: Harness;
  let c: TestClient;
  beforeAll(async () => {
    h = await startPaired();
    c = await TestClient.session(h.rt.url, await h.server.token());
  });
  afterAll(async () => {
    c.close();
    await h.close();
  });

  async function start(code: string): Promise<{ jti: string; req: InputRequest }> {
    const r = await c.execute(await h.server.python(code));
    if (r.type !== 'accepted') throw new Error(JSON.stringify(r));
    const req = await c.next<InputRequest>((m) => m.type === 'input_request' && m.jti === r.jti);
    return { jti: r.jti, req };
  }

  async function endOf(jti: string): Promise<JournalEvent[]> {
    await c.next((m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended');
    return c.events().filter((e) => e.jti === jti);
  }

  it('uses the answer to input() and echoes prompt and answer into the output', async () => {
    const { jti, req } = await start('name = input("name? ")\nprint("hello", name)');
    expect(req).toMatchObject({ cell: 'c1', prompt: 'name? ', password: false });
    c.send({ type: 'input_reply', jti, value: 'Ada' });
    const events = await endOf(jti);
    expect(text(events)).toBe('name? Ada\nhello Ada\n');
    expect(ended(events).status).toBe('ok');
  });

  it('getpass() works and its answer is in no journal file, log line or receipt', async () => {
    const secret = 'pw-7f3a9c-Never-Stored';
    // the code checks a digest, so the secret itself is not in the program (or its history)
    const digest = createHash('sha256').update(secret).digest('hex');
    const { jti, req } = await start(
      'import getpass, hashlib\npw = getpass.getpass("Password: ")\n' +
        `print(len(pw), hashlib.sha256(pw.encode()).hexdigest() == "${digest}")`,
    );
    expect(req).toMatchObject({ prompt: 'Password: ', password: true });
    c.send({ type: 'input_reply', jti, value: secret });
    const events = await endOf(jti);
    // the kernel got it …
    expect(text(events)).toBe(`Password: \n${secret.length} True\n`);
    const end = ended(events);
    expect(end.status).toBe('ok');
    // … but the runtime kept it nowhere: not in the events, the receipt or what it digests …
    const outputs = outputsFromEvents(events);
    await verifyReceipt(end.receipt, h.rt.identity.keys.signing, outputs);
    expect(canonicalJson(outputs)).not.toContain(secret);
    const payload = Buffer.from(end.receipt.split('.')[1]!, 'base64url').toString('utf8');
    expect(payload).not.toContain(secret);
    const journaled = events.filter((e) => JSON.stringify(e).includes(secret));
    expect(journaled).toEqual([]);
    // … not on disk anywhere under SPIN_HOME (journal segments, blobs, state) …
    const journalFiles = files(join(h.home, 'sessions'));
    expect(journalFiles.some((f) => f.includes('journal'))).toBe(true);
    const leaked = files(h.home).filter((f) => readFileSync(f).includes(secret));
    expect(leaked).toEqual([]);
    // … and in no log line (the capture holds every debug line of this runtime)
    expect(h.logs.text.length).toBeGreaterThan(0);
    expect(h.logs.text).not.toContain(secret);
    // the prompt itself is journaled
    expect(journalFiles.some((f) => readFileSync(f, 'utf8').includes('Password: '))).toBe(true);
  });

  it("asks only the run's own user; another user's answer is refused and changes nothing", async () => {
    const other = await TestClient.session(h.rt.url, await h.server.token({ sub: 'usr_2' }));
    const { jti } = await start('v = input("who? ")\nprint("got", v)');
    expect(other.messages.some((m) => m.type === 'input_request')).toBe(false);
    other.send({ type: 'input_reply', requestId: 'x1', jti, value: 'mallory' });
    const refused = await other.next((m) => m.type === 'error' && m.requestId === 'x1');
    expect(refused).toMatchObject({ code: 'runtime.no_input_pending' });
    c.send({ type: 'input_reply', jti, value: 'alice' });
    const events = await endOf(jti);
    expect(text(events)).toBe('who? alice\ngot alice\n');
    other.close();
  });

  it('re-sends a pending request to a socket of the same user that attaches later', async () => {
    const { jti } = await start('v = input("again? ")\nprint(v)');
    const tab = await TestClient.session(h.rt.url, await h.server.token());
    const req = await tab.next<InputRequest>((m) => m.type === 'input_request');
    expect(req).toMatchObject({ jti, prompt: 'again? ' });
    tab.send({ type: 'input_reply', jti, value: 'from the other tab' });
    expect(text(await endOf(jti))).toBe('again? from the other tab\nfrom the other tab\n');
    tab.close();
  });

  it('an interrupt ends a cell waiting for input, and the kernel stays usable', async () => {
    const { jti } = await start('input("never answered: ")');
    c.send({ type: 'interrupt', requestId: 'int' });
    const events = await endOf(jti);
    expect(ended(events).status).toBe('interrupted');
    c.send({ type: 'input_reply', requestId: 'late', jti, value: 'too late' });
    const late = await c.next((m) => m.type === 'error' && m.requestId === 'late');
    expect(late).toMatchObject({ code: 'runtime.no_input_pending' });
    expect(text(await c.run(await h.server.python('print("next")')))).toBe('next\n');
  });
});
