import type { CompletionSource } from '@codemirror/autocomplete';
// its ES build: the package's `main` is CommonJS, which under Node (the unit tests) loads a
// second @codemirror/state and breaks its extensions
import { newCompleteStrategy } from '@prometheus-io/codemirror-promql/dist/esm/index.js';

let source: CompletionSource | null = null;

/**
 * PromQL completion from @prometheus-io/codemirror-promql without a remote: functions,
 * aggregations, keywords and durations, by where the cursor is in the PromQL syntax tree
 * (the editor's language for `text/x-promql`). Metric names and labels would come from a
 * `PrometheusClient` backed by the runtime's processor for the cell's connection, which the
 * runtime does not offer to clients yet (see the issue 11 report). Asked for on Tab or
 * Ctrl+Space only. Null for another language.
 */
export function promqlSource(language: string): CompletionSource | null {
  if (language !== 'text/x-promql') return null;
  if (!source) {
    const strategy = newCompleteStrategy();
    source = (ctx) => (ctx.explicit ? strategy.promQL(ctx) : null);
  }
  return source;
}
