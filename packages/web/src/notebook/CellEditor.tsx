import {
  useEffect,
  useImperativeHandle,
  useLayoutEffect,
  useRef,
  type MouseEvent,
  type Ref,
} from 'react';
import { Compartment, EditorState, Prec, type Extension } from '@codemirror/state';
import {
  drawSelection,
  EditorView,
  highlightSpecialChars,
  keymap,
  placeholder as placeholderExt,
} from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, indentOnInput } from '@codemirror/language';
import { spinHighlighting } from './editorHighlight';
import { languageExtension } from './editorLanguages';
import type { RunMode } from './notebookModel';

const NO_COMPLETION: Extension = [];

/** A point on screen (a click on the static source before the editor existed). */
export interface ScreenPoint {
  x: number;
  y: number;
}

export interface CellEditorHandle {
  /** Focus the editor; with `at`, put the cursor at that point of the text. */
  focus(at?: ScreenPoint): void;
}

interface Props {
  value: string;
  /** Editor language as a MIME type (from the cell type's registry entry). */
  language: string;
  placeholder: string;
  onChange: (value: string) => void;
  onRun: (mode: RunMode) => void;
  onEscape?: () => void;
  autoFocus?: boolean;
  /** View only (the user's role does not allow editing); fixed for the editor's lifetime. */
  readOnly?: boolean;
  /** Completion and tooltips for the cell (completion/cellCompletion.ts); none by default. */
  completion?: Extension;
  ariaLabel: string;
  ref?: Ref<CellEditorHandle>;
}

/**
 * A CodeMirror 6 editor for one cell. Uncontrolled for speed: it owns its document and reports
 * edits; a different `value` from outside (a reload) replaces the document.
 */
export function CellEditor({
  value,
  language,
  placeholder,
  onChange,
  onRun,
  onEscape,
  autoFocus,
  readOnly = false,
  completion = NO_COMPLETION,
  ariaLabel,
  ref,
}: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const lang = useRef(new Compartment());
  const hint = useRef(new Compartment());
  const complete = useRef(new Compartment());
  const applyingExternal = useRef(false);
  // Documents this editor reported through onChange that may still come back as `value`: a
  // stale echo (React lagging behind fast typing) must not replace what was typed since.
  const echoes = useRef<string[]>([]);
  // Latest callbacks, read by the (created once) keymap and update listener.
  const cb = useRef({ onChange, onRun, onEscape });
  cb.current = { onChange, onRun, onEscape };

  useImperativeHandle(
    ref,
    () => ({
      focus: (at) => {
        const v = view.current;
        if (!v) return;
        v.focus();
        const pos = at ? v.posAtCoords(at) : null;
        if (pos !== null) v.dispatch({ selection: { anchor: pos } });
      },
    }),
    [],
  );

  // A layout effect: a cell upgraded to be focused has its editor before the focus call.
  useLayoutEffect(() => {
    const run = (mode: RunMode) => () => {
      cb.current.onRun(mode);
      return true;
    };
    const v = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          // first: its keys (Tab, Esc on an open list) go before the cell's own
          complete.current.of(completion),
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
          spinHighlighting,
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          lang.current.of(languageExtension(language)),
          hint.current.of(placeholderExt(placeholder)),
          EditorView.contentAttributes.of({ 'aria-label': ariaLabel }),
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !applyingExternal.current) {
              const doc = u.state.doc.toString();
              echoes.current.push(doc);
              if (echoes.current.length > 64) echoes.current.shift();
              cb.current.onChange(doc);
            }
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
        lang.current.reconfigure(languageExtension(language)),
        hint.current.reconfigure(placeholderExt(placeholder)),
        complete.current.reconfigure(completion),
      ],
    });
  }, [language, placeholder, completion]);

  useEffect(() => {
    const v = view.current;
    const echo = echoes.current.indexOf(value);
    if (echo >= 0) {
      // our own edit coming back (perhaps behind newer ones): nothing to apply
      echoes.current.splice(0, echo + 1);
      return;
    }
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

/**
 * A cell's source as plain text, laid out like the editor (same font, line height and padding,
 * so the cell keeps its height), shown until the cell comes near the viewport and gets its
 * CodeMirror editor. Pressing on it asks for the editor at that point.
 */
export function StaticSource({
  value,
  placeholder,
  ariaLabel,
  onActivate,
}: {
  value: string;
  placeholder: string;
  ariaLabel: string;
  onActivate: (at: ScreenPoint) => void;
}) {
  const onMouseDown = (e: MouseEvent<HTMLPreElement>) => {
    if (e.button !== 0 || e.shiftKey) return;
    e.preventDefault();
    onActivate({ x: e.clientX, y: e.clientY });
  };
  return (
    <div className="cell-editor" data-testid="cell-editor">
      <pre
        className={`cell-source-static${value === '' ? ' cell-source-empty' : ''}`}
        aria-label={ariaLabel}
        onMouseDown={onMouseDown}
      >
        {value === '' ? placeholder : value}
      </pre>
    </div>
  );
}
