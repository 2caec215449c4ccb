/**
 * A deliberately small Markdown subset (CommonMark-ish) for markdown cells: ATX headings,
 * paragraphs, fenced code, bullet and numbered lists, block quotes, rules; inline code,
 * bold, italic and links. It produces a tree the UI renders as React elements, so cell text is
 * never interpreted as HTML; link targets are limited to http(s), mailto and relative URLs.
 */

export type Inline =
  | { t: 'text'; text: string }
  | { t: 'code'; text: string }
  | { t: 'strong'; children: Inline[] }
  | { t: 'em'; children: Inline[] }
  | { t: 'link'; href: string | null; children: Inline[] };

export type Block =
  | { t: 'heading'; level: 1 | 2 | 3 | 4 | 5 | 6; children: Inline[] }
  | { t: 'paragraph'; children: Inline[] }
  | { t: 'code'; lang: string; text: string }
  | { t: 'list'; ordered: boolean; start: number; items: Inline[][] }
  | { t: 'quote'; children: Block[] }
  | { t: 'hr' };

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$/;
const HR = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const BULLET = /^ {0,3}[-*+]\s+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)]\s+(.*)$/;
const QUOTE = /^ {0,3}>\s?(.*)$/;

/** Parse Markdown source into blocks. */
export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trimStart().startsWith(marker)) body.push(lines[i++]!);
      i++; // closing fence (or end of input)
      blocks.push({ t: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1]!.length as 1 | 2 | 3 | 4 | 5 | 6;
      blocks.push({ t: 'heading', level, children: parseInline(heading[2] ?? '') });
      i++;
      continue;
    }
    if (HR.test(line)) {
      blocks.push({ t: 'hr' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) body.push(QUOTE.exec(lines[i++]!)![1]!);
      blocks.push({ t: 'quote', children: parseMarkdown(body.join('\n')) });
      continue;
    }
    const bullet = BULLET.exec(line);
    const ordered = ORDERED.exec(line);
    if (bullet || ordered) {
      const re = bullet ? BULLET : ORDERED;
      const items: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = re.exec(l);
        if (m) items.push(bullet ? m[1]! : m[2]!);
        else if (l.trim() !== '' && /^\s{2,}/.test(l) && items.length > 0)
          items[items.length - 1] += ' ' + l.trim();
        else break;
        i++;
      }
      blocks.push({
        t: 'list',
        ordered: !bullet,
        start: ordered ? Number(ordered[1]) : 1,
        items: items.map(parseInline),
      });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length) {
      const l = lines[i]!;
      if (
        l.trim() === '' ||
        FENCE.test(l) ||
        HEADING.test(l) ||
        HR.test(l) ||
        QUOTE.test(l) ||
        BULLET.test(l)
      )
        break;
      para.push(l.trim());
      i++;
    }
    blocks.push({ t: 'paragraph', children: parseInline(para.join('\n')) });
  }
  return blocks;
}

/** Only these link targets are rendered as links; anything else (javascript:, data:) is text. */
export function safeHref(href: string): string | null {
  const h = href.trim();
  // URL parsers drop control characters, tabs and newlines ("java\tscript:"): refuse them all.
  if (h === '' || [...h].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f))
    return null;
  if (/^(https?:|mailto:)/i.test(h)) return h;
  if (/^[a-z][a-z0-9+.-]*:/i.test(h)) return null; // any other scheme
  return h; // relative or #anchor
}

const INLINE =
  /`([^`]+)`|\*\*(.+?)\*\*|__(.+?)__|\*([^*\s](?:[^*]*[^*\s])?)\*|\b_([^_\s](?:[^_]*[^_\s])?)_\b|\[([^\]]+)\]\(([^)\s]*)\)/g;

/** Parse inline markup. */
export function parseInline(text: string): Inline[] {
  const out: Inline[] = [];
  let last = 0;
  const pushText = (s: string) => {
    if (!s) return;
    const prev = out[out.length - 1];
    if (prev?.t === 'text') prev.text += s;
    else out.push({ t: 'text', text: s });
  };
  for (const m of text.matchAll(INLINE)) {
    pushText(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out.push({ t: 'code', text: m[1] });
    else if (m[2] !== undefined || m[3] !== undefined)
      out.push({ t: 'strong', children: parseInline(m[2] ?? m[3]!) });
    else if (m[4] !== undefined || m[5] !== undefined)
      out.push({ t: 'em', children: parseInline(m[4] ?? m[5]!) });
    else out.push({ t: 'link', href: safeHref(m[7] ?? ''), children: parseInline(m[6]!) });
  }
  pushText(text.slice(last));
  return out;
}
