import { describe, expect, it } from 'vitest';
import { parseCompleteReply } from '@spin/client';
import { kernelCompletionResult } from './kernelCompletion';

describe('kernel completions as editor options', () => {
  it('maps a complete_reply range in code points onto the document in UTF-16', () => {
    const doc = 's = "😀"; os.pa';
    const reply = parseCompleteReply(
      { status: 'ok', matches: ['os.path', 'os.pardir'], cursor_start: 9, cursor_end: 14 },
      14,
    );
    const r = kernelCompletionResult(doc, reply)!;
    expect(doc.slice(r.from, r.to)).toBe('os.pa');
    expect(r.options.map((o) => o.label)).toEqual(['os.path', 'os.pardir']);
    // accepting the first option gives what the kernel meant
    expect(doc.slice(0, r.from) + r.options[0]!.label + doc.slice(r.to!)).toBe('s = "😀"; os.path');
  });

  it("types options from _jupyter_types_experimental and keeps the kernel's order", () => {
    const reply = parseCompleteReply(
      {
        status: 'ok',
        matches: ['open', 'operator', 'os'],
        cursor_start: 0,
        cursor_end: 1,
        metadata: {
          _jupyter_types_experimental: [
            { start: 0, end: 1, text: 'open', type: 'function', signature: '(file, mode)' },
            { start: 0, end: 1, text: 'operator', type: 'module' },
            { start: 0, end: 1, text: 'os', type: 'unknown-kind' },
          ],
        },
      },
      1,
    );
    const r = kernelCompletionResult('o', reply)!;
    expect(r.options).toMatchObject([
      { label: 'open', type: 'function', detail: '(file, mode)' },
      { label: 'operator', type: 'namespace', detail: 'module' },
      { label: 'os', type: 'variable', detail: 'unknown-kind' },
    ]);
    const boosts = r.options.map((o) => o.boost!);
    expect([...boosts].sort((a, b) => b - a)).toEqual(boosts);
  });

  it('has no result for an empty or failed reply, and tolerates missing fields', () => {
    expect(kernelCompletionResult('x', parseCompleteReply({ status: 'ok', matches: [] }, 1))).toBe(
      null,
    );
    expect(
      kernelCompletionResult('x', parseCompleteReply({ status: 'error', matches: ['x1'] }, 1)),
    ).toBe(null);
    const bare = parseCompleteReply({ matches: ['ab', 'ab', 3] }, 2);
    expect(bare).toEqual({ matches: ['ab', '3'], cursorStart: 2, cursorEnd: 2, types: {} });
  });
});
