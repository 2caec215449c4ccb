import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/** The parts of scripts/setup/build.mjs under test (a plain .mjs: it runs before any build). */
interface BuildModule {
  buildPlan(root: string): { unit: { id: string }; reason: string | null; stamp: string }[];
  inputStamp(root: string, paths: string[]): string;
}
const build = (await import(
  new URL('../scripts/setup/build.mjs', import.meta.url).href
)) as BuildModule;

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function write(root: string, file: string, text: string) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** A repository-shaped folder whose units were all built from its current sources. */
function builtRepo(): string {
  const root = mkdtempSync(join(tmpdir(), 'spin-build-plan-'));
  roots.push(root);
  write(root, 'package-lock.json', '{}');
  for (const p of ['protocol', 'client', 'server', 'runtime', 'cli']) {
    write(root, `packages/${p}/src/index.ts`, `export const name = '${p}';\n`);
    write(root, `packages/${p}/dist/index.js`, '');
  }
  write(root, 'packages/web/src/main.tsx', 'export {};\n');
  write(root, 'packages/web/dist/index.html', '<html></html>');
  const stamps = Object.fromEntries(build.buildPlan(root).map((p) => [p.unit.id, p.stamp]));
  write(root, 'node_modules/.cache/spin/build-stamps.json', JSON.stringify(stamps));
  return root;
}

const reasons = (root: string) =>
  Object.fromEntries(build.buildPlan(root).map((p) => [p.unit.id, p.reason]));

describe("npm start's build check", () => {
  it('builds nothing when no source changed, even if files were touched', () => {
    const root = builtRepo();
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'packages/server/src/index.ts'), later, later);
    expect(reasons(root)).toEqual({ tsc: null, web: null });
  });

  it('rebuilds exactly the units whose sources changed', () => {
    const root = builtRepo();
    write(root, 'packages/server/src/index.ts', 'export const name = "changed";\n');
    expect(reasons(root)).toEqual({ tsc: 'sources changed', web: null });

    const web = builtRepo();
    write(web, 'packages/web/src/main.tsx', 'export const x = 1;\n');
    expect(reasons(web)).toEqual({ tsc: null, web: 'sources changed' });

    // the UI bundles protocol: both units
    const shared = builtRepo();
    write(shared, 'packages/protocol/src/new.ts', 'export {};\n');
    expect(reasons(shared)).toEqual({ tsc: 'sources changed', web: 'sources changed' });
  });

  it('ignores test files, and rebuilds when an output is gone or nothing was ever built', () => {
    const root = builtRepo();
    write(root, 'packages/runtime/src/index.test.ts', 'it("x", () => {});\n');
    expect(reasons(root)).toEqual({ tsc: null, web: null });
    rmSync(join(root, 'packages/web/dist'), { recursive: true });
    expect(reasons(root).web).toBe('output missing');
    rmSync(join(root, 'node_modules'), { recursive: true });
    expect(reasons(root)).toEqual({ tsc: 'never built', web: 'never built' });
  });
});
