import { useState } from 'react';
import {
  InputValueKindSchema,
  TemplateVariablesSchema,
  type InputVariable,
  type TemplateVariable,
} from '@spin/protocol';
import { InputValueField, initialInputs } from './SessionVariablesForm';
import {
  VARIABLE_TYPES,
  newVariable,
  parseAllowed,
  parseScalar,
  parseStaticText,
  retypeVariable,
  staticText,
  valueText,
} from './templateVariablesModel';
import type { TemplateVariablesState } from './useTemplateVariables';

interface Props {
  variables: readonly TemplateVariable[];
  canEdit: boolean;
  canRun: boolean;
  state: TemplateVariablesState;
  onChange: (variables: TemplateVariable[]) => void;
  onApply: (inputs: Record<string, string>) => void;
}

let nextKey = 1;
function keyed(variables: readonly TemplateVariable[]) {
  return variables.map((v) => ({ key: nextKey++, v }));
}

/** The first problem of a list of definitions, with the variable it is about. */
function problem(draft: TemplateVariable[]): string | null {
  const r = TemplateVariablesSchema.safeParse(draft);
  if (r.success) return null;
  const issue = r.error.issues[0]!;
  const at = typeof issue.path[0] === 'number' ? draft[issue.path[0]]?.name : undefined;
  const field = issue.path.slice(1).join('.');
  return `${at ? `${at}${field ? ` (${field})` : ''}: ` : ''}${issue.message}`;
}

/**
 * The notebook's template variables (issue 9): define, edit and delete them (editors), and
 * see and change this session's values (runners; "Apply" re-resolves, Python ones re-run).
 * Edits reach the notebook only while every definition is valid; the problem is shown here.
 */
export function VariablesPanel({ variables, canEdit, canRun, state, onChange, onApply }: Props) {
  const [open, setOpen] = useState(false);
  // Rows keep a key of their own, so a row's half-typed fields stay with it when others go.
  const [rows, setRows] = useState(() => keyed(variables));
  const [shown, setShown] = useState(variables);
  const [values, setValues] = useState<Record<string, string>>({});
  if (shown !== variables) {
    // A save echoed back, or a reload replaced the notebook's variables.
    setShown(variables);
    const mine = TemplateVariablesSchema.safeParse(rows.map((r) => r.v)).data;
    if (JSON.stringify(mine) !== JSON.stringify(variables)) setRows(keyed(variables));
  }
  const draft = rows.map((r) => r.v);
  const error = problem(draft);
  const update = (next: { key: number; v: TemplateVariable }[]) => {
    setRows(next);
    const parsed = TemplateVariablesSchema.safeParse(next.map((r) => r.v));
    if (parsed.success) onChange(parsed.data);
  };
  const patch = (i: number, v: TemplateVariable) =>
    update(rows.map((r, j) => (j === i ? { key: r.key, v } : r)));
  const sessionValues = { ...initialInputs(variables, state.inputs), ...values };

  return (
    <section className="variables-panel" data-testid="variables-panel">
      <button
        type="button"
        className="btn btn-link"
        data-testid="variables-toggle"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        {open ? '▾' : '▸'} Variables ({variables.length})
      </button>
      {open && (
        <div className="variables-body">
          {draft.length === 0 && (
            <p className="muted">
              No template variables. Cells read them as <code>{'{{name}}'}</code>; Python as{' '}
              <code>spin_vars[&quot;name&quot;]</code>.
            </p>
          )}
          {draft.map((v, i) => (
            <fieldset
              key={rows[i]!.key}
              className="cell-settings-group variable-row"
              data-testid={`variable-${i}`}
              disabled={!canEdit}
            >
              <legend>
                <code>{`{{${v.name}}}`}</code>
              </legend>
              <div className="variable-fields">
                <label className="form-row">
                  <span className="form-label">Name</span>
                  <input
                    data-testid="variable-name"
                    value={v.name}
                    spellCheck={false}
                    onChange={(e) => patch(i, { ...v, name: e.target.value.trim() })}
                  />
                </label>
                <label className="form-row">
                  <span className="form-label">Type</span>
                  <select
                    data-testid="variable-type"
                    value={v.type}
                    onChange={(e) =>
                      patch(i, retypeVariable(v, e.target.value as TemplateVariable['type']))
                    }
                  >
                    {VARIABLE_TYPES.map((t) => (
                      <option key={t.type} value={t.type}>
                        {t.label} — {t.help}
                      </option>
                    ))}
                  </select>
                </label>
                <VariableFields key={v.type} v={v} onChange={(next) => patch(i, next)} />
                <VariableValue v={v} state={state} />
                {canEdit && (
                  <button
                    type="button"
                    className="btn"
                    data-testid="variable-delete"
                    onClick={() => update(rows.filter((_, j) => j !== i))}
                  >
                    Delete
                  </button>
                )}
              </div>
            </fieldset>
          ))}
          {error && (
            <div className="form-error" role="alert" data-testid="variables-error">
              Not saved — {error}
            </div>
          )}
          {canEdit && (
            <div className="variables-add">
              {VARIABLE_TYPES.map((t) => (
                <button
                  key={t.type}
                  type="button"
                  className="btn"
                  data-testid={`variable-add-${t.type}`}
                  onClick={() =>
                    update([...rows, { key: nextKey++, v: newVariable(t.type, draft) }])
                  }
                >
                  + {t.label}
                </button>
              ))}
            </div>
          )}
          {canRun && variables.length > 0 && (
            <form
              className="variables-session"
              data-testid="variables-session"
              onSubmit={(e) => {
                e.preventDefault();
                onApply(sessionValues);
                setValues({});
              }}
            >
              <strong>This session</strong>
              {variables
                .filter((d): d is InputVariable => d.type === 'input')
                .map((d) => (
                  <label key={d.name} className="form-row">
                    <span className="form-label">
                      <code>{d.name}</code>
                    </span>
                    <InputValueField
                      def={d}
                      value={sessionValues[d.name] ?? ''}
                      testId={`variables-value-${d.name}`}
                      onChange={(x) => setValues((old) => ({ ...old, [d.name]: x }))}
                    />
                  </label>
                ))}
              {state.error && (
                <div className="form-error" role="alert" data-testid="variables-apply-error">
                  <code>{state.error.code}</code> {state.error.message}
                </div>
              )}
              <button
                type="submit"
                className="btn"
                data-testid="variables-apply"
                disabled={state.status === 'resolving'}
              >
                {state.status === 'resolving' ? 'Resolving…' : 'Apply to this session'}
              </button>
            </form>
          )}
        </div>
      )}
    </section>
  );
}

/** The fields of one variable's type. Text being typed stays local until it parses. */
function VariableFields({
  v,
  onChange,
}: {
  v: TemplateVariable;
  onChange: (v: TemplateVariable) => void;
}) {
  const [allowedText, setAllowedText] = useState(
    v.type === 'input' ? (v.allowed ?? []).join(', ') : '',
  );
  const [valueText, setValueText] = useState(v.type === 'static' ? staticText(v.value) : '');
  if (v.type === 'input') {
    const withKind = (valueKind: InputVariable['valueKind']): InputVariable => {
      const { allowed: _a, default: _d, ...rest } = v;
      const allowed = parseAllowed(allowedText, valueKind);
      return { ...rest, valueKind, ...(allowed ? { allowed } : {}) };
    };
    return (
      <>
        <label className="form-row">
          <span className="form-label">Value kind</span>
          <select
            data-testid="variable-kind"
            value={v.valueKind}
            onChange={(e) => onChange(withKind(InputValueKindSchema.parse(e.target.value)))}
          >
            {InputValueKindSchema.options.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label className="form-row">
          <span className="form-label">Default</span>
          <input
            data-testid="variable-default"
            value={v.default === undefined ? '' : String(v.default)}
            placeholder="none: asked at session start"
            onChange={(e) => {
              const { default: _d, ...rest } = v;
              const t = e.target.value;
              onChange(t === '' ? rest : { ...rest, default: parseScalar(t, v.valueKind) });
            }}
          />
        </label>
        <label className="form-row">
          <span className="form-label">Allowed values</span>
          <input
            data-testid="variable-allowed"
            value={allowedText}
            placeholder="any (or a comma-separated list)"
            onChange={(e) => {
              setAllowedText(e.target.value);
              const { allowed: _a, ...rest } = v;
              const allowed = parseAllowed(e.target.value, v.valueKind);
              onChange(allowed ? { ...rest, allowed } : rest);
            }}
          />
        </label>
      </>
    );
  }
  if (v.type === 'static') {
    return (
      <label className="form-row">
        <span className="form-label">Value</span>
        <input
          data-testid="variable-value"
          value={valueText}
          placeholder='text, or JSON such as 42 or ["a", "b"]'
          spellCheck={false}
          onChange={(e) => {
            setValueText(e.target.value);
            onChange({ ...v, value: parseStaticText(e.target.value) });
          }}
        />
      </label>
    );
  }
  return (
    <label className="form-row">
      <span className="form-label">Python</span>
      <textarea
        className="mono-input"
        data-testid="variable-code"
        rows={3}
        value={v.code}
        placeholder={'import datetime\ndatetime.date.today().isoformat()'}
        spellCheck={false}
        onChange={(e) => onChange({ ...v, code: e.target.value })}
      />
      <span className="form-help muted">
        Runs in the session&apos;s kernel when the session starts; the last line&apos;s value (JSON)
        is the variable&apos;s value.
      </span>
    </label>
  );
}

/** The variable's value in this session. */
function VariableValue({ v, state }: { v: TemplateVariable; state: TemplateVariablesState }) {
  let text: string;
  let failed = false;
  if (v.type === 'static') text = valueText(v.value);
  else if (v.type === 'input') text = valueText(state.inputs[v.name] ?? v.default);
  else {
    const p = state.python[v.name];
    text = p ? p.text : state.status === 'resolving' ? 'computing…' : 'not computed yet';
    failed = p ? !p.ok : false;
  }
  return (
    <span
      className={`form-help ${failed ? 'form-error' : 'muted'}`}
      data-testid="variable-session-value"
    >
      Value: <code>{text}</code>
    </span>
  );
}
