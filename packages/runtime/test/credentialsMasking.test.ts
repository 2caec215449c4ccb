import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BLOB_REF_MIME,
  BlobRefSchema,
  outputsFromEvents,
  verifyReceipt,
  type JournalEvent,
} from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';
import {
  endOf,
  filesContaining,
  outputText,
  relay,
  sealBundle,
  secret,
  uses,
} from './credentialFixtures.js';

/** Issue 9, acceptance 1 (runtime half): a canary secret never leaves the runtime unmasked. */
const CANARY = `Cn4ry-7Hq2/x+Z9'pw"q~`;
const bytes = Buffer.from(CANARY, 'utf8');
/** Every spelling a leak could take, written out here independently of the masker. */
const SPELLINGS = [
  CANARY,
  bytes.toString('base64'),
  bytes.toString('base64').replace(/=+$/, ''),
  bytes.toString('base64url'),
  bytes.toString('hex'),
  bytes.toString('hex').toUpperCase(),
  encodeURIComponent(CANARY),
  'Cn4ry-7Hq2/x%2BZ9%27pw%22q~', // Python urllib.parse.quote
  'Cn4ry-7Hq2%2Fx%2BZ9%27pw%22q~', // quote_plus
  'Cn4ry-7Hq2/x+Z9\'pw\\"q~', // JSON string body
  'Cn4ry-7Hq2/x+Z9\\\'pw"q~', // Python repr body
];
const MASK = '[secret:CANARY]';
const CREDS = uses(1, { CANARY: 'sec_canary' });

const PYTHON = String.raw`
import base64, json, sys, urllib.parse
s = SpinSecrets.get_secret("CANARY")
print(s)
print(base64.b64encode(s.encode()).decode())
print(base64.urlsafe_b64encode(s.encode()).decode())
print(urllib.parse.quote(s))
print(urllib.parse.quote_plus(s))
print(s.encode().hex())
print(s.encode().hex().upper())
print(json.dumps(s))
print(json.dumps({"pw": s}))
for ch in s:
    sys.stdout.write(ch)
    sys.stdout.flush()
print()
for ch in s:
    sys.stderr.write(ch)
    sys.stderr.flush()
display({"text/plain": s, "application/json": {"pw": s}}, raw=True)
s
`;

const SHELL = String.raw`
V="{{secret:CANARY}}"
echo "$V"
printf %s "$V" | base64
printf %s "$V" | od -An -v -tx1 | tr -d ' \n'; echo
python3 -c 'import sys, json, urllib.parse; print(urllib.parse.quote(sys.argv[1])); print(json.dumps(sys.argv[1]))' "$V"
for ((i = 0; i < ${'${#V}'}; i++)); do printf %s "${'${V:$i:1}'}"; sleep 0.02; done; echo
echo "{{secret:CANARY}}" >&2
`;

function leaks(text: string): string[] {
  return SPELLINGS.filter((s) => text.includes(s));
}

describe('a canary secret is masked everywhere it could leave the runtime', () => {
  let h: Harness;
  let client: TestClient;
  const runs: JournalEvent[][] = [];

  beforeAll(async () => {
    h = await startPaired({ outputInlineBytes: 8192 });
    client = await TestClient.session(h.rt.url, await h.server.token());
    const ack = await relay(
      client,
      await sealBundle(h, 1, { secrets: [secret('sec_canary', 'CANARY', { value: CANARY })] }),
    );
    expect(ack).toMatchObject({ type: 'credentials_ack', version: 1 });
  });
  afterAll(async () => {
    client?.close();
    await h?.close();
  });

  it('masks it in a Python cell: plain, encoded, one character at a time, display and result', async () => {
    const events = await client.run(await h.server.python(PYTHON, CREDS));
    runs.push(events);
    expect(endOf(events).status).toBe('ok');
    const text = outputText(events);
    expect(leaks(text)).toEqual([]);
    const stdout = events
      .flatMap((e) => (e.type === 'stream' && e.data.name === 'stdout' ? [e.data.text] : []))
      .join('');
    // each print shows the mask where the value (or its encoding) was
    expect(stdout.split('\n').slice(0, 10)).toEqual([
      MASK,
      MASK, // base64 (padding, when there is any, stays)
      MASK,
      MASK,
      MASK,
      MASK,
      MASK,
      `"${MASK}"`,
      `{"pw": "${MASK}"}`,
      MASK, // written one character at a time
    ]);
    const stderr = events
      .flatMap((e) => (e.type === 'stream' && e.data.name === 'stderr' ? [e.data.text] : []))
      .join('');
    expect(stderr).toBe(MASK);
    const display = events.find((e) => e.type === 'display_data');
    expect(display?.type === 'display_data' && display.data.data).toEqual({
      'text/plain': MASK,
      'application/json': { pw: MASK },
    });
    const result = events.find((e) => e.type === 'execute_result');
    expect(result?.type === 'execute_result' && result.data.data['text/plain']).toBe(`'${MASK}'`);
  });

  it('masks it in a traceback, and in a later cell that prints a value kept in a variable', async () => {
    const raised = await client.run(await h.server.python('raise ValueError(s)'));
    runs.push(raised);
    expect(endOf(raised).status).toBe('error');
    expect(outputText(raised)).toContain(`ValueError: ${MASK}`);
    expect(leaks(outputText(raised))).toEqual([]);
    // the kept value is still masked: every secret resolved for the session is
    const later = await client.run(await h.server.python('print(s[::-1][::-1])'));
    runs.push(later);
    expect(outputText(later)).toBe(`${MASK}\n`);
  });

  it('masks it in kernel replies (inspect shows a value) and in input prompts', async () => {
    client.send({
      type: 'kernel_request',
      requestId: 'inspect1',
      request: 'inspect',
      code: 's',
      cursorPos: 1,
      detailLevel: 0,
    });
    const reply = await client.next((m) => m.type === 'kernel_reply' && m.requestId === 'inspect1');
    const shown = JSON.stringify(reply);
    expect(shown).toContain(MASK);
    expect(leaks(shown)).toEqual([]);
    const sent = await client.execute(await h.server.python('x = input(f"again {s}? ")'));
    expect(sent.type).toBe('accepted');
    const ask = await client.next((m) => m.type === 'input_request');
    expect(ask).toMatchObject({ prompt: `again ${MASK}? ` });
    client.send({ type: 'input_reply', jti: sent.type === 'accepted' ? sent.jti : '', value: 'y' });
    await client.next(
      (m) =>
        m.type === 'event' &&
        m.event.type === 'cell_ended' &&
        sent.type === 'accepted' &&
        m.event.jti === sent.jti,
    );
  });

  it('gives a later cell that does not name the secret no way to read it', async () => {
    const events = await client.run(
      await h.server.python('SpinSecrets.get_secret("CANARY")', uses(1, {})),
    );
    runs.push(events);
    expect(endOf(events).status).toBe('error');
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.data.ename).toBe('SpinSecretError');
    expect(err?.type === 'error' && err.data.evalue).toMatch(
      /^secret\.unavailable: this cell may not use secret "CANARY"/,
    );
  });

  it('masks it in a shell cell: plain, encoded and one character at a time', async () => {
    const events = await client.run(await h.server.shell(SHELL, CREDS));
    runs.push(events);
    expect(endOf(events)).toMatchObject({ status: 'ok', exitCode: 0 });
    const text = outputText(events);
    expect(leaks(text)).toEqual([]);
    const stdout = events
      .flatMap((e) => (e.type === 'stream' && e.data.name === 'stdout' ? [e.data.text] : []))
      .join('');
    expect(stdout.split('\n').slice(0, 6)).toEqual([MASK, MASK, MASK, MASK, `"${MASK}"`, MASK]);
  });

  it('masks it in output that spills to a blob', async () => {
    const events = await client.run(
      await h.server.shell(
        'for i in $(seq 1 3000); do echo "line $i {{secret:CANARY}}"; done',
        CREDS,
      ),
    );
    runs.push(events);
    expect(endOf(events).status).toBe('ok');
    const refEvent = events.find((e) => e.type === 'display_data' && BLOB_REF_MIME in e.data.data);
    expect(refEvent).toBeDefined();
    const ref = BlobRefSchema.parse(
      refEvent?.type === 'display_data' && refEvent.data.data[BLOB_REF_MIME],
    );
    const res = await fetch(`${h.rt.url}${ref.path}`, {
      headers: { authorization: `Bearer ${await h.server.token()}` },
    });
    expect(res.status).toBe(200);
    const blob = await res.text();
    expect(blob.split('\n')[1500]).toBe(`line 1501 ${MASK}`);
    expect(leaks(blob)).toEqual([]);
  });

  it('signs receipts over the masked outputs and writes no spelling to logs or disk', async () => {
    for (const events of runs) {
      const end = endOf(events);
      await verifyReceipt(end.receipt, h.rt.identity.keys.signing, outputsFromEvents(events));
      const payload = Buffer.from(end.receipt.split('.')[1]!, 'base64url').toString('utf8');
      expect(leaks(payload)).toEqual([]);
    }
    expect(leaks(JSON.stringify(client.messages))).toEqual([]);
    expect(leaks(h.logs.text)).toEqual([]);
    expect(h.logs.text).toContain('"credentialsVersion":1');
    // journals, blobs, cell results, the credential store (encrypted), kernel files…
    expect(filesContaining(h.home, SPELLINGS)).toEqual([]);
  });
});
