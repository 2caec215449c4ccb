import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's Prometheus (`apt-get install prometheus`). */
export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/** A free loopback TCP port (the OS picks it; it is free again once this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject()));
    });
  });
}

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`Prometheus: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A real Prometheus for tests: started on a free loopback port with a temporary TSDB and a
 * config that scrapes itself every second, so its own metrics (`up`,
 * `prometheus_http_requests_total`…) have fresh samples. `stop()` kills exactly the process it
 * started and removes the data directory.
 */
export class PrometheusServer {
  url = '';
  private child: ChildProcess | null = null;
  private dir = '';
  private log = '';

  /**
   * Start, wait until `/-/ready` answers and until `up` has at least `samples` samples.
   * `targetLabels` are added to the self-scrape target (so its `up` series carries them).
   */
  async start(
    opts: { samples?: number; targetLabels?: Record<string, string> } = {},
  ): Promise<this> {
    this.dir = mkdtempSync(join(tmpdir(), 'spin-prometheus-'));
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const config = join(this.dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        '  - job_name: prometheus',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${port}']`,
        // JSON strings are YAML double-quoted scalars: any label value is written exactly.
        ...(opts.targetLabels
          ? [
              '        labels:',
              ...Object.entries(opts.targetLabels).map(
                ([k, v]) => `          ${k}: ${JSON.stringify(v)}`,
              ),
            ]
          : []),
        '',
      ].join('\n'),
    );
    this.child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr!.on(
      'data',
      (c: Buffer) => (this.log = (this.log + c.toString()).slice(-4000)),
    );
    const exited = new Promise<never>((_, reject) =>
      this.child!.once('exit', (code) =>
        reject(new Error(`Prometheus exited (${code}): ${this.log}`)),
      ),
    );
    exited.catch(() => undefined);
    const samples = opts.samples ?? 3;
    await Promise.race([
      exited,
      (async () => {
        await waitFor(async () => (await fetch(`${this.url}/-/ready`)).ok, 30_000, 'ready');
        await waitFor(
          async () => {
            const q = encodeURIComponent(`count_over_time(up[1m]) >= ${samples}`);
            const res = await fetch(`${this.url}/api/v1/query?query=${q}`);
            const body = (await res.json()) as { data?: { result?: unknown[] } };
            return (body.data?.result?.length ?? 0) > 0;
          },
          30_000,
          `${samples} samples of up`,
        );
      })(),
    ]);
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
