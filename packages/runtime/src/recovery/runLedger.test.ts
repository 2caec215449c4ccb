import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RunLedger, type InflightRun } from './runLedger.js';

const run = (jti: string): InflightRun => ({
  sid: 'ses_1',
  jti,
  cell: 'c1',
  sub: 'usr_1',
  notebook: 'nb_1',
  startedAt: '2026-12-02T12:00:00.000Z',
  seqFirst: 1,
});

describe('RunLedger', () => {
  const dirs: string[] = [];
  const home = () => {
    const d = mkdtempSync(join(tmpdir(), 'spin-runs-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('tells the next life which runs never ended, even when this one was never closed (SIGKILL)', () => {
    const dir = home();
    const a = new RunLedger(dir);
    a.started(run('j1'));
    a.started(run('j2'));
    a.ended('j1');
    // no close(): what a killed process leaves
    const b = new RunLedger(dir);
    expect(b.leftInFlight().map((r) => r.jti)).toEqual(['j2']);
    b.settledPrevious();
    b.close();
    expect(new RunLedger(dir).leftInFlight()).toEqual([]);
    a.close();
  });

  it('ignores a torn last line and reads the single-file ledger of earlier versions', () => {
    const dir = home();
    mkdirSync(join(dir, 'state'), { recursive: true });
    writeFileSync(join(dir, 'state', 'runs.json'), JSON.stringify([run('old')]));
    const a = new RunLedger(dir);
    expect(a.leftInFlight().map((r) => r.jti)).toEqual(['old']);
    expect(existsSync(join(dir, 'state', 'runs.json'))).toBe(false);
    a.close();
    appendFileSync(join(dir, 'state', 'runs.jsonl'), '{"ended":"ol');
    expect(new RunLedger(dir).leftInFlight().map((r) => r.jti)).toEqual(['old']);
  });

  it('compacts a long file down to the runs still in flight', () => {
    const dir = home();
    const a = new RunLedger(dir);
    a.started(run('keep'));
    for (let i = 0; i < 1200; i++) {
      a.started(run(`r${i}`));
      a.ended(`r${i}`);
    }
    const lines = readFileSync(join(dir, 'state', 'runs.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(lines.length).toBeLessThan(1100);
    expect(new RunLedger(dir).leftInFlight().map((r) => r.jti)).toEqual(['keep']);
    a.close();
  });
});
