import { useMemo, useState } from 'react';
import {
  ResultVarSchema,
  TimeRangeSchema,
  defaultResultVar,
  type Cell,
  type CellTypeInfo,
} from '@spin/protocol';
import { SchemaForm } from '../forms/SchemaForm';
import { fieldErrors, schemaFields } from '../forms/schemaFields';
import { ConnectionChoices } from './completion/ConnectionChoices';
import type { CellPatch } from './notebookModel';

interface Props {
  cell: Cell;
  info: CellTypeInfo;
  index: number;
  onPatch: (patch: CellPatch) => void;
}

interface Checkable {
  safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } };
}

function zodMessage(schema: Checkable, v: unknown): string | null {
  const r = schema.safeParse(v);
  return r.success ? null : (r.error?.issues[0]?.message ?? 'invalid');
}

/**
 * An edited value that reaches the cell (and so the next save) only while it is valid; an
 * invalid draft stays here with its message, so one bad field never blocks saving the notebook.
 */
function useDraft<T>(stored: T, check: (v: T) => string | null, commit: (v: T) => void) {
  const [draft, setDraft] = useState<T>(stored);
  const error = check(draft);
  return {
    value: draft,
    error,
    set(v: T) {
      setDraft(v);
      if (check(v) === null) commit(v);
    },
  };
}

/**
 * A cell's settings besides its source, all drawn from its cell type's registry entry: the
 * parameter form (from the manifest's params schema), the connection it uses, the session
 * variable its result goes to, and its own time range instead of the notebook's.
 */
export function CellSettings({ cell, info, index, onPatch }: Props) {
  const fields = useMemo(() => schemaFields(info.paramsSchema), [info.paramsSchema]);
  const params = useDraft<Record<string, unknown>>(
    cell.params ?? {},
    (v) => (info.paramsSchema.safeParse(v).success ? null : 'invalid'),
    (v) => onPatch({ params: v }),
  );
  const errors = useMemo(
    () => fieldErrors(info.paramsSchema, params.value),
    [info.paramsSchema, params.value],
  );
  const resultVar = useDraft<string>(
    cell.resultVar ?? '',
    (v) => (v === '' ? null : zodMessage(ResultVarSchema, v)),
    (v) => onPatch({ resultVar: v || undefined }),
  );
  const timeRange = useDraft(
    cell.timeRange,
    (v) => (v === undefined ? null : zodMessage(TimeRangeSchema, v)),
    (v) => onPatch({ timeRange: v }),
  );
  const manifest = info.manifest;
  const takesConnection =
    manifest !== null &&
    (manifest.needsConnection || Object.keys(manifest.configSchema.shape).length > 0);
  const varName = resultVar.value || defaultResultVar(cell.id);

  return (
    <div
      className="cell-settings"
      data-testid="cell-settings"
      aria-label={`Cell ${index + 1} settings`}
    >
      {fields.length > 0 && (
        <fieldset className="cell-settings-group">
          <legend>{info.name} parameters</legend>
          <SchemaForm
            fields={fields}
            value={params.value}
            errors={errors}
            testId="params-form"
            onChange={params.set}
          />
        </fieldset>
      )}
      {takesConnection && (
        <label className="form-row">
          <span className="form-label">Connection</span>
          <input
            data-testid="cell-connection"
            list={`connections-${cell.id}`}
            value={cell.connection ?? ''}
            placeholder={manifest.needsConnection ? 'required' : 'none'}
            onChange={(e) => onPatch({ connection: e.target.value.trim() || undefined })}
          />
          <ConnectionChoices id={`connections-${cell.id}`} processor={manifest.id} />
        </label>
      )}
      {info.kind === 'processor' && (
        <label className="form-row">
          <span className="form-label">Result variable</span>
          <input
            data-testid="cell-result-var"
            value={resultVar.value}
            placeholder={defaultResultVar(cell.id)}
            spellCheck={false}
            onChange={(e) => resultVar.set(e.target.value.trim())}
          />
          <span className="form-help muted">
            Later cells read it as <code>{`{{${varName}}}`}</code>; Python as{' '}
            <code>{`${varName}.df`}</code>
          </span>
          {resultVar.error && (
            <span className="form-error" role="alert">
              {resultVar.error}
            </span>
          )}
        </label>
      )}
      {info.usesTimeRange && (
        <div className="form-row form-row-time">
          <label className="form-label">
            <input
              type="checkbox"
              data-testid="cell-own-time-range"
              checked={timeRange.value !== undefined}
              onChange={(e) =>
                timeRange.set(e.target.checked ? { from: 'now-1h', to: 'now' } : undefined)
              }
            />{' '}
            Own time range (instead of the notebook&apos;s)
          </label>
          {timeRange.value && (
            <span className="time-range-inputs">
              <input
                aria-label="From"
                data-testid="cell-time-from"
                value={timeRange.value.from}
                onChange={(e) => timeRange.set({ ...timeRange.value!, from: e.target.value })}
              />
              {' … '}
              <input
                aria-label="To"
                data-testid="cell-time-to"
                value={timeRange.value.to}
                onChange={(e) => timeRange.set({ ...timeRange.value!, to: e.target.value })}
              />
            </span>
          )}
          {timeRange.error && (
            <span className="form-error" role="alert">
              {timeRange.error}
            </span>
          )}
        </div>
      )}
    </div>
  );
}
