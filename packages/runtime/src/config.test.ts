import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults and lets options override the environment', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const cfg = loadConfig(
      { port: 0 },
      { PORT: '9999', SPIN_HOME: home, SPIN_TOKEN: 't'.repeat(20) },
    );
    expect(cfg.port).toBe(0);
    expect(cfg.host).toBe('127.0.0.1');
    expect(cfg.sandbox).toBe('auto');
    expect(cfg.sandboxNetwork).toBe('on');
    expect(cfg.spinToken).toBe('t'.repeat(20));
    rmSync(home, { recursive: true });
  });

  it('keeps one python3 kernel pre-started by default; SPIN_KERNEL_POOL names others or turns it off', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const env = { SPIN_HOME: home, SPIN_TOKEN: 't'.repeat(20) };
    expect(loadConfig({}, env).kernelPool).toEqual(['python3']);
    expect(loadConfig({}, { ...env, SPIN_KERNEL_POOL: 'off' }).kernelPool).toEqual([]);
    expect(loadConfig({}, { ...env, SPIN_KERNEL_POOL: '' }).kernelPool).toEqual([]);
    expect(loadConfig({}, { ...env, SPIN_KERNEL_POOL: 'python3, ir' }).kernelPool).toEqual([
      'python3',
      'ir',
    ]);
    expect(loadConfig({ kernelPool: [] }, env).kernelPool).toEqual([]);
    rmSync(home, { recursive: true });
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({}, { PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({}, { SPIN_SANDBOX: 'docker' })).toThrow(/SPIN_SANDBOX/);
    expect(() => loadConfig({}, { SPIN_ALLOWED_ORIGINS: 'not a url' })).toThrow(
      /SPIN_ALLOWED_ORIGINS/,
    );
  });

  it('generates a SPIN_TOKEN into a 0600 file and reuses it', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const a = loadConfig({ home }, {});
    const file = join(home, 'spin-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(a.spinToken);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadConfig({ home }, {}).spinToken).toBe(a.spinToken);
    rmSync(home, { recursive: true });
  });

  it('normalises allowed origins', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const cfg = loadConfig(
      { home },
      { SPIN_ALLOWED_ORIGINS: 'https://a.test/, http://b.test:8080' },
    );
    expect(cfg.allowedOrigins).toEqual(['https://a.test', 'http://b.test:8080']);
    rmSync(home, { recursive: true });
  });

  it('reads journal retention and output limits, with units', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const cfg = loadConfig(
      { home },
      {
        SPIN_JOURNAL_MAX_AGE: '12h',
        SPIN_JOURNAL_MAX_BYTES: '2GiB',
        SPIN_JOURNAL_SEGMENT_BYTES: '1MB',
        SPIN_OUTPUT_INLINE_BYTES: '65536',
        SPIN_OUTPUT_SPILL_MAX_BYTES: '1.5GB',
      },
    );
    expect(cfg.journalMaxAgeMs).toBe(12 * 3_600_000);
    expect(cfg.journalMaxBytes).toBe(2 * 2 ** 30);
    expect(cfg.journalSegmentBytes).toBe(1_000_000);
    expect(cfg.outputInlineBytes).toBe(65_536);
    expect(cfg.outputSpillMaxBytes).toBe(1_500_000_000);
    const defaults = loadConfig({ home }, {});
    expect(defaults.journalMaxAgeMs).toBe(30 * 86_400_000);
    expect(defaults.outputInlineBytes).toBe(4 * 2 ** 20);
    expect(loadConfig({ home }, { SPIN_JOURNAL_MAX_AGE: '3600' }).journalMaxAgeMs).toBe(3_600_000);
    rmSync(home, { recursive: true });
  });

  it('names the journal or output variable that is wrong', () => {
    expect(() => loadConfig({}, { SPIN_JOURNAL_MAX_AGE: 'a week' })).toThrow(
      /SPIN_JOURNAL_MAX_AGE: "a week" is not a duration/,
    );
    expect(() => loadConfig({}, { SPIN_JOURNAL_MAX_BYTES: '10 parsecs' })).toThrow(
      /SPIN_JOURNAL_MAX_BYTES/,
    );
    expect(() => loadConfig({}, { SPIN_OUTPUT_INLINE_BYTES: '0' })).toThrow(
      /SPIN_OUTPUT_INLINE_BYTES/,
    );
  });

  it('reads the sandbox settings; hidden paths from env and options add up', () => {
    const home = mkdtempSync(join(tmpdir(), 'spin-cfg-'));
    const cfg = loadConfig(
      { home, sandboxHide: ['/srv/b'] },
      {
        SPIN_SANDBOX: 'user',
        SPIN_SANDBOX_HIDE: '/srv/a:/srv/c/',
        SPIN_SANDBOX_NETWORK: 'off',
        SPIN_SANDBOX_MEMORY: '2g',
        SPIN_SANDBOX_CPU_SECONDS: '30',
        SPIN_SANDBOX_PROCESSES: '64',
      },
    );
    expect(cfg).toMatchObject({
      sandbox: 'user',
      sandboxHide: ['/srv/a', '/srv/c', '/srv/b'],
      sandboxNetwork: 'off',
      sandboxMemoryBytes: 2 * 1024 ** 3,
      sandboxCpuSeconds: 30,
      sandboxProcesses: 64,
    });
    expect(() => loadConfig({ home }, { SPIN_SANDBOX_MEMORY: 'lots' })).toThrow(
      /SPIN_SANDBOX_MEMORY/,
    );
    expect(() => loadConfig({ home }, { SPIN_SANDBOX_NETWORK: 'maybe' })).toThrow(
      /SPIN_SANDBOX_NETWORK/,
    );
    rmSync(home, { recursive: true });
  });
});
