import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightSpecialChars,
  keymap,
  placeholder as placeholderExt,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  StreamLanguage,
  syntaxHighlighting,
} from '@codemirror/language';
import { python } from '@codemirror/lang-python';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import type { CellType } from '@spin/protocol';
import type { RunMode } from './notebookModel';

export interface CellEditorHandle {
  focus(): void;
}

interface Props {
  value: string;
  language: CellType;
  onChange: (value: string) => void;
  onRun: (mode: RunMode) => void;
  onEscape?: () => void;
  autoFocus?: boolean;
  ariaLabel: string;
  ref?: Ref<CellEditorHandle>;
}

const shellLanguage = StreamLanguage.define(shell);

function languageFor(type: CellType): Extension {
  switch (type) {
    case 'python':
      return python();
    case 'shell':
      return shellLanguage;
    case 'markdown':
      return EditorView.lineWrapping;
  }
}

const placeholders: Record<CellType, string> = {
  python: 'Python — Shift+Enter to run',
  shell: 'Shell — Shift+Enter to run',
  markdown: 'Markdown — Shift+Enter to render',
};

/**
 * A CodeMirror 6 editor for one cell. Uncontrolled for speed: it owns its document and reports
 * edits; a different `value` from outside (a reload) replaces the document.
 */
export function CellEditor({
  value,
  language,
  onChange,
  onRun,
  onEscape,
  autoFocus,
  ariaLabel,
  ref,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const hint = useRef(new Compartment());
  const applyingExternal = useRef(false);
  // Latest callbacks, read by the (created once) keymap and update listener.
  const cb = useRef({ onChange, onRun, onEscape });
  cb.current = { onChange, onRun, onEscape };

  useImperativeHandle(ref, () => ({ focus: () => view.current?.focus() }), []);

  useEffect(() => {
    const run = (mode: RunMode) => () => {
      cb.current.onRun(mode);
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          Prec.highest(
            keymap.of([
              { key: 'Shift-Enter', run: run('advance') },
              { key: 'Mod-Enter', run: run('stay') },
              { key: 'Alt-Enter', run: run('insert-below') },
              {
                key: 'Escape',
                run: (ev) => {
                  if (cb.current.onEscape) cb.current.onEscape();
                  else ev.contentDOM.blur();
                  return true;
                },
              },
            ]),
          ),
          highlightSpecialChars(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          lang.current.of(languageFor(language)),
          hint.current.of(placeholderExt(placeholders[language])),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !applyingExternal.current)
              cb.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    if (autoFocus) v.focus();
    return () => {
      v.destroy();
      view.current = null;
    };
    // Created once per mount; value/language changes are applied by the effects below.
  }, []);

  useEffect(() => {
    view.current?.dispatch({
      effects: [
        lang.current.reconfigure(languageFor(language)),
        hint.current.reconfigure(placeholderExt(placeholders[language])),
      ],
    });
  }, [language]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) {
      applyingExternal.current = true;
      try {
        v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
      } finally {
        applyingExternal.current = false;
      }
    }
  }, [value]);

  return <div className="cell-editor" data-testid="cell-editor" ref={host} />;
}
