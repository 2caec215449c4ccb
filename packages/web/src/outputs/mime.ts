import type { MimeBundle } from '@spin/protocol';

/**
 * Choosing how to show a Jupyter MIME bundle (nbformat `display_data`/`execute_result`,
 * https://nbformat.readthedocs.io/en/latest/format_description.html#display-data): the richest
 * type we can render safely wins, as in JupyterLab's rendermime ranking.
 */
export type RenderedMime =
  | { kind: 'image'; mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/svg+xml'; src: string }
  | { kind: 'html'; mime: 'text/html'; html: string }
  | { kind: 'json'; mime: 'application/json'; text: string; value: unknown }
  | { kind: 'text'; mime: string; text: string }
  | { kind: 'empty' };

/** MIME types in the order we prefer them. */
export const MIME_PREFERENCE = [
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/svg+xml',
  'text/html',
  'application/json',
  'text/plain',
] as const;

/**
 * nbformat lets text values be a string or a list of lines; join them. Returns undefined for
 * anything else so a malformed bundle falls through to the next MIME type.
 */
export function mimeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('');
  return undefined;
}

/** Pick the MIME type to render and prepare its value (data URLs, pretty JSON). */
export function selectMime(bundle: MimeBundle): RenderedMime {
  for (const mime of MIME_PREFERENCE) {
    if (!(mime in bundle)) continue;
    const value = bundle[mime];
    switch (mime) {
      case 'image/png':
      case 'image/jpeg':
      case 'image/gif': {
        const b64 = mimeText(value)?.replace(/\s+/g, '');
        if (b64 && /^[A-Za-z0-9+/]+=*$/.test(b64)) {
          return { kind: 'image', mime, src: `data:${mime};base64,${b64}` };
        }
        break;
      }
      case 'image/svg+xml': {
        // As an <img> data URL: scripts inside an SVG image never run.
        const svg = mimeText(value);
        if (svg) {
          return {
            kind: 'image',
            mime,
            src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`,
          };
        }
        break;
      }
      case 'text/html': {
        const html = mimeText(value);
        if (html !== undefined) return { kind: 'html', mime, html };
        break;
      }
      case 'application/json': {
        if (value !== undefined) {
          let text: string;
          try {
            text = JSON.stringify(value, null, 2) ?? String(value);
          } catch {
            text = String(value);
          }
          return { kind: 'json', mime, text, value };
        }
        break;
      }
      case 'text/plain': {
        const text = mimeText(value);
        if (text !== undefined) return { kind: 'text', mime, text };
        break;
      }
    }
  }
  // Anything else textual (text/markdown, text/latex, …) is better shown raw than not at all.
  for (const [mime, value] of Object.entries(bundle)) {
    const text = mimeText(value);
    if (mime.startsWith('text/') && text !== undefined) return { kind: 'text', mime, text };
  }
  return { kind: 'empty' };
}
