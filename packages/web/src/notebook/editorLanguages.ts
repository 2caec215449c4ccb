import { python } from '@codemirror/lang-python';
// its ES build: the package's `main` is CommonJS, which under Node (the unit tests) loads a
// second @codemirror/state and breaks its extensions
import { LanguageType, promQLLanguage } from '@prometheus-io/codemirror-promql/dist/esm/index.js';
import { LanguageSupport, StreamLanguage } from '@codemirror/language';
import { json } from '@codemirror/legacy-modes/mode/javascript';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { mySQL, pgSQL, sqlite, standardSQL } from '@codemirror/legacy-modes/mode/sql';
import { yaml } from '@codemirror/legacy-modes/mode/yaml';
import { EditorView } from '@codemirror/view';
import type { Extension } from '@codemirror/state';

/**
 * CodeMirror support by editor language (a MIME type, as manifests name it). A manifest with a
 * language missing here gets a plain editor; adding a language is a line here, not a change
 * to any processor.
 */
const LANGUAGES: Record<string, () => Extension> = {
  'text/x-python': () => python(),
  'text/x-sh': () => StreamLanguage.define(shell),
  'text/x-promql': () => new LanguageSupport(promQLLanguage(LanguageType.PromQL)),
  'text/x-sql': () => StreamLanguage.define(standardSQL),
  'text/x-pgsql': () => StreamLanguage.define(pgSQL),
  'text/x-mysql': () => StreamLanguage.define(mySQL),
  'text/x-sqlite': () => StreamLanguage.define(sqlite),
  'application/json': () => StreamLanguage.define(json),
  'text/x-yaml': () => StreamLanguage.define(yaml),
  'text/markdown': () => EditorView.lineWrapping,
};

const cache = new Map<string, Extension>();

/** The editor extension for a language MIME type (plain text when unknown). */
export function languageExtension(language: string): Extension {
  let ext = cache.get(language);
  if (!ext) {
    ext = LANGUAGES[language]?.() ?? EditorView.lineWrapping;
    cache.set(language, ext);
  }
  return ext;
}
