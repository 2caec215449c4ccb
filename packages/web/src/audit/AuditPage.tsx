import { useState, type FormEvent } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import type { AuditEntry, AuditFilterQuery } from '@spin/protocol';
import { api, isForbidden, isUnauthenticated, toErrorInfo } from '../app/api';
import { useDocumentTitle } from '../app/useDocumentTitle';
import { ErrorBox } from '../runtimes/PairPanel';
import { allows } from '../connections/WorkspacePicker';
import { EMPTY_FILTER, toAuditQuery, type AuditFilterForm } from './auditFilter';
import { keys } from '../app/queryKeys';

const PAGE_SIZE = 50;

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/**
 * `/audit`: the audit entries the caller may read (org admins: all; workspace owners: their
 * workspaces'), filtered by workspace, actor, action and time, paged oldest first, with the
 * keyed chain's verification (org admins) and an NDJSON export of the same filter.
 */
export function AuditPage() {
  useDocumentTitle('Audit log');
  const workspaces = useQuery({
    queryKey: keys.workspaces.list(),
    queryFn: () => api.listWorkspaces(),
  });
  const readable = (workspaces.data ?? []).filter((w) => allows(w, 'audit.read'));
  const [form, setForm] = useState<AuditFilterForm>(EMPTY_FILTER);
  const [filter, setFilter] = useState<AuditFilterQuery>({});
  /** `after` of each page shown so far; the last is the current page. */
  const [pages, setPages] = useState<number[]>([0]);
  const after = pages[pages.length - 1]!;
  const entries = useQuery({
    queryKey: keys.audit.entries(filter, after),
    queryFn: () => api.listAudit({ ...filter, after, limit: PAGE_SIZE + 1 }),
    placeholderData: keepPreviousData,
  });
  const verify = useQuery({
    queryKey: keys.audit.verify(),
    queryFn: () => api.verifyAudit(),
    retry: false,
  });

  const shown = entries.data?.slice(0, PAGE_SIZE) ?? [];
  const hasNext = (entries.data?.length ?? 0) > PAGE_SIZE;
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilter(toAuditQuery(form));
    setPages([0]);
  };
  const workspaceName = (id: string | null) =>
    id === null ? 'organisation' : ((workspaces.data ?? []).find((w) => w.id === id)?.name ?? id);

  return (
    <main className="page audit-page">
      <div className="list-header">
        <h1>Audit log</h1>
        <ChainStatus verify={verify} />
      </div>
      <p className="muted page-intro">
        Every sign-in, change and cell run, in a keyed hash chain. Entries name what changed, never
        a secret&apos;s value.
      </p>
      <form className="audit-filters" data-testid="audit-filters" onSubmit={apply}>
        <label>
          Workspace
          <select
            data-testid="audit-filter-workspace"
            value={form.workspaceId}
            onChange={(e) => setForm((f) => ({ ...f, workspaceId: e.target.value }))}
          >
            <option value="">All I may read</option>
            {readable.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Actor
          <input
            data-testid="audit-filter-actor"
            placeholder="usr_… or system"
            value={form.actor}
            onChange={(e) => setForm((f) => ({ ...f, actor: e.target.value }))}
          />
        </label>
        <label>
          Action
          <input
            data-testid="audit-filter-action"
            placeholder="e.g. connection.created"
            value={form.action}
            onChange={(e) => setForm((f) => ({ ...f, action: e.target.value }))}
          />
        </label>
        <label>
          From
          <input
            type="datetime-local"
            data-testid="audit-filter-from"
            value={form.from}
            onChange={(e) => setForm((f) => ({ ...f, from: e.target.value }))}
          />
        </label>
        <label>
          To
          <input
            type="datetime-local"
            data-testid="audit-filter-to"
            value={form.to}
            onChange={(e) => setForm((f) => ({ ...f, to: e.target.value }))}
          />
        </label>
        <div className="pair-actions">
          <button type="submit" className="btn btn-primary" data-testid="audit-apply">
            Apply
          </button>{' '}
          <button
            type="button"
            className="btn"
            onClick={() => {
              setForm(EMPTY_FILTER);
              setFilter({});
              setPages([0]);
            }}
          >
            Reset
          </button>{' '}
          <a
            className="btn"
            data-testid="audit-export"
            href={api.auditExportUrl(filter)}
            download="spin-audit.ndjson"
          >
            Export NDJSON
          </a>
        </div>
      </form>
      {entries.error && !isUnauthenticated(entries.error) && (
        <ErrorBox error={toErrorInfo(entries.error)} testId="audit-error" />
      )}
      {entries.isPending && <p className="muted">Loading…</p>}
      {entries.data && shown.length === 0 && (
        <p className="muted empty" data-testid="audit-empty">
          No entries match.
        </p>
      )}
      {shown.length > 0 && <AuditTable entries={shown} workspaceName={workspaceName} />}
      <div className="pair-actions audit-pager">
        <button
          type="button"
          className="btn"
          data-testid="audit-prev"
          disabled={pages.length <= 1}
          onClick={() => setPages((p) => p.slice(0, -1))}
        >
          ← Previous
        </button>{' '}
        <span className="muted" data-testid="audit-page">
          Page {pages.length}
        </span>{' '}
        <button
          type="button"
          className="btn"
          data-testid="audit-next"
          disabled={!hasNext || entries.isFetching}
          onClick={() => setPages((p) => [...p, shown[shown.length - 1]!.seq])}
        >
          Next →
        </button>
      </div>
    </main>
  );
}

function ChainStatus({
  verify,
}: {
  verify: {
    data?: { ok: boolean; count: number; brokenAt: number | null; reason: string | null };
    error: unknown;
    isPending: boolean;
  };
}) {
  if (verify.isPending) {
    return (
      <span className="chip" data-testid="audit-chain" data-state="checking">
        verifying the chain…
      </span>
    );
  }
  if (verify.error) {
    return (
      <span className="chip" data-testid="audit-chain" data-state="unavailable">
        {isForbidden(verify.error)
          ? 'chain verification is for org admins'
          : `chain not verified: ${toErrorInfo(verify.error).message}`}
      </span>
    );
  }
  const r = verify.data!;
  return r.ok ? (
    <span className="chip chip-ok" data-testid="audit-chain" data-state="verified">
      ✓ chain verified ({r.count} entries)
    </span>
  ) : (
    <span className="chip chip-warn" data-testid="audit-chain" data-state="broken" role="alert">
      ✗ chain broken at entry {r.brokenAt}
      {r.reason ? `: ${r.reason}` : ''}
    </span>
  );
}

function AuditTable({
  entries,
  workspaceName,
}: {
  entries: AuditEntry[];
  workspaceName: (id: string | null) => string;
}) {
  return (
    <table className="runtime-table audit-table" data-testid="audit-list">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Time</th>
          <th scope="col">Actor</th>
          <th scope="col">Workspace</th>
          <th scope="col">Action</th>
          <th scope="col">Subject</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr key={e.seq} data-testid="audit-row" data-action={e.action} data-seq={e.seq}>
            <td className="muted">{e.seq}</td>
            <td className="muted">{formatTime(e.at)}</td>
            <td>
              <code>{e.actor ?? 'system'}</code>
            </td>
            <td>{workspaceName(e.workspaceId)}</td>
            <td>
              <code data-testid="audit-action">{e.action}</code>
            </td>
            <td>
              <code>{e.subject ?? ''}</code>
            </td>
            <td className="audit-data">
              <code data-testid="audit-data">
                {Object.keys(e.data).length > 0 ? JSON.stringify(e.data) : ''}
              </code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
