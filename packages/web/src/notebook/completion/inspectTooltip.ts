import { StateEffect, StateField, type EditorState } from '@codemirror/state';
import { EditorView, showTooltip, type Command, type Tooltip } from '@codemirror/view';
import { stripAnsi } from '../../outputs/ansi';
import type { CompletionHost } from './completionHost';
import { codePointOffset } from './codePoints';

const setInspect = StateEffect.define<Tooltip | null>();

/** The inspect tooltip shown now, if any; typing or moving the cursor closes it. */
const inspectField = StateField.define<Tooltip | null>({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setInspect)) return e.value;
    return tr.docChanged || tr.selection ? null : value;
  },
  provide: (f) => showTooltip.from(f),
});

/** The text a tooltip shows for an inspect_reply's MIME bundle (plain text, escapes removed). */
export function inspectText(data: Record<string, unknown>): string | null {
  const plain = data['text/plain'];
  if (typeof plain !== 'string' || plain.trim() === '') return null;
  // IPython colours its documentation with terminal escapes
  return stripAnsi(plain).trimEnd();
}

function tooltipAt(pos: number, text: string): Tooltip {
  return {
    pos,
    above: false,
    create: () => {
      const dom = document.createElement('div');
      dom.className = 'cm-spin-inspect';
      dom.setAttribute('data-testid', 'inspect-tooltip');
      dom.setAttribute('role', 'tooltip');
      const pre = document.createElement('pre');
      pre.textContent = text;
      dom.append(pre);
      return { dom };
    },
  };
}

/**
 * Shift+Tab (Jupyter's tooltip): ask the kernel to inspect the name at the cursor
 * (`inspect_request`, detail level 0) and show its documentation under it. Nothing is shown
 * when the kernel knows no such name, the session is not open or the cursor moved meanwhile.
 */
export function inspectCommand(host: CompletionHost): Command {
  return (view) => {
    const { state } = view;
    if (!state.selection.main.empty) return false;
    const pos = state.selection.main.head;
    const doc = state.doc.toString();
    void (async () => {
      const session = await host.session();
      if (!session) return;
      const reply = await session.inspect(doc, codePointOffset(doc, pos)).catch(() => null);
      const text = reply?.found ? inspectText(reply.data) : null;
      const now: EditorState = view.state;
      if (!text || now.doc.toString() !== doc || now.selection.main.head !== pos) return;
      view.dispatch({ effects: setInspect.of(tooltipAt(pos, text)) });
    })();
    return true;
  };
}

/** Esc closes an open tooltip (before it leaves edit mode). */
export const closeInspect: Command = (view) => {
  if (!view.state.field(inspectField, false)) return false;
  view.dispatch({ effects: setInspect.of(null) });
  return true;
};

export const inspectTooltip = [
  inspectField,
  EditorView.baseTheme({
    '.cm-tooltip .cm-spin-inspect': { maxWidth: '640px', maxHeight: '320px', overflow: 'auto' },
    '.cm-spin-inspect pre': {
      margin: 0,
      padding: '6px 8px',
      fontFamily: 'var(--mono)',
      fontSize: '12px',
      whiteSpace: 'pre-wrap',
    },
  }),
];
