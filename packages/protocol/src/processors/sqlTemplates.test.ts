import { describe, expect, it } from 'vitest';
import type { TemplateBinder } from '../templates.js';
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
    expect(bindSqlTemplates(sql, binder, 'postgres')).toEqual({
      sql: 'SELECT * FROM t WHERE name = $1 AND n > $2 AND id = ANY($3)',
      params: ["x'; DROP TABLE t; --", 3, [1, 2]],
    });
    expect(bindSqlTemplates(sql, binder, 'mysql').sql).toBe(
      'SELECT * FROM t WHERE name = ? AND n > ? AND id = ANY(?)',
    );
  });

  it('refuses a reference inside a quoted string or identifier, naming the fix', () => {
    expect(() => bindSqlTemplates("SELECT '{{name}}'", binder, 'postgres')).toThrow(
      /inside a quoted string.*bind parameter/,
    );
    expect(() => bindSqlTemplates('SELECT "{{name}}"', binder, 'postgres')).toThrow(
      /quoted identifier/,
    );
    expect(() => bindSqlTemplates('SELECT "{{name}}"', binder, 'mysql')).toThrow(/quoted string/);
    expect(() => bindSqlTemplates('SELECT `{{name}}`', binder, 'sqlite')).toThrow(
      /quoted identifier/,
    );
    expect(() => bindSqlTemplates('SELECT $q$ {{name}} $q$', binder, 'postgres')).toThrow(
      /dollar-quoted/,
    );
  });

  it('knows where strings end: doubled quotes, backslashes in MySQL, a quote right before a reference', () => {
    expect(bindSqlTemplates("SELECT 'it''s', {{n}}", binder, 'postgres')).toMatchObject({
      sql: "SELECT 'it''s', $1",
    });
    expect(bindSqlTemplates("SELECT 'a\\'b', {{n}}", binder, 'mysql')).toMatchObject({
      sql: "SELECT 'a\\'b', ?",
    });
    expect(bindSqlTemplates("SELECT 'a' || {{name}}", binder, 'sqlite').params).toEqual([
      values.name,
    ]);
    expect(bindSqlTemplates("SELECT 'a'{{n}}", binder, 'postgres').sql).toBe("SELECT 'a'$1");
    expect(() => bindSqlTemplates("SELECT 'a''{{n}}'", binder, 'postgres')).toThrow(
      /quoted string/,
    );
  });

  it('leaves references in comments as written and binds the ones after them', () => {
    const sql = '-- by {{name}}\nSELECT /* {{n}} */ {{n}} # not a comment in pg';
    expect(bindSqlTemplates(sql, binder, 'postgres')).toEqual({
      sql: '-- by {{name}}\nSELECT /* {{n}} */ $1 # not a comment in pg',
      params: [3],
    });
    expect(bindSqlTemplates('SELECT 1 # {{n}}\n, {{n}}', binder, 'mysql')).toEqual({
      sql: 'SELECT 1 # {{n}}\n, ?',
      params: [3],
    });
  });

  it('keeps escaped braces literal', () => {
    expect(bindSqlTemplates("SELECT '\\{{x}}'", binder, 'postgres')).toEqual({
      sql: "SELECT '{{x}}'",
      params: [],
    });
  });
});
