import {
  acceptCompletion,
  autocompletion,
  closeCompletion,
  completionKeymap,
  completionStatus,
  startCompletion,
  type CompletionContext,
  type CompletionResult,
  type CompletionSource,
} from '@codemirror/autocomplete';
import { Prec, type EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import type { CellTypeInfo } from '@spin/protocol';
import { codePointOffset } from './codePoints';
import type { CompletionHost } from './completionHost';
import { closeInspect, inspectCommand, inspectTooltip } from './inspectTooltip';
import { kernelCompletionResult } from './kernelCompletion';
import { promqlSource } from './promqlCompletion';
import { sqlKeywordSource } from './sqlKeywords';
import { templateCompletionResult } from './templateCompletion';

/** The popup and tooltip in the page's colours (light and dark themes set the variables). */
const completionTheme = EditorView.theme({
  '.cm-tooltip': {
    background: 'var(--panel)',
    color: 'var(--fg)',
    border: '1px solid var(--border-strong)',
    boxShadow: '0 4px 12px var(--shadow)',
  },
  '.cm-tooltip.cm-tooltip-autocomplete > ul': { fontFamily: 'var(--mono)', maxHeight: '16em' },
  '.cm-tooltip.cm-tooltip-autocomplete > ul > li[aria-selected]': {
    background: 'var(--accent)',
    color: 'var(--on-accent)',
  },
  '.cm-completionDetail': { color: 'var(--muted)' },
  '.cm-tooltip-autocomplete > ul > li[aria-selected] .cm-completionDetail': { color: 'inherit' },
});

/** Kernel completions, asked for by Tab or Ctrl+Space only (JupyterLab's default). */
function kernelSource(host: CompletionHost, cellId: string): CompletionSource {
  const ask = async (ctx: CompletionContext): Promise<CompletionResult | null> => {
    const session = await host.session();
    if (!session || ctx.aborted) return null;
    const doc = ctx.state.doc.toString();
    // a busy kernel (runtime.kernel_busy) or a refused request shows no popup
    const reply = await session
      .complete(cellId, doc, codePointOffset(doc, ctx.pos))
      .catch(() => null);
    if (!reply || ctx.aborted) return null;
    return kernelCompletionResult(doc, reply);
  };
  // typing alone asks nothing (and leaves no pending query behind for Tab to wait on)
  return (ctx) => (ctx.explicit ? ask(ctx) : null);
}

function templateAt(state: EditorState, pos: number, host: CompletionHost) {
  const line = state.doc.lineAt(pos);
  const col = pos - line.from;
  return templateCompletionResult(
    line.text.slice(0, col),
    line.text.slice(col),
    pos,
    host.templateNames(),
  );
}

/** Template references complete as they are typed (`{{` opens the list). */
function templateSource(host: CompletionHost): CompletionSource {
  return (ctx) => templateAt(ctx.state, ctx.pos, host);
}

/** Jupyter's Tab rule: complete when the cursor follows text on its line, else indent. */
function followsText(state: EditorState): boolean {
  const r = state.selection.main;
  if (!r.empty) return false;
  const line = state.doc.lineAt(r.head);
  return /\S$/.test(line.text.slice(0, r.head - line.from));
}

/**
 * Completion for one cell's editor (issue 11): kernel cells complete from the session's
 * kernel (Tab, Ctrl+Space) and show its documentation on Shift+Tab; integration cells
 * complete template references (variables, cell results, secret names) as they are typed,
 * SQL cells their dialect's keywords and PromQL cells its functions on Tab. Tab accepts the
 * highlighted option of an open list, Esc closes the list (or tooltip) before it leaves edit
 * mode; where there is nothing to complete Tab indents as before.
 */
export function cellCompletion(
  info: CellTypeInfo,
  host: CompletionHost,
  cellId: string,
): Extension {
  if (info.kind === 'markdown') return [];
  const kernel = info.kind === 'kernel';
  // the language's own words (SQL keywords, PromQL functions), on Tab or Ctrl+Space
  const sql = kernel ? null : (sqlKeywordSource(info.language) ?? promqlSource(info.language));
  const inReference = (s: EditorState) =>
    s.selection.main.empty && templateAt(s, s.selection.main.head, host) !== null;
  const tabCompletes = kernel
    ? followsText
    : sql
      ? (s: EditorState) => followsText(s) || inReference(s)
      : inReference;
  const sources = kernel
    ? [kernelSource(host, cellId)]
    : [templateSource(host), ...(sql ? [sql] : [])];
  return [
    Prec.highest(
      keymap.of([
        {
          key: 'Tab',
          run: (view) => {
            // An open list takes Tab: accept, never indent. CodeMirror ignores an accept
            // within 75 ms of the list changing (its interactionDelay).
            if (completionStatus(view.state) === 'active') return acceptCompletion(view) || true;
            if (!tabCompletes(view.state)) return false;
            startCompletion(view);
            return true;
          },
        },
        ...(kernel ? [{ key: 'Shift-Tab', run: inspectCommand(host) }] : []),
        {
          // Only a list on screen takes Esc: one still being asked for (CodeMirror waits
          // 100 ms after typing) must not swallow the key that leaves edit mode.
          key: 'Escape',
          run: (view) =>
            completionStatus(view.state) === 'active' ? closeCompletion(view) : closeInspect(view),
        },
        ...completionKeymap.filter((b) => b.key !== 'Escape'),
      ]),
    ),
    autocompletion({
      override: sources,
      defaultKeymap: false,
      // kernel cells ask the kernel on Tab or Ctrl+Space only (JupyterLab's default)
      activateOnTyping: !kernel,
      icons: true,
      closeOnBlur: true,
    }),
    kernel ? inspectTooltip : [],
    completionTheme,
  ];
}
