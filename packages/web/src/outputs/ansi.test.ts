import { describe, expect, it } from 'vitest';
import {
  ANSI_PALETTE,
  backgroundFor,
  legibleOn,
  legibleOnLight,
  parseAnsi,
  readableOn,
  stripAnsi,
  xterm256,
} from './ansi';

const ESC = '\u001b';

describe('parseAnsi', () => {
  it('returns plain text as one unstyled segment', () => {
    expect(parseAnsi('hello <b>world</b>')).toEqual([{ text: 'hello <b>world</b>', style: {} }]);
  });

  it('styles a typical IPython traceback line and resets', () => {
    const line = `${ESC}[0;31mZeroDivisionError${ESC}[0m: division by zero`;
    expect(parseAnsi(line)).toEqual([
      { text: 'ZeroDivisionError', style: { fg: ANSI_PALETTE[1] } },
      { text: ': division by zero', style: {} },
    ]);
  });

  it('combines bold, bright colours and backgrounds, and 22/39 turn them off', () => {
    const segs = parseAnsi(`${ESC}[1;92;44mA${ESC}[22mB${ESC}[39;49mC`);
    expect(segs).toEqual([
      { text: 'A', style: { bold: true, fg: ANSI_PALETTE[10], bg: ANSI_PALETTE[4] } },
      { text: 'B', style: { fg: ANSI_PALETTE[10], bg: ANSI_PALETTE[4] } },
      { text: 'C', style: {} },
    ]);
  });

  it('supports 256-colour and truecolour', () => {
    const segs = parseAnsi(`${ESC}[38;5;196mred${ESC}[48;2;10;20;30mbg`);
    expect(segs[0]).toEqual({ text: 'red', style: { fg: 'rgb(255, 0, 0)' } });
    expect(segs[1]).toEqual({
      text: 'bg',
      style: { fg: 'rgb(255, 0, 0)', bg: 'rgb(10, 20, 30)' },
    });
  });

  it('treats an empty SGR (ESC[m) as reset', () => {
    expect(parseAnsi(`${ESC}[31mx${ESC}[my`)).toEqual([
      { text: 'x', style: { fg: ANSI_PALETTE[1] } },
      { text: 'y', style: {} },
    ]);
  });

  it('drops non-SGR sequences (cursor moves, OSC titles) but keeps the text', () => {
    const input = `a${ESC}[2Kb${ESC}]0;title\u0007c${ESC}[?25ld`;
    expect(parseAnsi(input)).toEqual([{ text: 'abcd', style: {} }]);
  });

  it('ignores malformed extended colours without throwing away text', () => {
    expect(parseAnsi(`${ESC}[38;9;1mx`)).toEqual([{ text: 'x', style: {} }]);
    expect(parseAnsi(`${ESC}[38;2;300;0;0mx`)).toEqual([{ text: 'x', style: {} }]);
  });
});

describe('stripAnsi', () => {
  it('removes escapes', () => {
    expect(stripAnsi(`${ESC}[1;31mError${ESC}[0m: boom`)).toBe('Error: boom');
  });
});

describe('xterm256', () => {
  it('maps the cube and grey ramp', () => {
    expect(xterm256(16)).toBe('rgb(0, 0, 0)');
    expect(xterm256(231)).toBe('rgb(255, 255, 255)');
    expect(xterm256(232)).toBe('rgb(8, 8, 8)');
    expect(xterm256(256)).toBeUndefined();
  });
});

/** WCAG contrast of two `#rrggbb` / `rgb(r, g, b)` colours, computed here independently. */
function ratio(a: string, b: string): number {
  const lum = (c: string) => {
    const v = c.startsWith('#')
      ? [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))
      : c.slice(4, -1).split(', ').map(Number);
    const [r, g, bl] = v.map((x) => {
      const s = x / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
// the page, a panel, an error box, a stderr box (styles.css)
const SURFACES = ['#f6f7f9', '#ffffff', '#fdf0ef', '#fff3f2'];

describe('readable colours on the light theme', () => {
  it('keeps every palette colour but the whites at 4.5:1 or more on every surface', () => {
    ANSI_PALETTE.forEach((colour, n) => {
      if (n === 7 || n === 15) return; // white and bright white: background colours here
      for (const bg of SURFACES)
        expect(ratio(colour, bg), `${n} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    });
  });

  it("darkens IPython's 256-colour traceback colours just enough, keeping their hue", () => {
    for (const n of [28, 167, 31, 214]) {
      const asked = xterm256(n)!;
      const shown = legibleOnLight(asked);
      for (const bg of SURFACES) expect(ratio(shown, bg)).toBeGreaterThanOrEqual(4.5);
      expect(ratio(shown, '#fdf0ef')).toBeLessThan(5.5); // not pushed to black
    }
    expect(legibleOnLight('rgb(215, 95, 95)')).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
  });

  it('leaves colours that already read well, and ones it cannot parse, unchanged', () => {
    expect(legibleOnLight('#1d2330')).toBe('#1d2330');
    expect(legibleOnLight(ANSI_PALETTE[1]!)).toBe(ANSI_PALETTE[1]);
    expect(legibleOnLight('var(--bg)')).toBe('var(--bg)');
  });
});

// the dark theme's page, panel, code background and stderr box (styles.css, data-theme=dark)
const DARK_SURFACES = ['#14171c', '#1c2027', '#262b34', '#2d1c1d'];

describe('readable colours on the dark theme', () => {
  it('lightens every palette colour but the blacks to 4.5:1 or more on every dark surface', () => {
    ANSI_PALETTE.forEach((colour, n) => {
      if (n === 0) return; // black: a background colour on a dark page
      const shown = legibleOn('dark', colour);
      for (const bg of DARK_SURFACES)
        expect(ratio(shown, bg), `${n} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    });
  });

  it("keeps IPython's traceback colours' hue, lightened just enough", () => {
    const shown = legibleOn('dark', ANSI_PALETTE[4]!); // blue #1d63c4
    const [r, g, b] = shown.match(/\d+/g)!.map(Number) as [number, number, number];
    expect(b).toBeGreaterThan(r); // still blue
    expect(b).toBeGreaterThan(g);
    expect(ratio(shown, '#2d2b34')).toBeLessThan(5.5); // not pushed to white
    expect(legibleOn('dark', '#e3e6eb')).toBe('#e3e6eb');
  });
});

describe('background colours under the page’s own text', () => {
  it('give way until the theme’s text colour reads on them, keeping their hue', () => {
    const yellow = ANSI_PALETTE[3]!; // #946300: IPython's mark on the failing expression
    expect(ratio('#e3e6eb', backgroundFor('dark', yellow))).toBeGreaterThanOrEqual(4.5);
    expect(ratio('#1d2330', backgroundFor('light', yellow))).toBeGreaterThanOrEqual(4.5);
    const [r, g, b] = backgroundFor('dark', yellow).match(/\d+/g)!.map(Number) as number[];
    expect(r).toBeGreaterThan(b!); // still a yellow-brown
    expect(g).toBeGreaterThan(b!);
    expect(backgroundFor('light', '#ffffff')).toBe('#ffffff');
  });
});

describe('text on a background the program chose', () => {
  it('moves toward black or white until it reads on it', () => {
    const green = ANSI_PALETTE[2]!; // a number token on IPython's yellow mark
    const mark = ANSI_PALETTE[3]!;
    expect(ratio(readableOn(green, mark), mark)).toBeGreaterThanOrEqual(4.5);
    expect(readableOn('#000000', '#ffffff')).toBe('#000000');
    expect(readableOn('var(--fg)', '#946300')).toBe('var(--fg)');
  });
});
