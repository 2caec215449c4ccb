import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one server instance (its own registry, so tests can run several). */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  compiles: Counter<'cell_type'>;
  receipts: Counter<'result'>;
}

/** Create the metrics registry served at `GET /metrics`. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'spin_http_requests_total',
      help: 'HTTP requests by route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    compiles: new Counter({
      name: 'spin_compiles_total',
      help: 'Cells compiled into programs, by cell type',
      labelNames: ['cell_type'],
      registers: [registry],
    }),
    receipts: new Counter({
      name: 'spin_receipts_total',
      help: 'Runtime receipts submitted, by result (accepted or error code)',
      labelNames: ['result'],
      registers: [registry],
    }),
  };
}
