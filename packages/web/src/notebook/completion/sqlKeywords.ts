import type { CompletionSource } from '@codemirror/autocomplete';
import { syntaxTree } from '@codemirror/language';
import {
  keywordCompletionSource,
  MySQL,
  PostgreSQL,
  SQLite,
  StandardSQL,
  type SQLDialect,
} from '@codemirror/lang-sql';

/** SQL dialects by editor language (the MIME types SQL manifests name). */
const DIALECTS: Record<string, SQLDialect> = {
  'text/x-sql': StandardSQL,
  'text/x-pgsql': PostgreSQL,
  'text/x-mysql': MySQL,
  'text/x-sqlite': SQLite,
};

const cache = new Map<string, CompletionSource>();

/**
 * Keywords and built-in types of the cell's SQL dialect (from @codemirror/lang-sql), offered
 * on Tab or Ctrl+Space, never inside a string or comment. Null for a language that is not SQL.
 * Tables and columns would come from `schemaCompletionSource` once the runtime can list a
 * connection's schema to a client (see the issue 11 report).
 */
export function sqlKeywordSource(language: string): CompletionSource | null {
  const dialect = DIALECTS[language];
  if (!dialect) return null;
  let source = cache.get(language);
  if (!source) {
    const keywords = keywordCompletionSource(dialect, true);
    source = (ctx) => {
      if (!ctx.explicit) return null;
      // the editor highlights with a stream mode: its token names say string or comment
      const node = syntaxTree(ctx.state).resolveInner(ctx.pos, -1);
      if (/string|comment/i.test(node.name)) return null;
      return keywords(ctx);
    };
    cache.set(language, source);
  }
  return source;
}
