import { describe, expect, it } from 'vitest';
import type { TemplateBinder } from '../templates.js';
import { MYSQL_DIALECT } from './mysql/index.js';
import { POSTGRES_DIALECT } from './postgres/index.js';
import { SQLITE_DIALECT } from './sqlite/index.js';
import { bindSqlTemplates } from './sqlTemplates.js';

const values: Record<string, unknown> = { name: "x'; DROP TABLE t; --", n: 3, ids: [1, 2] };
const binder: TemplateBinder = {
  resolve: (ref) => {
    if (ref.kind !== 'var') throw new Error('no secrets here');
    return values[ref.name] as never;
  },
};

describe('bindSqlTemplates', () => {
  it('turns references into numbered placeholders for PostgreSQL and ? elsewhere', () => {
    const sql = 'SELECT * FROM t WHERE name = {{name}} AND n > {{n}} AND id = ANY({{ids}})';
    expect(bindSqlTemplates(sql, binder, POSTGRES_DIALECT)).toEqual({
      sql: 'SELECT * FROM t WHERE name = $1 AND n > $2 AND id = ANY($3)',
      params: ["x'; DROP TABLE t; --", 3, [1, 2]],
    });
    expect(bindSqlTemplates(sql, binder, MYSQL_DIALECT).sql).toBe(
      'SELECT * FROM t WHERE name = ? AND n > ? AND id = ANY(?)',
    );
  });

  it('refuses a reference inside a quoted string or identifier, naming the fix', () => {
    expect(() => bindSqlTemplates("SELECT '{{name}}'", binder, POSTGRES_DIALECT)).toThrow(
      /inside a quoted string.*bind parameter/,
    );
    expect(() => bindSqlTemplates('SELECT "{{name}}"', binder, POSTGRES_DIALECT)).toThrow(
      /quoted identifier/,
    );
    expect(() => bindSqlTemplates('SELECT "{{name}}"', binder, MYSQL_DIALECT)).toThrow(
      /quoted string/,
    );
    expect(() => bindSqlTemplates('SELECT `{{name}}`', binder, SQLITE_DIALECT)).toThrow(
      /quoted identifier/,
    );
    expect(() => bindSqlTemplates('SELECT $q$ {{name}} $q$', binder, POSTGRES_DIALECT)).toThrow(
      /dollar-quoted/,
    );
  });

  it('knows where strings end: doubled quotes, backslashes in MySQL, a quote right before a reference', () => {
    expect(bindSqlTemplates("SELECT 'it''s', {{n}}", binder, POSTGRES_DIALECT)).toMatchObject({
      sql: "SELECT 'it''s', $1",
    });
    expect(bindSqlTemplates("SELECT 'a\\'b', {{n}}", binder, MYSQL_DIALECT)).toMatchObject({
      sql: "SELECT 'a\\'b', ?",
    });
    expect(bindSqlTemplates("SELECT 'a' || {{name}}", binder, SQLITE_DIALECT).params).toEqual([
      values.name,
    ]);
    expect(bindSqlTemplates("SELECT 'a'{{n}}", binder, POSTGRES_DIALECT).sql).toBe("SELECT 'a'$1");
    expect(() => bindSqlTemplates("SELECT 'a''{{n}}'", binder, POSTGRES_DIALECT)).toThrow(
      /quoted string/,
    );
  });

  it('leaves references in comments as written and binds the ones after them', () => {
    const sql = '-- by {{name}}\nSELECT /* {{n}} */ {{n}} # not a comment in pg';
    expect(bindSqlTemplates(sql, binder, POSTGRES_DIALECT)).toEqual({
      sql: '-- by {{name}}\nSELECT /* {{n}} */ $1 # not a comment in pg',
      params: [3],
    });
    expect(bindSqlTemplates('SELECT 1 # {{n}}\n, {{n}}', binder, MYSQL_DIALECT)).toEqual({
      sql: 'SELECT 1 # {{n}}\n, ?',
      params: [3],
    });
  });

  it('keeps escaped braces literal', () => {
    expect(bindSqlTemplates("SELECT '\\{{x}}'", binder, POSTGRES_DIALECT)).toEqual({
      sql: "SELECT '{{x}}'",
      params: [],
    });
  });
});
