import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendTerminalText, collapseTerminalText } from './terminalText.js';

/** What a terminal screen shows for `text` (a reference model: a cursor over lines of cells). */
function screen(text: string): string {
  const lines: string[][] = [[]];
  let col = 0;
  for (const ch of text) {
    const line = lines[lines.length - 1]!;
    if (ch === '\n') {
      lines.push([]);
      col = 0;
    } else if (ch === '\r') col = 0;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else line[col++] = ch;
  }
  return lines.map((l) => l.join('')).join('\n');
}

/** How collapsed text renders: each line up to its cursor marker. */
const shown = (collapsed: string) =>
  collapsed
    .split('\n')
    .map((l) => l.split('\r')[0])
    .join('\n');

describe('terminal text collapse', () => {
  it('turns a 10,000-update progress bar into one line', () => {
    let text = '';
    for (let i = 0; i <= 10_000; i++) {
      text = appendTerminalText(text, `\r${String(Math.floor(i / 100)).padStart(3)}%|`);
    }
    text = appendTerminalText(text, '\ndone\n');
    expect(text).toBe('100%|\ndone\n');
  });

  it('overwrites as a terminal does: shorter text keeps the rest, backspace moves left', () => {
    expect(collapseTerminalText('100%\rab\n')).toBe('ab0%\n');
    expect(collapseTerminalText('abc\b\bX')).toBe('aXc\ra' + 'X');
    expect(shown(collapseTerminalText('abc\b\bX'))).toBe('aXc');
    expect(collapseTerminalText('line\r\nnext')).toBe('line\nnext');
  });

  it('keeps the cursor across chunks', () => {
    expect(appendTerminalText('abc\r', 'X')).toBe('Xbc\rX');
    expect(appendTerminalText(appendTerminalText('abc\r', 'X'), 'Y\n')).toBe('XYc\n');
  });

  it('matches a terminal for any text, however it is split into chunks', () => {
    const alphabet = fc.constantFrom('a', 'b', 'é', '\r', '\b', '\n');
    fc.assert(
      fc.property(fc.array(fc.array(alphabet, { maxLength: 12 }), { maxLength: 8 }), (chunks) => {
        const parts = chunks.map((c) => c.join(''));
        const whole = parts.join('');
        const folded = parts.reduce(appendTerminalText, '');
        expect(folded).toBe(collapseTerminalText(whole));
        expect(shown(folded)).toBe(screen(whole));
        expect(folded).not.toContain('\b');
      }),
    );
  });
});
