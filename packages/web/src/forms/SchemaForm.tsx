import { useId, useState } from 'react';
import type { FormField } from './schemaFields';

interface Props {
  fields: readonly FormField[];
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  errors?: Record<string, string>;
  /** data-testid of the form; inputs get `${testId}-${key}`. */
  testId: string;
  disabled?: boolean;
}

/** `value` without `key` when `v` is empty, so the schema's default applies. */
function withField(value: Record<string, unknown>, key: string, v: unknown) {
  const next = { ...value };
  if (v === undefined || v === '') delete next[key];
  else next[key] = v;
  return next;
}

/**
 * A form drawn from {@link FormField}s (see `schemaFields`): the parameter form of a cell and
 * the connection form of a processor. Empty fields are left out so defaults apply; secret
 * fields are password inputs that never show a stored value.
 */
export function SchemaForm({ fields, value, onChange, errors = {}, testId, disabled }: Props) {
  const base = useId();
  return (
    <div className="schema-form" data-testid={testId}>
      {fields.map((f) => {
        const id = `${base}-${f.key}`;
        const error = errors[f.key];
        const set = (v: unknown) => onChange(withField(value, f.key, v));
        return (
          <div className={`form-row form-row-${f.kind}`} key={f.key} data-field={f.key}>
            <label htmlFor={id} className="form-label">
              {f.title}
              {f.required && <span className="form-required"> *</span>}
            </label>
            <FieldInput
              id={id}
              field={f}
              value={value[f.key]}
              onChange={set}
              testId={`${testId}-${f.key}`}
              disabled={disabled ?? false}
            />
            {f.description && <span className="form-help muted">{f.description}</span>}
            {error && (
              <span className="form-error" role="alert">
                {error}
              </span>
            )}
          </div>
        );
      })}
      {errors[''] && (
        <span className="form-error" role="alert">
          {errors['']}
        </span>
      )}
    </div>
  );
}

function FieldInput({
  id,
  field: f,
  value,
  onChange,
  testId,
  disabled,
}: {
  id: string;
  field: FormField;
  value: unknown;
  onChange: (v: unknown) => void;
  testId: string;
  disabled: boolean;
}) {
  switch (f.kind) {
    case 'text': {
      const common = {
        id,
        'data-testid': testId,
        disabled,
        value: typeof value === 'string' ? value : '',
        placeholder: f.secret ? 'write-only' : (f.default ?? ''),
        onChange: (e: { target: { value: string } }) => onChange(e.target.value),
      };
      return f.multiline && !f.secret ? (
        <textarea {...common} rows={3} />
      ) : (
        <input {...common} type={f.secret ? 'password' : 'text'} autoComplete="off" />
      );
    }
    case 'number':
      return (
        <input
          id={id}
          data-testid={testId}
          disabled={disabled}
          type="number"
          step={f.integer ? 1 : 'any'}
          min={f.min}
          max={f.max}
          placeholder={f.default !== undefined ? String(f.default) : ''}
          value={typeof value === 'number' ? value : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
        />
      );
    case 'boolean':
      return (
        <input
          id={id}
          data-testid={testId}
          disabled={disabled}
          type="checkbox"
          checked={typeof value === 'boolean' ? value : (f.default ?? false)}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
    case 'select':
      return (
        <select
          id={id}
          data-testid={testId}
          disabled={disabled}
          value={typeof value === 'string' ? value : (f.default ?? '')}
          onChange={(e) => onChange(e.target.value)}
        >
          {!f.default && <option value="">—</option>}
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
    case 'keyValue':
      return (
        <KeyValueInput
          id={id}
          testId={testId}
          disabled={disabled}
          value={value && typeof value === 'object' ? (value as Record<string, string>) : {}}
          onChange={onChange}
        />
      );
    case 'list':
      return (
        <input
          id={id}
          data-testid={testId}
          disabled={disabled}
          type="text"
          placeholder="comma-separated"
          value={Array.isArray(value) ? value.join(', ') : ''}
          onChange={(e) =>
            onChange(
              e.target.value.trim() === ''
                ? undefined
                : e.target.value.split(',').map((s) => s.trim()),
            )
          }
        />
      );
    case 'json':
      return (
        <JsonInput id={id} testId={testId} disabled={disabled} value={value} onChange={onChange} />
      );
  }
}

/** Rows of name = value; a row with an empty name is kept while typing but not saved. */
function KeyValueInput({
  id,
  testId,
  disabled,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  disabled: boolean;
  value: Record<string, string>;
  onChange: (v: unknown) => void;
}) {
  const [rows, setRows] = useState<[string, string][]>(() => Object.entries(value));
  const update = (next: [string, string][]) => {
    setRows(next);
    const obj = Object.fromEntries(next.filter(([k]) => k.trim() !== ''));
    onChange(Object.keys(obj).length ? obj : undefined);
  };
  return (
    <div className="kv-input" id={id} data-testid={testId}>
      {rows.map(([k, v], i) => (
        <div className="kv-row" key={i}>
          <input
            aria-label="name"
            data-testid={`${testId}-name-${i}`}
            disabled={disabled}
            value={k}
            onChange={(e) => update(rows.map((r, j) => (j === i ? [e.target.value, r[1]] : r)))}
          />
          <span aria-hidden="true">=</span>
          <input
            aria-label="value"
            data-testid={`${testId}-value-${i}`}
            disabled={disabled}
            value={v}
            onChange={(e) => update(rows.map((r, j) => (j === i ? [r[0], e.target.value] : r)))}
          />
          <button
            type="button"
            className="btn btn-icon"
            aria-label="Remove"
            disabled={disabled}
            onClick={() => update(rows.filter((_, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn-link"
        data-testid={`${testId}-add`}
        disabled={disabled}
        onClick={() => update([...rows, ['', '']])}
      >
        + add
      </button>
    </div>
  );
}

/** Anything the form has no input for, edited as JSON. */
function JsonInput({
  id,
  testId,
  disabled,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  disabled: boolean;
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value)));
  const [bad, setBad] = useState(false);
  return (
    <textarea
      id={id}
      data-testid={testId}
      disabled={disabled}
      rows={2}
      className={bad ? 'invalid' : undefined}
      value={text}
      placeholder="JSON"
      onChange={(e) => {
        setText(e.target.value);
        if (e.target.value.trim() === '') {
          setBad(false);
          onChange(undefined);
          return;
        }
        try {
          onChange(JSON.parse(e.target.value));
          setBad(false);
        } catch {
          setBad(true);
        }
      }}
    />
  );
}
