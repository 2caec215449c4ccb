import { useEffect, useRef, useState } from 'react';
import type { InputValues, TemplateVariable } from '@spin/protocol';
import { toErrorInfo, type ErrorInfo } from '../app/api';
import {
  loadResolved,
  pythonValue,
  saveResolved,
  type PythonValue,
} from './templateVariablesModel';
import type { SessionHandle, SessionUiState } from './useNotebookSession';

/** Where the session's template variables stand, as the page shows them. */
export interface TemplateVariablesState {
  /** `needs-input`: the start-of-session form is shown. */
  status: 'idle' | 'needs-input' | 'resolving' | 'resolved' | 'failed';
  inputs: InputValues;
  python: Record<string, PythonValue>;
  error: ErrorInfo | null;
}

const IDLE: TemplateVariablesState = { status: 'idle', inputs: {}, python: {}, error: null };

/**
 * Resolves the notebook's template variables once per session (issue 9): when the session
 * opens, values this tab already gave it are applied again (a reload does not ask twice); else
 * a notebook with `input` variables asks for them (`needs-input`), and one with only Python
 * variables computes them at once. `resolve` applies new values and re-runs the Python
 * variables (the start form and the variables panel call it).
 */
export function useTemplateVariables(opts: {
  session: SessionHandle;
  phase: SessionUiState['phase'];
  variables: readonly TemplateVariable[];
  canRun: boolean;
}): { state: TemplateVariablesState; resolve(inputs: Record<string, unknown>): Promise<void> } {
  const [state, setState] = useState<TemplateVariablesState>(IDLE);
  const varsRef = useRef(opts.variables);
  varsRef.current = opts.variables;
  const { session, phase, canRun } = opts;

  const resolve = async (inputs: Record<string, unknown>) => {
    setState((s) => ({ ...s, status: 'resolving', error: null }));
    try {
      const s = await session.ready();
      const runs = await s.resolveVariables(varsRef.current, inputs);
      const python = Object.fromEntries([...runs].map(([name, run]) => [name, pythonValue(run)]));
      const resolved = { inputs: s.templateValues, python };
      saveResolved(s.sid, resolved);
      setState({ status: 'resolved', ...resolved, error: null });
    } catch (err) {
      setState((st) => ({ ...st, status: 'failed', error: toErrorInfo(err) }));
    }
  };
  const resolveRef = useRef(resolve);
  resolveRef.current = resolve;

  useEffect(() => {
    if (phase !== 'open' || !canRun) return;
    let cancelled = false;
    session.ready().then(
      (s) => {
        if (cancelled) return;
        const vars = varsRef.current;
        const remembered = loadResolved(s.sid);
        if (remembered) {
          try {
            const inputs = s.setInputValues(vars, remembered.inputs);
            setState({ status: 'resolved', inputs, python: remembered.python, error: null });
            return;
          } catch {
            // the definitions changed since: ask again
          }
        }
        if (vars.some((v) => v.type === 'input')) {
          setState({ ...IDLE, status: 'needs-input' });
        } else if (vars.some((v) => v.type === 'code_python')) {
          void resolveRef.current({});
        } else setState({ ...IDLE, status: 'resolved' });
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [phase, canRun, session]);

  return { state, resolve };
}
