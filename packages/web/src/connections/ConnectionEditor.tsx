import { useMemo, useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AnyProcessorManifest, Connection } from '@spin/protocol';
import { api, toErrorInfo } from '../app/api';
import { SchemaForm } from '../forms/SchemaForm';
import { fieldErrors, schemaFields } from '../forms/schemaFields';
import { ErrorBox } from '../runtimes/PairPanel';
import { keys } from '../app/queryKeys';

/**
 * Create or edit a connection with the form drawn from its processor manifest: plain fields
 * from `configSchema`, write-only fields from `secretsSchema`. A stored write-only field shows
 * only "set", with Replace (type a new value) and Clear; its value never reaches the browser.
 * Viewing without the manage right shows the config read-only.
 */
export function ConnectionEditor({
  workspaceId,
  manifest,
  existing,
  canManage,
  onDone,
}: {
  workspaceId: string;
  manifest: AnyProcessorManifest;
  existing: Connection | null;
  /** May change it (owners of its workspace); otherwise it is shown read-only. */
  canManage: boolean;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const configFields = useMemo(() => schemaFields(manifest.configSchema), [manifest]);
  const secretFields = useMemo(
    () => schemaFields(manifest.secretsSchema, { secret: true }),
    [manifest],
  );
  const readOnly = !canManage;
  const [name, setName] = useState(existing?.name ?? '');
  const [config, setConfig] = useState<Record<string, unknown>>(existing?.config ?? {});
  const [secrets, setSecrets] = useState<Record<string, unknown>>({});
  const [replacing, setReplacing] = useState<ReadonlySet<string>>(new Set());
  const [clearing, setClearing] = useState<ReadonlySet<string>>(new Set());
  const [isDefault, setIsDefault] = useState(existing?.isDefault ?? false);
  const [checked, setChecked] = useState(false);

  const isSet = (key: string) => existing?.secrets[key]?.set === true;
  const typing = secretFields.filter((f) => !isSet(f.key) || replacing.has(f.key));
  const errors = checked
    ? {
        config: fieldErrors(manifest.configSchema, config),
        secrets: fieldErrors(manifest.secretsSchema, secrets),
      }
    : { config: {}, secrets: {} };

  const save = useMutation({
    mutationFn: async () => {
      const typed = Object.fromEntries(
        Object.entries(secrets).filter(([, v]) => typeof v === 'string' && v !== ''),
      ) as Record<string, string>;
      if (!existing) {
        return api.createConnection(workspaceId, {
          name,
          processor: manifest.id,
          config,
          secrets: typed,
          isDefault,
        });
      }
      const changes: Record<string, string | null> = { ...typed };
      for (const key of clearing) changes[key] = null;
      return api.updateConnection(existing.id, {
        name,
        config,
        ...(Object.keys(changes).length > 0 ? { secrets: changes } : {}),
        isDefault,
        version: existing.version,
      });
    },
    onSuccess: (saved) => {
      setSecrets({}); // typed values leave the page as soon as they are stored
      queryClient.setQueryData(['connection', saved.id], saved);
      void queryClient.invalidateQueries({ queryKey: keys.connections.all });
      onDone();
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    const ok =
      manifest.configSchema.safeParse(config).success &&
      manifest.secretsSchema.safeParse(secrets).success;
    if (ok) save.mutate();
  };

  const toggle = (set: ReadonlySet<string>, key: string, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(key);
    else next.delete(key);
    return next;
  };

  return (
    <form
      className="connection-form"
      data-testid="connection-editor"
      data-processor={manifest.id}
      onSubmit={submit}
    >
      <label className="form-row">
        <span className="form-label">
          Name<span className="form-required"> *</span>
        </span>
        <input
          data-testid="connection-name"
          required
          maxLength={128}
          pattern="[A-Za-z_][A-Za-z0-9_.\-]*"
          title='Starts with a letter or "_"; letters, digits, "_", "." and "-"'
          value={name}
          disabled={readOnly}
          onChange={(e) => setName(e.target.value)}
        />
      </label>
      <SchemaForm
        fields={configFields}
        value={config}
        errors={errors.config}
        testId="connection-config"
        disabled={readOnly}
        onChange={setConfig}
      />
      {secretFields.length > 0 && (
        <fieldset className="secret-fields" data-testid="connection-secret-fields">
          <legend>Write-only fields</legend>
          {secretFields
            .filter((f) => isSet(f.key) && !replacing.has(f.key))
            .map((f) => (
              <div className="form-row" key={f.key} data-field={f.key}>
                <span className="form-label">{f.title}</span>
                {clearing.has(f.key) ? (
                  <span data-testid={`connection-secret-state-${f.key}`} data-state="clearing">
                    <span className="chip chip-warn">cleared on save</span>{' '}
                    <button
                      type="button"
                      className="btn btn-small"
                      onClick={() => setClearing((s) => toggle(s, f.key, false))}
                    >
                      Keep
                    </button>
                  </span>
                ) : (
                  <span data-testid={`connection-secret-state-${f.key}`} data-state="set">
                    <span className="chip chip-ok">set</span>
                    {!readOnly && (
                      <>
                        {' '}
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`connection-secret-replace-${f.key}`}
                          onClick={() => setReplacing((s) => toggle(s, f.key, true))}
                        >
                          Replace
                        </button>{' '}
                        <button
                          type="button"
                          className="btn btn-small"
                          data-testid={`connection-secret-clear-${f.key}`}
                          onClick={() => setClearing((s) => toggle(s, f.key, true))}
                        >
                          Clear
                        </button>
                      </>
                    )}
                  </span>
                )}
              </div>
            ))}
          {!readOnly && typing.length > 0 && (
            <SchemaForm
              fields={typing}
              value={secrets}
              errors={errors.secrets}
              testId="connection-secrets"
              onChange={setSecrets}
            />
          )}
          <p className="muted form-help">
            Values are never shown again once saved. A value may be a{' '}
            <code>{'{{secret:NAME}}'}</code> reference to a secret of this workspace.
          </p>
        </fieldset>
      )}
      <label className="form-row form-row-boolean">
        <input
          type="checkbox"
          data-testid="connection-default-checkbox"
          checked={isDefault}
          disabled={readOnly}
          onChange={(e) => setIsDefault(e.target.checked)}
        />{' '}
        Default {manifest.name} connection of this workspace
      </label>
      {save.error && <ErrorBox error={toErrorInfo(save.error)} testId="connection-save-error" />}
      <div className="pair-actions">
        {!readOnly && (
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="connection-save"
            disabled={save.isPending}
          >
            {save.isPending ? 'Saving…' : existing ? 'Save changes' : 'Create connection'}
          </button>
        )}{' '}
        <button type="button" className="btn" data-testid="connection-cancel" onClick={onDone}>
          {readOnly ? 'Close' : 'Cancel'}
        </button>
      </div>
    </form>
  );
}
