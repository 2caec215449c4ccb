import { z } from 'zod';
import { SpinError } from '../errors.js';
import {
  parseTemplate,
  TemplateValueSchema,
  type TemplateBinder,
  type TemplateValue,
} from '../templates.js';

/**
 * What the SQL processors (postgres, mysql, sqlite) share: the program format and the one way a
 * template value enters SQL — as a bind parameter, never as text (DESIGN.md §3). Each SQL
 * processor's manifest folder uses these with its own dialect.
 */

/**
 * How a SQL engine quotes and comments, and how it writes placeholders: each SQL processor's
 * manifest declares its own, so this helper names no engine.
 */
export interface SqlDialect {
  /** `$1, $2…` (PostgreSQL) or `?` (MySQL, SQLite). */
  placeholder: 'numbered' | 'question';
  /** `"…"` is a string (MySQL's default mode), not an identifier. */
  doubleQuotedStrings: boolean;
  /** Backslash escapes inside quotes (MySQL); `E'…'` strings have them anyway. */
  backslashEscapes: boolean;
  /** Identifiers in backticks (MySQL, SQLite). */
  backtickIdentifiers: boolean;
  /** Identifiers in square brackets (SQLite). */
  bracketIdentifiers: boolean;
  /** `$tag$…$tag$` strings (PostgreSQL). */
  dollarQuotes: boolean;
  /** Block comments nest (PostgreSQL). */
  nestedComments: boolean;
  /** `#` starts a line comment (MySQL). */
  hashComments: boolean;
}

/** A compiled SQL cell: one statement, its bind parameters (filled at the runtime). */
export const SqlProgramSchema = z.object({
  sql: z.string().min(1, 'write a SQL statement').max(1_000_000),
  /** Values for the statement's placeholders, in order (`$1…` or `?`). */
  params: z.array(TemplateValueSchema).max(10_000).default([]),
});
export type SqlProgram = z.infer<typeof SqlProgramSchema>;

/** Parameters of a SQL cell besides its statement (none yet; the form stays extensible). */
export const SqlParamsSchema = z.object({});

type LexState =
  | { kind: 'code' }
  | { kind: 'quote'; close: string; backslash: boolean; what: 'string' | 'identifier' }
  | { kind: 'line' }
  | { kind: 'block'; depth: number }
  | { kind: 'dollar'; tag: string };

/** Walks SQL text chunk by chunk, knowing at each point whether it is code, string or comment. */
class SqlLexer {
  state: LexState = { kind: 'code' };
  private pending = '';

  constructor(private readonly dialect: SqlDialect) {}

  /** Feed literal SQL text (the pieces between template references). */
  feed(text: string): void {
    const s = this.pending + text;
    this.pending = '';
    let i = 0;
    while (i < s.length) {
      const st = this.state;
      const c = s[i]!;
      const next = s[i + 1];
      if (st.kind === 'code') {
        if (c === "'") {
          this.state = {
            kind: 'quote',
            close: "'",
            backslash: this.dialect.backslashEscapes || s[i - 1] === 'E' || s[i - 1] === 'e',
            what: 'string',
          };
        } else if (c === '"') {
          this.state = {
            kind: 'quote',
            close: '"',
            backslash: this.dialect.backslashEscapes,
            what: this.dialect.doubleQuotedStrings ? 'string' : 'identifier',
          };
        } else if (c === '`' && this.dialect.backtickIdentifiers) {
          this.state = { kind: 'quote', close: '`', backslash: false, what: 'identifier' };
        } else if (c === '[' && this.dialect.bracketIdentifiers) {
          this.state = { kind: 'quote', close: ']', backslash: false, what: 'identifier' };
        } else if (c === '-' && next === '-') {
          this.state = { kind: 'line' };
          i++;
        } else if (c === '#' && this.dialect.hashComments) {
          this.state = { kind: 'line' };
        } else if (c === '/' && next === '*') {
          this.state = { kind: 'block', depth: 1 };
          i++;
        } else if (c === '$' && this.dialect.dollarQuotes) {
          const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(s.slice(i));
          if (m && !/[A-Za-z0-9_]/.test(s[i - 1] ?? '')) {
            this.state = { kind: 'dollar', tag: m[0] };
            i += m[0].length;
            continue;
          }
        }
      } else if (st.kind === 'quote') {
        if (st.backslash && c === '\\') {
          i += 2;
          continue;
        }
        if (c === st.close) {
          if (next === st.close)
            i++; // doubled quote: still inside
          else if (next === undefined) {
            // the chunk ends on a quote: whether it doubles depends on what follows
            this.pending = c;
            return;
          } else this.state = { kind: 'code' };
        }
      } else if (st.kind === 'line') {
        if (c === '\n') this.state = { kind: 'code' };
      } else if (st.kind === 'block') {
        if (c === '*' && next === '/') {
          this.state =
            st.depth > 1 && this.dialect.nestedComments
              ? { kind: 'block', depth: st.depth - 1 }
              : { kind: 'code' };
          i++;
        } else if (c === '/' && next === '*' && this.dialect.nestedComments) {
          this.state = { kind: 'block', depth: st.depth + 1 };
          i++;
        }
      } else if (s.startsWith(st.tag, i)) {
        this.state = { kind: 'code' };
        i += st.tag.length;
        continue;
      }
      i++;
    }
  }

  /** A reference sits here: settle a quote the previous chunk ended on. */
  settle(): void {
    if (this.pending) {
      this.pending = '';
      this.state = { kind: 'code' };
    }
  }
}

/**
 * Bind the template references of a SQL statement: each `{{name}}` in SQL code becomes a
 * placeholder (`$1`, `$2`… for PostgreSQL, `?` otherwise) and its value a bind parameter, so a
 * value can never change the statement. A reference inside a quoted string or identifier is
 * refused (there it would be text, not a value); one inside a comment stays as written.
 */
export function bindSqlTemplates(
  sql: string,
  binder: TemplateBinder,
  dialect: SqlDialect,
): SqlProgram {
  const lexer = new SqlLexer(dialect);
  const params: TemplateValue[] = [];
  let out = '';
  for (const part of parseTemplate(sql)) {
    if (part.kind === 'text') {
      lexer.feed(part.text);
      out += part.text;
      continue;
    }
    lexer.settle();
    const st = lexer.state;
    if (st.kind === 'line' || st.kind === 'block') {
      out += part.ref.raw;
      continue;
    }
    if (st.kind !== 'code') {
      const what = st.kind === 'quote' ? `a quoted ${st.what}` : 'a dollar-quoted string';
      throw new SpinError(
        'template.invalid',
        `${part.ref.raw} is inside ${what}; write it without quotes (WHERE name = ${part.ref.raw}): it is sent as a bind parameter`,
      );
    }
    params.push(binder.resolve(part.ref));
    out += dialect.placeholder === 'numbered' ? `$${params.length}` : '?';
  }
  return { sql: out, params };
}
