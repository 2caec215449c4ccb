import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { completePairing, inspectRuntime, type PairingPlan } from '@spin/client';
import type { Runtime, Workspace } from '@spin/protocol';
import { api, toErrorInfo, type ErrorInfo } from '../app/api';
import { checkPairForm, type PairInput } from './pairForm';
import { keys } from '../app/queryKeys';

/** Outcome shown after a pairing: the registered runtime and, for a re-pair, what it replaced. */
interface Paired {
  runtime: Runtime;
  previousFingerprint: string | null;
}

export function ErrorBox({ error, testId }: { error: ErrorInfo; testId?: string }) {
  return (
    <div className="error-box" role="alert" data-testid={testId}>
      <code>{error.code}</code> {error.message}
    </div>
  );
}

/**
 * "Pair a runtime" (DESIGN.md §1 "Pairing a runtime"). The runtime's identity is read first and
 * its fingerprint compared with the expected one before anything is sent to it. A runtime the
 * server already knows is a re-pair: its old and new fingerprints (and URLs) are shown, and
 * nothing happens until the user confirms.
 */
export function PairPanel({ workspaces }: { workspaces: readonly Workspace[] }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  // The SPIN_TOKEN lives only in this input's state while the admin types: it is sent to the
  // runtime once, never to the server, and cleared after a successful pairing.
  const [token, setToken] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [workspaceId, setWorkspaceId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [paired, setPaired] = useState<Paired | null>(null);
  const [pending, setPending] = useState<{ plan: PairingPlan; input: PairInput } | null>(null);

  const targetWorkspace = workspaceId || workspaces[0]?.id || '';

  const finish = (plan: PairingPlan, input: PairInput) => {
    setBusy(true);
    completePairing({
      api,
      plan,
      spinToken: input.spinToken,
      name: input.name,
      allowedOrigins: [window.location.origin],
      workspaceId: targetWorkspace || undefined,
    })
      .then(
        (result) => {
          setToken('');
          setName('');
          setUrl('');
          setFingerprint('');
          setPending(null);
          setPaired(result);
          void queryClient.invalidateQueries({ queryKey: keys.runtimes.all });
        },
        (err: unknown) => {
          setPending(null);
          setError(toErrorInfo(err));
        },
      )
      .finally(() => setBusy(false));
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setPaired(null);
    setPending(null);
    const checked = checkPairForm({ name, url, token, fingerprint }, window.location.protocol);
    if (!checked.ok) {
      setError(checked.error);
      return;
    }
    const input = checked.value;
    setBusy(true);
    inspectRuntime({
      api,
      runtimeUrl: input.runtimeUrl,
      expectedFingerprint: input.expectedFingerprint,
    }).then(
      (plan) => {
        if (plan.registered) {
          setPending({ plan, input });
          setBusy(false);
        } else {
          finish(plan, input);
        }
      },
      (err: unknown) => {
        setError(toErrorInfo(err));
        setBusy(false);
      },
    );
  };

  return (
    <section className="pair-panel" aria-labelledby="pair-heading">
      <h2 id="pair-heading">Pair a runtime</h2>
      <p className="muted">
        Enter the runtime&apos;s URL and the <code>SPIN_TOKEN</code> it was started with. Your
        browser checks the runtime&apos;s key fingerprint, sends this server&apos;s public keys and
        this page&apos;s origin to the runtime, then registers the runtime&apos;s keys here. The
        token is never sent to the server.
      </p>
      <form className="pair-form" onSubmit={submit} noValidate>
        <label>
          Name
          <input
            data-testid="pair-name"
            required
            maxLength={200}
            placeholder="eu-prod-runtime"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </label>
        <label>
          URL
          <input
            data-testid="pair-url"
            type="url"
            required
            placeholder="https://runtime.internal:8888"
            autoComplete="url"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
          />
        </label>
        <label>
          SPIN_TOKEN
          <input
            data-testid="pair-token"
            type="password"
            required
            autoComplete="off"
            spellCheck={false}
            value={token}
            onChange={(e) => setToken(e.target.value)}
          />
        </label>
        <label>
          <span>
            Key fingerprint <span className="muted">(optional)</span>
          </span>
          <input
            data-testid="pair-fingerprint"
            className="mono-input"
            placeholder="SHA256:…"
            spellCheck={false}
            autoComplete="off"
            value={fingerprint}
            onChange={(e) => setFingerprint(e.target.value)}
          />
        </label>
        {workspaces.length > 1 && (
          <label>
            Workspace
            <select
              data-testid="pair-workspace"
              value={targetWorkspace}
              onChange={(e) => setWorkspaceId(e.target.value)}
            >
              {workspaces.map((w) => (
                <option key={w.id} value={w.id}>
                  {w.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <div className="pair-actions">
          <button
            type="submit"
            className="btn btn-primary"
            data-testid="pair-submit"
            disabled={busy || pending !== null}
          >
            {busy ? 'Pairing…' : 'Pair runtime'}
          </button>
        </div>
      </form>
      {pending && pending.plan.registered && (
        <RepairConfirm
          plan={pending.plan}
          registered={pending.plan.registered}
          busy={busy}
          onConfirm={() => finish(pending.plan, pending.input)}
          onCancel={() => setPending(null)}
        />
      )}
      {error && <ErrorBox error={error} testId="pair-error" />}
      {paired && (
        <div className="notice pair-result" role="status" data-testid="pair-result">
          {paired.previousFingerprint ? 'Re-paired' : 'Paired'}{' '}
          <strong>{paired.runtime.name}</strong>. Registered key fingerprint:{' '}
          <code className="fingerprint">{paired.runtime.fingerprint}</code>
          {paired.previousFingerprint &&
            paired.previousFingerprint !== paired.runtime.fingerprint && (
              <>
                {' '}
                (was <code className="fingerprint">{paired.previousFingerprint}</code>)
              </>
            )}
          <br />
          Compare it with the key fingerprint the runtime printed when it started. If they differ,
          something else answered in the runtime&apos;s place: do not use this runtime.
        </div>
      )}
    </section>
  );
}

/** The old and new identity of a runtime that is already registered; nothing changes unless confirmed. */
function RepairConfirm({
  plan,
  registered,
  busy,
  onConfirm,
  onCancel,
}: {
  plan: PairingPlan;
  registered: Runtime;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const keysChange = registered.fingerprint !== plan.identity.fingerprint;
  return (
    <div
      className="notice notice-warn repair-confirm"
      role="alertdialog"
      data-testid="repair-confirm"
    >
      <p>
        <strong>{registered.name}</strong> is already paired with this server.{' '}
        {keysChange
          ? 'Its keys have changed: confirm only if you know why (e.g. its home was reset).'
          : 'Its keys are unchanged.'}
      </p>
      <dl className="repair-compare">
        <dt>Old fingerprint</dt>
        <dd>
          <code className="fingerprint" data-testid="repair-old-fingerprint">
            {registered.fingerprint}
          </code>
        </dd>
        <dt>New fingerprint</dt>
        <dd>
          <code className="fingerprint" data-testid="repair-new-fingerprint">
            {plan.identity.fingerprint}
          </code>
        </dd>
        <dt>Old URL</dt>
        <dd>
          <code>{registered.url}</code>
        </dd>
        <dt>New URL</dt>
        <dd>
          <code>{plan.runtimeUrl}</code>
        </dd>
      </dl>
      <div className="pair-actions">
        <button
          type="button"
          className="btn btn-primary"
          data-testid="repair-confirm-button"
          disabled={busy}
          onClick={onConfirm}
        >
          {busy ? 'Re-pairing…' : 'Re-pair runtime'}
        </button>{' '}
        <button type="button" className="btn" data-testid="repair-cancel" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
