import { createContext } from 'react';
import type { NotebookSession } from '@spin/client';
import type { TemplateNames } from './templateCompletion';

/**
 * What cell editors complete from, given by the notebook page: the session's kernel (Jupyter
 * complete/inspect through the runtime) and the names `{{ … }}` references may use. Read when
 * a completion is asked for, so it always sees the notebook as it is now.
 */
export interface CompletionHost {
  /** The open session, or null while there is none (then there are no kernel completions). */
  session(): Promise<NotebookSession | null>;
  templateNames(): TemplateNames;
  /** The notebook's workspace (connection names are listed from it). */
  workspaceId: string;
}

/** Null outside a notebook page (and for viewers): editors then complete nothing. */
export const CompletionHostContext = createContext<CompletionHost | null>(null);
