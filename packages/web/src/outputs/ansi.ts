/**
 * A small ANSI escape-code parser for tracebacks and terminal output (ECMA-48 SGR, the
 * subset Jupyter kernels and shells emit: 16 colours, 256-colour and truecolour, bold, dim,
 * italic, underline, inverse). It returns plain text segments with a style, so the UI renders
 * them as React spans — the input is never interpreted as HTML. Other escape sequences
 * (cursor movement, OSC titles/hyperlinks) are dropped.
 */

/** Visual attributes of a run of text. Colours are CSS colour strings. */
export interface AnsiStyle {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

/**
 * The 16 base colours, tuned to stay readable on a light background (as JupyterLab does): every
 * colour but the two whites reaches WCAG AA (4.5:1) as text on the page, a panel, and the pink of
 * error and stderr boxes. The whites stay light; on a light page they are background colours.
 */
export const ANSI_PALETTE: readonly string[] = [
  '#3e424d', // black
  '#c4372f', // red
  '#1c7e35', // green
  '#946300', // yellow
  '#1d63c4', // blue
  '#a23ba8', // magenta
  '#0e7786', // cyan
  '#a5a9b1', // white
  '#696d77', // bright black
  '#d22a21', // bright red
  '#1f7d38', // bright green
  '#8f6500', // bright yellow
  '#216ad3', // bright blue
  '#ac3cb1', // bright magenta
  '#117886', // bright cyan
  '#d0d3d8', // bright white
];

/** Colour n (0–255) of the xterm 256-colour table. */
export function xterm256(n: number): string | undefined {
  if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
  if (n < 16) return ANSI_PALETTE[n];
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return rgb(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
  }
  const grey = 8 + (n - 232) * 10;
  return rgb(grey, grey, grey);
}

function rgb(r: number, g: number, b: number): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/** The darkest light surface outputs sit on: the pink of error and stderr boxes. */
const DARKEST_LIGHT_SURFACE: readonly [number, number, number] = [0xfd, 0xf0, 0xef];
/**
 * The lightest dark surface outputs sit on in the dark theme (per channel the larger of the
 * stderr box #2d1c1d and code background #262b34, so both are covered).
 */
const LIGHTEST_DARK_SURFACE: readonly [number, number, number] = [0x2d, 0x2b, 0x34];
/** WCAG AA for normal text. */
const MIN_CONTRAST = 4.5;
const legibleCache = new Map<string, string>();

function luminance([r, g, b]: readonly number[]): number {
  const lin = (v: number) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

function contrast(a: readonly number[], b: readonly number[]): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function channels(colour: string): [number, number, number] | null {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
  if (hex) return [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16), parseInt(hex[3]!, 16)];
  const fn = /^rgb\((\d+), (\d+), (\d+)\)$/.exec(colour);
  return fn ? [Number(fn[1]), Number(fn[2]), Number(fn[3])] : null;
}

type Rgb = readonly [number, number, number];

/**
 * `colour` moved toward black or white, just far enough to reach WCAG AA against `against`
 * (as close to the asked-for colour as that allows, keeping its hue).
 */
function shiftUntilReadable(c: Rgb, against: Rgb, toward: 'black' | 'white'): string {
  let k = 1;
  let d: Rgb = c;
  while (contrast(d, against) < MIN_CONTRAST && k > 0) {
    k -= 0.02;
    d = c.map((v) =>
      Math.round(toward === 'black' ? v * k : 255 - (255 - v) * k),
    ) as unknown as Rgb;
  }
  return rgb(...d);
}

/** `compute` once per key (the same few colours come back on every line of an output). */
function cached(key: string, compute: () => string): string {
  const hit = legibleCache.get(key);
  if (hit !== undefined) return hit;
  const out = compute();
  if (legibleCache.size < 2048) legibleCache.set(key, out);
  return out;
}

/**
 * A text colour a program asked for, darkened (light theme) or lightened (dark theme) just
 * enough to stay readable (WCAG AA) on every surface outputs use in that theme; IPython's
 * 256-colour tracebacks (`#d75f5f`, `#008700`) would not be on light, nor ANSI black on dark.
 * Colours that already pass, and ones this cannot parse, are returned as they are.
 */
export function legibleOn(theme: 'light' | 'dark', colour: string): string {
  return cached(theme + colour, () => {
    const c = channels(colour);
    const surface = theme === 'light' ? DARKEST_LIGHT_SURFACE : LIGHTEST_DARK_SURFACE;
    if (!c || contrast(c, surface) >= MIN_CONTRAST) return colour;
    return shiftUntilReadable(c, surface, theme === 'light' ? 'black' : 'white');
  });
}

/** The page's text colour in each theme (styles.css `--fg`). */
const THEME_FG: Record<'light' | 'dark', Rgb> = {
  light: [0x1d, 0x23, 0x30],
  dark: [0xe3, 0xe6, 0xeb],
};

/**
 * A background colour a program asked for without a text colour (IPython marks the failing
 * expression of a traceback so), lightened (light theme) or darkened (dark theme) just enough
 * that the page's own text colour stays readable (WCAG AA) on it.
 */
export function backgroundFor(theme: 'light' | 'dark', colour: string): string {
  return cached(`bg${theme}${colour}`, () => {
    const c = channels(colour);
    const fg = THEME_FG[theme];
    if (!c || contrast(c, fg) >= MIN_CONTRAST) return colour;
    return shiftUntilReadable(c, fg, theme === 'dark' ? 'black' : 'white');
  });
}

/**
 * A text colour on a background the program also chose (IPython marks the failing expression
 * this way, with the tokens' own colours on it): moved toward black or white, whichever the
 * background is farther from, just enough to reach WCAG AA on it.
 */
export function readableOn(colour: string, background: string): string {
  const c = channels(colour);
  const b = channels(background);
  if (!c || !b || contrast(c, b) >= MIN_CONTRAST) return colour;
  const toWhite = contrast([255, 255, 255], b) > contrast([0, 0, 0], b);
  return shiftUntilReadable(c, b, toWhite ? 'white' : 'black');
}

/** {@link legibleOn} for the light theme. */
export const legibleOnLight = (colour: string): string => legibleOn('light', colour);

// CSI … final byte, OSC … (BEL | ESC \), and lone two-byte escapes.
const ESCAPE =
  // eslint-disable-next-line no-control-regex -- matching escape sequences is the point
  /\u001b\[([0-?]*)[ -/]*([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]?/g;

/** Split `input` into styled segments. Adjacent text with the same style is merged. */
export function parseAnsi(input: string): AnsiSegment[] {
  const segments: AnsiSegment[] = [];
  let style: AnsiStyle = {};
  let last = 0;
  const push = (text: string) => {
    if (text.length === 0) return;
    const prev = segments[segments.length - 1];
    if (prev && sameStyle(prev.style, style)) prev.text += text;
    else segments.push({ text, style });
  };
  for (const m of input.matchAll(ESCAPE)) {
    push(input.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
  }
  push(input.slice(last));
  return segments;
}

/** Remove every escape sequence, keeping the text (for copying and plain rendering). */
export function stripAnsi(input: string): string {
  return input.replace(ESCAPE, '');
}

/** Apply one SGR parameter string (`"1;31"`) to a style, returning a new style. */
export function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  // Private-mode parameters (`?`, `<`…) are not SGR; ignore the sequence.
  if (/[<=>?]/.test(params)) return current;
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let s: AnsiStyle = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) {
      delete s.bold;
      delete s.dim;
    } else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c === 27) delete s.inverse;
    else if (c >= 30 && c <= 37) s.fg = ANSI_PALETTE[c - 30];
    else if (c >= 90 && c <= 97) s.fg = ANSI_PALETTE[c - 90 + 8];
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = ANSI_PALETTE[c - 40];
    else if (c >= 100 && c <= 107) s.bg = ANSI_PALETTE[c - 100 + 8];
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) {
      const key = c === 38 ? 'fg' : 'bg';
      const mode = codes[i + 1];
      let colour: string | undefined;
      if (mode === 5) {
        colour = xterm256(codes[i + 2] ?? -1);
        i += 2;
      } else if (mode === 2) {
        const [r, g, b] = [codes[i + 2], codes[i + 3], codes[i + 4]];
        if ([r, g, b].every((v) => v !== undefined && Number.isInteger(v) && v >= 0 && v <= 255)) {
          colour = rgb(r!, g!, b!);
        }
        i += 4;
      } else {
        i = codes.length; // malformed extended colour: ignore the rest of the sequence
      }
      if (colour) s[key] = colour;
    }
    // Unknown codes (blink, fonts, …) are ignored.
  }
  return s;
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return (
    a.fg === b.fg &&
    a.bg === b.bg &&
    !!a.bold === !!b.bold &&
    !!a.dim === !!b.dim &&
    !!a.italic === !!b.italic &&
    !!a.underline === !!b.underline &&
    !!a.inverse === !!b.inverse
  );
}
