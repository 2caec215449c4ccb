import { PROCESSOR_MANIFESTS } from '@spin/protocol';
import { ConnectionForm } from './ConnectionForm';
import { useDocumentTitle } from '../app/useDocumentTitle';

const CAPABILITIES = ['query', 'stream', 'healthCheck', 'complete', 'schemaBrowse'] as const;

/** Every processor of this build, from the registry: what it adds and its connection form. */
export function IntegrationsPage() {
  useDocumentTitle('Integrations');
  return (
    <main className="page integrations-page">
      <h1>Integrations</h1>
      <p className="muted">
        Each integration adds a cell type. Its result becomes a session variable that later cells
        read as <code>{'{{name}}'}</code> and Python as <code>name.df</code>.
      </p>
      {Object.values(PROCESSOR_MANIFESTS).map((m) => (
        <section
          className="integration"
          key={m.id}
          data-testid={`integration-${m.id}`}
          data-cell-type={m.cellType}
        >
          <h2>
            {m.name} <span className="muted">v{m.version}</span>
          </h2>
          <p>{m.description}</p>
          <p className="capabilities">
            <span className="muted">Cell type</span> <code>{m.cellType}</code>
            {CAPABILITIES.filter((c) => m.capabilities[c]).map((c) => (
              <span key={c} className="chip">
                {c}
              </span>
            ))}
          </p>
          <h3>Connection</h3>
          <ConnectionForm manifest={m} />
        </section>
      ))}
    </main>
  );
}
