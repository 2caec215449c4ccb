import { describe, expect, it } from 'vitest';
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { ensureSyntaxTree } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { languageExtension } from '../editorLanguages';
import { sqlKeywordSource } from './sqlKeywords';

async function complete(doc: string, explicit = true): Promise<CompletionResult | null> {
  const state = EditorState.create({ doc, extensions: [languageExtension('text/x-pgsql')] });
  ensureSyntaxTree(state, doc.length, 5_000);
  const source = sqlKeywordSource('text/x-pgsql')!;
  return source(new CompletionContext(state, doc.length, explicit));
}

describe('SQL keyword completion', () => {
  it("offers the dialect's keywords in upper case where a word is typed", async () => {
    const r = (await complete('sel'))!;
    expect(r.from).toBe(0);
    expect(r.options.map((o) => o.label)).toContain('SELECT');
  });

  it('asks for nothing while typing, inside a string, or for a language that is not SQL', async () => {
    expect(await complete('sel', false)).toBe(null);
    expect(await complete("select 'sel")).toBe(null);
    expect(sqlKeywordSource('text/x-python')).toBe(null);
  });
});
