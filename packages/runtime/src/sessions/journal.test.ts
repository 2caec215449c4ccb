import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal } from './journal.js';

const dirs: string[] = [];
function journalFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'spin-journal-'));
  dirs.push(dir);
  return path.join(dir, 'journal.jsonl');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const stream = (text: string) =>
  ({
    type: 'stream',
    cell: 'c',
    jti: 'j',
    data: { output_type: 'stream', name: 'stdout', text },
  }) as const;

describe('Journal', () => {
  it('reloads events after a restart and keeps numbering without gaps', () => {
    const file = journalFile();
    const a = new Journal(file, 'ses_1');
    a.append(stream('one'));
    a.append(stream('two'));
    a.close();
    const b = new Journal(file, 'ses_1');
    expect(b.headSeq).toBe(2);
    expect(b.append(stream('three')).seq).toBe(3);
    expect(b.since(1).map((e) => (e.type === 'stream' ? e.data.text : ''))).toEqual([
      'two',
      'three',
    ]);
    b.close();
  });

  it('drops a torn last line from a crash, so the next event is not glued to it', () => {
    const file = journalFile();
    const a = new Journal(file, 'ses_1');
    a.append(stream('kept'));
    a.close();
    appendFileSync(file, '{"sid":"ses_1","seq":2,"ts":"2026-'); // crash mid-write
    const b = new Journal(file, 'ses_1');
    expect(b.headSeq).toBe(1);
    b.append(stream('after restart'));
    b.close();
    const c = new Journal(file, 'ses_1');
    expect(c.headSeq).toBe(2);
    expect(c.since(1)[0]).toMatchObject({ seq: 2, data: { text: 'after restart' } });
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    c.close();
  });
});
