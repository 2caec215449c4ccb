import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Secret, SecretRef, SecretStoreType, WorkspaceDetail } from '@spin/protocol';
import { api, isForbidden, toErrorInfo } from '../app/api';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { ErrorBox } from '../runtimes/PairPanel';
import { WorkspacePicker, allows, useWorkspaceChoice } from '../connections/WorkspacePicker';
import { ConfirmDelete } from '../forms/ConfirmDelete';
import { keys } from '../app/queryKeys';

const STORE_LABEL: Record<SecretStoreType, string> = {
  spin_store: 'SPIN store — encrypted on the server, write-only',
  runtime_env: 'Runtime environment — a variable of the runtime process',
  vault: 'HashiCorp Vault — KV v2, read by the runtime',
};

/** Where the value lives, as one line (never the value). */
function describeRef(ref: SecretRef): string {
  switch (ref.storeType) {
    case 'spin_store':
      return 'SPIN store';
    case 'runtime_env':
      return `$${ref.env}`;
    case 'vault':
      return `vault ${ref.vault.mount}/${ref.vault.path}#${ref.vault.key}${
        ref.vault.version ? ` (v${ref.vault.version})` : ''
      }`;
  }
}

/**
 * `/secrets`: a workspace's secrets (its own and inherited) with where each value lives. Owners
 * create, edit and delete; editors see names and references; `spin_store` values are
 * write-only — the page only ever says whether one is set.
 */
export function SecretsPage() {
  useDocumentTitle('Secrets');
  const { workspaces, list, current, choose } = useWorkspaceChoice();
  const [editing, setEditing] = useState<string | null>(null);
  const canView = allows(current, 'secret.view');
  const secrets = useQuery({
    queryKey: keys.secrets.list(current?.id ?? ''),
    queryFn: () => api.listSecrets(current!.id),
    enabled: current !== null && canView,
  });
  const canManage = allows(current, 'secret.manage');
  const editingSecret = secrets.data?.find((s) => s.id === editing) ?? null;

  return (
    <main className="page secrets-page">
      <div className="list-header">
        <h1>Secrets</h1>
        <WorkspacePicker
          list={list}
          current={current}
          onChoose={(id) => {
            choose(id);
            setEditing(null);
          }}
          testId="secrets-workspace"
        />
      </div>
      <p className="muted page-intro">
        Cells and connection fields use a secret as <code>{'{{secret:NAME}}'}</code>; the runtime
        resolves it when the cell runs and masks it in outputs.
      </p>
      {workspaces.error && <ErrorBox error={toErrorInfo(workspaces.error)} />}
      {current && (!canView || isForbidden(secrets.error)) && (
        <p className="muted" data-testid="secrets-forbidden">
          Your role in {current.name} ({current.role}) does not show secrets.
        </p>
      )}
      {secrets.error && !isForbidden(secrets.error) && (
        <ErrorBox error={toErrorInfo(secrets.error)} />
      )}
      {current && canView && secrets.isPending && <p className="muted">Loading…</p>}
      {current && secrets.data && (
        <SecretTable
          workspace={current}
          workspaces={list}
          secrets={secrets.data}
          onEdit={setEditing}
        />
      )}
      {current && editingSecret && (
        <section className="pair-panel" aria-labelledby="secret-edit-heading">
          <h2 id="secret-edit-heading">{editingSecret.name}</h2>
          <SecretEditor
            key={editingSecret.id}
            workspaceId={current.id}
            existing={editingSecret}
            onDone={() => setEditing(null)}
          />
        </section>
      )}
      {current && canManage && !editingSecret && (
        <section className="pair-panel" aria-labelledby="secret-create-heading">
          <h2 id="secret-create-heading">New secret</h2>
          <SecretEditor
            key={current.id}
            workspaceId={current.id}
            existing={null}
            onDone={() => undefined}
          />
        </section>
      )}
    </main>
  );
}

function SecretTable({
  workspace,
  workspaces,
  secrets,
  onEdit,
}: {
  workspace: WorkspaceDetail;
  workspaces: readonly WorkspaceDetail[];
  secrets: Secret[];
  onEdit: (id: string) => void;
}) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const remove = useMutation({
    mutationFn: (id: string) => api.deleteSecret(id),
    onSuccess: () => {
      setConfirming(null);
      void queryClient.invalidateQueries({ queryKey: keys.secrets.all });
    },
  });
  if (secrets.length === 0) {
    return (
      <p className="muted empty" data-testid="no-secrets">
        No secrets in this workspace yet.
      </p>
    );
  }
  return (
    <>
      {remove.error && <ErrorBox error={toErrorInfo(remove.error)} />}
      <table className="runtime-table" data-testid="secret-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Store</th>
            <th scope="col">Value</th>
            <th scope="col">Description</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {secrets.map((s) => {
            const home = workspaces.find((w) => w.id === s.workspaceId);
            const inherited = s.workspaceId !== workspace.id;
            const canManage = allows(home, 'secret.manage');
            return (
              <tr key={s.id} data-testid="secret-row" data-name={s.name} data-secret-id={s.id}>
                <td className="runtime-name-cell">
                  {s.name}
                  {inherited && (
                    <span className="chip inherited-tag" data-testid="secret-inherited">
                      inherited from {home?.name ?? 'a parent workspace'}
                    </span>
                  )}
                </td>
                <td data-testid="secret-store">{describeRef(s.ref)}</td>
                <td data-testid="secret-value-state">
                  {s.ref.storeType === 'spin_store' ? (
                    <span className={`chip ${s.value.set ? 'chip-ok' : 'chip-warn'}`}>
                      {s.value.set ? 'set' : 'not set'}
                    </span>
                  ) : (
                    <span className="muted">read by the runtime</span>
                  )}
                </td>
                <td className="muted">{s.description}</td>
                <td className="row-actions">
                  {canManage && (
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid="secret-edit"
                      onClick={() => onEdit(s.id)}
                    >
                      Edit
                    </button>
                  )}{' '}
                  {canManage && (
                    <ConfirmDelete
                      name={s.name}
                      testId="secret-delete"
                      confirming={confirming === s.id}
                      pending={remove.isPending}
                      onAsk={() => setConfirming(s.id)}
                      onCancel={() => setConfirming(null)}
                      onConfirm={() => remove.mutate(s.id)}
                    />
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/** Create a secret, or change one's description, reference or (spin_store) value. */
function SecretEditor({
  workspaceId,
  existing,
  onDone,
}: {
  workspaceId: string;
  existing: Secret | null;
  onDone: () => void;
}) {
  const queryClient = useQueryClient();
  const ref = existing?.ref;
  const [name, setName] = useState(existing?.name ?? '');
  const [description, setDescription] = useState(existing?.description ?? '');
  const [storeType, setStoreType] = useState<SecretStoreType>(ref?.storeType ?? 'spin_store');
  const [value, setValue] = useState('');
  const [replacing, setReplacing] = useState(!existing?.value.set);
  const [env, setEnv] = useState(ref?.storeType === 'runtime_env' ? ref.env : '');
  const [vault, setVault] = useState({
    mount: ref?.storeType === 'vault' ? ref.vault.mount : 'secret',
    path: ref?.storeType === 'vault' ? ref.vault.path : '',
    key: ref?.storeType === 'vault' ? ref.vault.key : '',
    version: ref?.storeType === 'vault' && ref.vault.version ? String(ref.vault.version) : '',
  });
  const buildRef = (): SecretRef => {
    if (storeType === 'runtime_env') return { storeType, env };
    if (storeType === 'vault') {
      return {
        storeType,
        vault: {
          mount: vault.mount,
          path: vault.path,
          key: vault.key,
          ...(vault.version ? { version: Number(vault.version) } : {}),
        },
      };
    }
    return { storeType: 'spin_store' };
  };
  const save = useMutation({
    mutationFn: () => {
      const withValue = storeType === 'spin_store' && value !== '' ? { value } : {};
      return existing
        ? api.updateSecret(existing.id, { description, ref: buildRef(), ...withValue })
        : api.createSecret(workspaceId, { name, description, ref: buildRef(), ...withValue });
    },
    onSuccess: () => {
      setValue(''); // the value leaves the page as soon as it is stored
      setName('');
      setDescription('');
      void queryClient.invalidateQueries({ queryKey: keys.secrets.all });
      onDone();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const showValueInput =
    storeType === 'spin_store' && (replacing || existing?.ref.storeType !== 'spin_store');

  return (
    <form className="pair-form" data-testid="secret-editor" onSubmit={submit}>
      {!existing && (
        <label>
          Name
          <input
            data-testid="secret-name"
            required
            maxLength={128}
            pattern="[A-Za-z_][A-Za-z0-9_.\-]*"
            title='Starts with a letter or "_"; letters, digits, "_", "." and "-"'
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
      )}
      <label>
        Description
        <input
          data-testid="secret-description"
          maxLength={1000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
      </label>
      <label>
        Store
        <select
          data-testid="secret-store-type"
          value={storeType}
          onChange={(e) => setStoreType(e.target.value as SecretStoreType)}
        >
          {(Object.keys(STORE_LABEL) as SecretStoreType[]).map((t) => (
            <option key={t} value={t}>
              {STORE_LABEL[t]}
            </option>
          ))}
        </select>
      </label>
      {storeType === 'spin_store' &&
        (showValueInput ? (
          <label>
            Value
            <input
              type="password"
              autoComplete="new-password"
              data-testid="secret-value"
              required={!existing}
              maxLength={65_536}
              value={value}
              onChange={(e) => setValue(e.target.value)}
            />
            <span className="form-help muted">Write-only: it is never shown again.</span>
          </label>
        ) : (
          <div className="form-row" data-testid="secret-value-set">
            <span className="form-label">Value</span> <span className="chip chip-ok">set</span>{' '}
            <button
              type="button"
              className="btn btn-small"
              data-testid="secret-value-replace"
              onClick={() => setReplacing(true)}
            >
              Replace
            </button>
          </div>
        ))}
      {storeType === 'runtime_env' && (
        <label>
          Environment variable
          <input
            data-testid="secret-env"
            required
            pattern="[A-Za-z_][A-Za-z0-9_]*"
            title="An environment variable name"
            value={env}
            onChange={(e) => setEnv(e.target.value)}
          />
        </label>
      )}
      {storeType === 'vault' && (
        <>
          {(['mount', 'path', 'key'] as const).map((k) => (
            <label key={k}>
              {k === 'mount' ? 'Mount' : k === 'path' ? 'Path' : 'Key'}
              <input
                data-testid={`secret-vault-${k}`}
                required
                value={vault[k]}
                onChange={(e) => setVault((v) => ({ ...v, [k]: e.target.value }))}
              />
            </label>
          ))}
          <label>
            Version (empty for the latest)
            <input
              type="number"
              min={1}
              step={1}
              data-testid="secret-vault-version"
              value={vault.version}
              onChange={(e) => setVault((v) => ({ ...v, version: e.target.value }))}
            />
          </label>
        </>
      )}
      {save.error && <ErrorBox error={toErrorInfo(save.error)} testId="secret-save-error" />}
      <div className="pair-actions">
        <button
          type="submit"
          className="btn btn-primary"
          data-testid="secret-save"
          disabled={save.isPending}
        >
          {save.isPending ? 'Saving…' : existing ? 'Save changes' : 'Create secret'}
        </button>
        {existing && (
          <>
            {' '}
            <button type="button" className="btn" onClick={onDone}>
              Cancel
            </button>
          </>
        )}
      </div>
    </form>
  );
}
