/**
 * Jupyter counts cursor positions in unicode code points (messaging spec 5.2+, "Notes" on
 * cursor_pos); CodeMirror and JavaScript strings count UTF-16 code units. A character outside
 * the Basic Multilingual Plane (most emoji, 𝔘) is one code point but two code units.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html#cursor-pos-and-unicode-offsets
 */

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/** Code points in `text` before UTF-16 offset `offset` (clamped to the text). */
export function codePointOffset(text: string, offset: number): number {
  const end = Math.max(0, Math.min(offset, text.length));
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    // the low half of a pair was counted with its high half
    if (isLow(c) && i > 0 && isHigh(text.charCodeAt(i - 1))) continue;
    n++;
  }
  return n;
}

/** UTF-16 offset in `text` of code-point offset `points` (clamped to the text). */
export function utf16Offset(text: string, points: number): number {
  let i = 0;
  for (let n = 0; n < points && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += isHigh(c) && i + 1 < text.length && isLow(text.charCodeAt(i + 1)) ? 2 : 1;
  }
  return i;
}
