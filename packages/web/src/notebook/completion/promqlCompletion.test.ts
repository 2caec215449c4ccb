import { describe, expect, it } from 'vitest';
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { ensureSyntaxTree } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { languageExtension } from '../editorLanguages';
import { promqlSource } from './promqlCompletion';

async function complete(doc: string, explicit = true): Promise<CompletionResult | null> {
  const state = EditorState.create({ doc, extensions: [languageExtension('text/x-promql')] });
  ensureSyntaxTree(state, doc.length, 5_000);
  return promqlSource('text/x-promql')!(new CompletionContext(state, doc.length, explicit));
}

describe('PromQL completion', () => {
  it('offers functions and aggregations where an expression starts', async () => {
    const r = (await complete('sum(ra'))!;
    const labels = r.options.map((o) => o.label);
    expect(labels).toContain('rate');
    expect(labels).toContain('sum');
  });

  it('offers durations inside a range and nothing while typing', async () => {
    const r = (await complete('rate(up[5'))!;
    expect(r.options.map((o) => o.label)).toContain('m');
    expect(await complete('sum(ra', false)).toBe(null);
    expect(promqlSource('text/x-sql')).toBe(null);
  });
});
