import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEvent } from '@spin/protocol';
import { TestClient, startPaired, type Harness } from './fixtures.js';

const LINES = 100_000;
/** One iopub message per line: ipykernel sends a stream message at every flush. */
const CODE = `for i in range(${LINES}):\n    print(i, flush=True)`;

/** The stdout text of one cell's journal events, in order. */
function stdout(events: JournalEvent[]): string {
  return events
    .map((e) => (e.type === 'stream' && e.data.name === 'stdout' ? e.data.text : ''))
    .join('');
}

/** Every number 0..LINES-1 exactly once and in order; what is missing, if not. */
function check(text: string) {
  const lines = text.split('\n');
  const last = lines.pop();
  const seen = new Uint8Array(LINES);
  let outOfOrder = 0;
  lines.forEach((l, i) => {
    const n = Number(l);
    if (Number.isInteger(n) && n >= 0 && n < LINES) seen[n]!++;
    if (l !== String(i)) outOfOrder++;
  });
  const missing = seen.reduce((k, c) => k + (c === 0 ? 1 : 0), 0);
  const repeated = seen.reduce((k, c) => k + (c > 1 ? 1 : 0), 0);
  return {
    lines: lines.length,
    first: lines[0],
    last: lines.at(-1),
    trailing: last,
    missing,
    repeated,
    outOfOrder,
  };
}

const complete = {
  lines: LINES,
  first: '0',
  last: String(LINES - 1),
  trailing: '',
  missing: 0,
  repeated: 0,
  outOfOrder: 0,
};

/**
 * ZeroMQ PUB sockets never block: once the pipe to a subscriber is full (the kernel's send HWM
 * plus the runtime's receive HWM), ipykernel's iopub socket drops messages. A cell that prints
 * and flushes line by line outruns any consumer, so this is where output went missing.
 */
describe('no iopub message is lost (real ipykernel)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startPaired();
  });
  afterAll(async () => {
    await h.close();
  });

  it(`journals all ${LINES} flushed prints, to a fast and a slow client and from disk`, async () => {
    const token = await h.server.token();
    const fast = await TestClient.session(h.rt.url, token);
    const slow = await TestClient.session(h.rt.url, token);
    // the slow client stops reading its socket while the cell runs, then reads in small sips
    const slowSocket = (slow.ws as unknown as { _socket: Socket })._socket;
    slowSocket.pause();
    const events = await fast.run(await h.server.python(CODE));
    const end = events.at(-1);
    expect(end?.type === 'cell_ended' && end.data.status).toBe('ok');
    expect(check(stdout(events))).toEqual(complete);

    const sip = setInterval(() => {
      slowSocket.resume();
      setImmediate(() => slowSocket.pause());
    }, 5);
    const jti = events[0]!.jti;
    await slow.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended',
    );
    clearInterval(sip);
    slowSocket.resume();
    const slowEvents = slow.events().filter((e) => e.jti === jti);
    expect(check(stdout(slowEvents))).toEqual(complete);
    expect(slowEvents).toEqual(events);

    // a late joiner replays the same journal from disk
    const late = await TestClient.session(h.rt.url, token);
    await late.next(
      (m) => m.type === 'event' && m.event.jti === jti && m.event.type === 'cell_ended',
    );
    expect(late.events().filter((e) => e.jti === jti)).toEqual(events);
    for (const c of [fast, slow, late]) c.close();
  });
});
