import { describe, expect, it } from 'vitest';
import { inspectText } from './inspectTooltip';

describe('inspect tooltip text', () => {
  it("shows an inspect_reply's plain text without IPython's terminal colours", () => {
    const data = {
      'text/plain':
        '\u001b[0;31mSignature:\u001b[0m \u001b[0mlen\u001b[0m\u001b[0;34m(\u001b[0mobj\u001b[0m)\n\n',
      'text/html': '<b>ignored</b>',
    };
    expect(inspectText(data)).toBe('Signature: len(obj)');
  });

  it('shows nothing for a reply without text', () => {
    expect(inspectText({})).toBe(null);
    expect(inspectText({ 'text/plain': '  \n' })).toBe(null);
    expect(inspectText({ 'text/plain': 42 })).toBe(null);
  });
});
