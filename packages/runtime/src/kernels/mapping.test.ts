import { describe, expect, it } from 'vitest';
import { boundedOutput, mapKernelOutput } from './mapping.js';
import { readExecuteReply, readInputRequest, readOutput, readStatus } from './messages.js';
import { MessageCodec } from './wire.js';

const codec = new MessageCodec('k');

describe('Jupyter message readers', () => {
  it('reads execute_reply, status, input_request and outputs, and nothing else as them', () => {
    const reply = codec.create('execute_reply', { status: 'weird', execution_count: 'x' });
    expect(readExecuteReply(reply)).toEqual({ status: 'error', executionCount: null });
    const ok = codec.create('execute_reply', { status: 'ok', execution_count: 3 });
    expect(readExecuteReply(ok)).toEqual({ status: 'ok', executionCount: 3 });
    expect(readStatus(codec.create('status', { execution_state: 'idle' }))).toBe('idle');
    expect(readStatus(ok)).toBeNull();
    const input = codec.create('input_request', { prompt: 'pw: ', password: true });
    expect(readInputRequest(input)).toEqual({ prompt: 'pw: ', password: true });
    expect(readInputRequest(ok)).toBeNull();
    expect(readOutput(codec.create('stream', { name: 'stdout', text: 'hi' }))).toEqual({
      msgType: 'stream',
      content: { name: 'stdout', text: 'hi' },
    });
    expect(readOutput(codec.create('comm_msg', {}))).toBeNull();
  });
});

describe('iopub → SPIN output mapping', () => {
  it('maps streams, rich outputs, clear_output and display updates', () => {
    expect(
      mapKernelOutput({ msgType: 'stream', content: { name: 'stderr', text: 'oops' } }),
    ).toEqual({ kind: 'stream', name: 'stderr', text: 'oops' });
    const shown = mapKernelOutput({
      msgType: 'display_data',
      content: { data: { 'text/plain': 'x' }, metadata: {}, transient: { display_id: 'd1' } },
    });
    expect(shown).toEqual({
      kind: 'rich',
      event: {
        type: 'display_data',
        data: {
          output_type: 'display_data',
          data: { 'text/plain': 'x' },
          metadata: {},
          transient: { display_id: 'd1' },
        },
      },
      bytes: JSON.stringify({ 'text/plain': 'x' }).length,
    });
    expect(
      mapKernelOutput({
        msgType: 'execute_result',
        content: { execution_count: 2, data: { 'text/plain': '4' } },
      }),
    ).toMatchObject({
      kind: 'rich',
      event: { type: 'execute_result', data: { execution_count: 2 } },
    });
    expect(mapKernelOutput({ msgType: 'clear_output', content: { wait: true } })).toEqual({
      kind: 'clear',
      wait: true,
    });
    expect(mapKernelOutput({ msgType: 'update_display_data', content: { data: {} } })).toBeNull();
  });

  it('replaces an output nested too deep by an error saying so', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const out = boundedOutput({ msgType: 'display_data', content: { data: { 'x/y': deep } } });
    expect(out.msgType).toBe('error');
    expect(String(out.content.evalue)).toMatch(/^runtime\.output_too_deep: a display_data output/);
  });
});
