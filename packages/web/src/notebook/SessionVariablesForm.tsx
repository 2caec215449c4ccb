import { useState } from 'react';
import type { InputVariable, TemplateVariable } from '@spin/protocol';
import type { TemplateVariablesState } from './useTemplateVariables';

/** The text a field starts with: the value this session has, else the default. */
export function initialInputs(
  variables: readonly TemplateVariable[],
  current: Readonly<Record<string, unknown>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of variables) {
    if (v.type !== 'input') continue;
    const given = current[v.name] ?? v.default;
    out[v.name] = given === undefined ? '' : String(given);
  }
  return out;
}

/** One input variable's value field: a list when values are restricted, else typed text. */
export function InputValueField({
  def,
  value,
  onChange,
  testId,
}: {
  def: InputVariable;
  value: string;
  onChange: (v: string) => void;
  testId: string;
}) {
  const choices =
    def.allowed?.map(String) ?? (def.valueKind === 'boolean' ? ['true', 'false'] : null);
  if (choices) {
    return (
      <select
        data-testid={testId}
        aria-label={def.name}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        {!choices.includes(value) && <option value={value}>{value || 'choose…'}</option>}
        {choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    );
  }
  return (
    <input
      data-testid={testId}
      aria-label={def.name}
      type={def.valueKind === 'number' ? 'number' : 'text'}
      value={value}
      placeholder={def.default === undefined ? 'required' : String(def.default)}
      spellCheck={false}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/**
 * Asked when a session starts on a notebook with `input` variables: one field per variable
 * (defaults filled in); submitting resolves every variable for the session, Python ones too.
 */
export function SessionVariablesForm({
  variables,
  state,
  onSubmit,
}: {
  variables: readonly TemplateVariable[];
  state: TemplateVariablesState;
  onSubmit: (inputs: Record<string, string>) => void;
}) {
  const inputs = variables.filter((v): v is InputVariable => v.type === 'input');
  const [values, setValues] = useState(() => initialInputs(variables, state.inputs));
  return (
    <form
      className="notice session-variables-form"
      data-testid="session-variables-form"
      aria-label="Values for this session"
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit(values);
      }}
    >
      <strong>Values for this session</strong>
      <span className="muted"> — cells read them as {'{{name}}'}</span>
      {inputs.map((def) => (
        <label key={def.name} className="form-row">
          <span className="form-label">
            <code>{def.name}</code>
            {def.description ? ` — ${def.description}` : ''}
          </span>
          <InputValueField
            def={def}
            value={values[def.name] ?? ''}
            testId={`session-variable-${def.name}`}
            onChange={(v) => setValues((old) => ({ ...old, [def.name]: v }))}
          />
        </label>
      ))}
      {state.error && (
        <div className="form-error" role="alert" data-testid="session-variables-error">
          <code>{state.error.code}</code> {state.error.message}
        </div>
      )}
      <button
        type="submit"
        className="btn btn-primary"
        data-testid="session-variables-start"
        disabled={state.status === 'resolving'}
      >
        {state.status === 'resolving' ? 'Starting…' : 'Start session'}
      </button>
    </form>
  );
}
