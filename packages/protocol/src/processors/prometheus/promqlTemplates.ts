import { SpinError } from '../../errors.js';
import { parseTemplate, type TemplateRef } from '../../templates.js';

/** Where a reference sits in PromQL text, which decides how its value is written. */
export type PromqlContext = 'plain' | 'double' | 'single' | 'backtick' | 'comment';

/**
 * Tracks only what decides how a value may enter PromQL: string literals (`"…"`, `'…'` with Go
 * escapes, raw `` `…` ``) and `#` comments (Prometheus docs, "Expression language data types").
 */
class PromqlContextScanner {
  private state: PromqlContext = 'plain';
  private escaped = false;

  feed(text: string): void {
    for (const ch of text) this.step(ch);
  }

  context(): PromqlContext {
    return this.state;
  }

  private step(ch: string): void {
    switch (this.state) {
      case 'plain':
        if (ch === '"') this.state = 'double';
        else if (ch === "'") this.state = 'single';
        else if (ch === '`') this.state = 'backtick';
        else if (ch === '#') this.state = 'comment';
        return;
      case 'comment':
        if (ch === '\n') this.state = 'plain';
        return;
      case 'backtick':
        if (ch === '`') this.state = 'plain';
        return;
      case 'double':
      case 'single':
        if (this.escaped) this.escaped = false;
        else if (ch === '\\') this.escaped = true;
        else if (ch === (this.state === 'double' ? '"' : "'")) this.state = 'plain';
        return;
    }
  }
}

// What may stand bare in PromQL: a number, a duration, or a metric/label name.
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;
const IDENTIFIER = /^[A-Za-z_:][A-Za-z0-9_:]*$/;

/** A value escaped for a Go/PromQL quoted string (`"` or `'`). */
function quoted(value: string, quote: '"' | "'"): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Bind template references in a PromQL query by where they stand (DESIGN.md §3: values are
 * escaped for the language, never string-pasted): inside a quoted string the value is escaped
 * for that string; bare, it must be a number, a duration or a name — anything else could change
 * the query's meaning and is refused with `template.invalid`, suggesting quotes.
 */
export function bindPromql(query: string, text: (ref: TemplateRef) => string): string {
  const scanner = new PromqlContextScanner();
  let out = '';
  for (const part of parseTemplate(query)) {
    if (part.kind === 'text') {
      scanner.feed(part.text);
      out += part.text;
      continue;
    }
    const value = text(part.ref);
    const where = scanner.context();
    let bound: string;
    if (where === 'double' || where === 'single') {
      bound = quoted(value, where === 'double' ? '"' : "'");
    } else if (where === 'backtick') {
      if (value.includes('`')) {
        throw new SpinError(
          'template.invalid',
          `${part.ref.raw}: a raw string cannot hold a backtick; use "…" around the reference`,
        );
      }
      bound = value;
    } else if (where === 'comment') {
      bound = value.replace(/[\r\n]+/g, ' ');
    } else {
      if (!NUMBER.test(value) && !DURATION.test(value) && !IDENTIFIER.test(value)) {
        throw new SpinError(
          'template.invalid',
          `${part.ref.raw}: outside quotes a value must be a number, a duration or a name; ` +
            `write it inside a string, e.g. job="${part.ref.raw}"`,
        );
      }
      bound = value;
    }
    // The bound value cannot end its string or comment, so the scanner's state stays right.
    out += bound;
  }
  return out;
}
