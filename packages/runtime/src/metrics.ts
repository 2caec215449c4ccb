import { Counter, Gauge, Registry } from 'prom-client';

/**
 * Prometheus metrics of one runtime (`GET /metrics`). Each runtime owns its registry so several
 * runtimes can live in one process (tests, `spin start`).
 */
export class RuntimeMetrics {
  readonly registry = new Registry();
  readonly executions = new Counter({
    name: 'spin_runtime_executions_total',
    help: 'Cell executions by final status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly activeKernels = new Gauge({
    name: 'spin_runtime_active_kernels',
    help: 'Kernel processes currently running',
    registers: [this.registry],
  });
  readonly wsConnections = new Gauge({
    name: 'spin_runtime_ws_connections',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });
  readonly envelopeRejections = new Counter({
    name: 'spin_runtime_envelope_rejections_total',
    help: 'Rejected programs and tokens by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
}
