import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEvent } from '@spin/protocol';

/**
 * Cell sources that try to read SPIN's state from inside a sandbox, and host-side helpers to
 * list what they should try. Shared by the runtime's and `spin start`'s isolation tests.
 */

/** Every file and directory under `root` (as the host sees it), minus `skip` subtrees. */
export function walk(root: string, skip: (path: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    if (skip(p)) return;
    out.push(p);
    const st = lstatSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(join(p, name));
  };
  visit(root);
  return out;
}

/** All stream text of a cell's events. */
export function streamText(events: JournalEvent[]): string {
  return events.map((e) => (e.type === 'stream' ? e.data.text : '')).join('');
}

/** Error outputs of a cell's events, as `ename: evalue`. */
export function errorText(events: JournalEvent[]): string {
  return events
    .map((e) => (e.type === 'error' ? `${e.data.ename}: ${e.data.evalue}` : ''))
    .join('');
}

/**
 * Python that opens every file and lists every directory of `paths`; prints `LEAKS [...]`
 * (paths it could read, or directories with visible entries) and `tried N`.
 */
export function pythonReadProbe(paths: string[]): string {
  return [
    'import json, os',
    `paths = json.loads(${JSON.stringify(JSON.stringify(paths))})`,
    'leaks = []',
    'for p in paths:',
    '    try:',
    '        if os.path.isdir(p):',
    '            if os.listdir(p): leaks.append(p)',
    '        else:',
    '            with open(p, "rb") as f: f.read(1)',
    '            leaks.append(p)',
    '    except OSError:',
    '        pass',
    'print("LEAKS", json.dumps(leaks))',
    'print("tried", len(paths))',
  ].join('\n');
}

function sq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The same probe in bash: prints `LEAK <path>` per readable path, then `tried N`. */
export function shellReadProbe(paths: string[]): string {
  return [
    'n=0',
    `for p in ${paths.map(sq).join(' ')}; do`,
    '  n=$((n+1))',
    '  if [ -d "$p" ]; then',
    '    if [ -n "$(ls -A "$p" 2>/dev/null)" ]; then echo "LEAK $p"; fi',
    '  elif head -c1 "$p" >/dev/null 2>&1; then echo "LEAK $p"; fi',
    'done',
    'echo "tried $n"',
  ].join('\n');
}

/** Python that tries to create each of `files`; prints `WROTE <path>` for each success. */
export function pythonWriteProbe(files: string[]): string {
  return [
    'import json',
    `for p in json.loads(${JSON.stringify(JSON.stringify(files))}):`,
    '    try:',
    '        with open(p, "w") as f: f.write("escaped")',
    '        print("WROTE", p)',
    '    except OSError:',
    '        pass',
    'open("ok-python", "w").write("mine")',
    'print("done")',
  ].join('\n');
}

/** The same in bash. */
export function shellWriteProbe(files: string[]): string {
  return [
    `for p in ${files.map(sq).join(' ')}; do`,
    '  if (echo escaped > "$p") 2>/dev/null; then echo "WROTE $p"; fi',
    'done',
    'echo mine > ok-shell',
    'echo done',
  ].join('\n');
}
