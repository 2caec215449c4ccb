import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonicalJson.js';
import {
  applyJournalEvent,
  emptyOutputState,
  outputsFromEvents,
  type JournalEvent,
} from './journal.js';

const base = { sid: 's', cell: 'c', jti: 'j', ts: '2026-01-01T00:00:00.000Z' };
let seq = 0;
const ev = (e: Omit<JournalEvent, 'sid' | 'cell' | 'jti' | 'ts' | 'seq'>): JournalEvent =>
  ({ ...base, seq: ++seq, ...e }) as JournalEvent;
const stream = (name: 'stdout' | 'stderr', text: string) =>
  ev({ type: 'stream', data: { output_type: 'stream', name, text } });

describe('outputsFromEvents (the reducer every tier digests receipts with)', () => {
  it('coalesces consecutive chunks of the same stream, like Jupyter front ends', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('stdout' as const, 'stderr' as const), fc.string()), {
          maxLength: 40,
        }),
        (chunks) => {
          const outputs = outputsFromEvents(chunks.map(([n, t]) => stream(n, t)));
          // all text is kept, in order
          expect(outputs.map((o) => (o.output_type === 'stream' ? o.text : '')).join('')).toBe(
            chunks.map(([, t]) => t).join(''),
          );
          // no two neighbours share a stream name
          for (let i = 1; i < outputs.length; i++) {
            expect((outputs[i] as { name: string }).name).not.toBe(
              (outputs[i - 1] as { name: string }).name,
            );
          }
        },
      ),
    );
  });

  it('clears now, or on the next output with wait=true, and updates displays by id', () => {
    const display = ev({
      type: 'display_data',
      data: {
        output_type: 'display_data',
        data: { 'text/plain': 'v1' },
        metadata: {},
        transient: { display_id: 'd' },
      },
    });
    const events = [
      stream('stdout', 'gone'),
      ev({ type: 'clear_output', data: { wait: false } }),
      display,
      ev({
        type: 'update_display_data',
        data: { display_id: 'd', data: { 'text/plain': 'v2' }, metadata: {} },
      }),
      stream('stdout', 'a'),
      ev({ type: 'clear_output', data: { wait: true } }),
    ];
    const before = outputsFromEvents(events);
    expect(before).toHaveLength(2); // wait=true keeps outputs until the next one arrives
    expect(before[0]).toMatchObject({ output_type: 'display_data', data: { 'text/plain': 'v2' } });
    const after = events
      .concat(stream('stderr', 'b'))
      .reduce(applyJournalEvent, emptyOutputState());
    expect(after.outputs).toEqual([{ output_type: 'stream', name: 'stderr', text: 'b' }]);
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order, so the server recomputes the runtime digest exactly', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
    );
  });
});
