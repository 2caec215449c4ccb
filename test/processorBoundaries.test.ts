import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROCESSOR_MANIFESTS } from '@spin/protocol';
import { generatedFiles } from '../scripts/processor-registry.mjs';

// DESIGN.md §3: a processor is its two folders and nothing else anywhere. These checks make
// that enforceable: no code outside the folders names a processor, and the registries built
// from the folders are current.
const root = fileURLToPath(new URL('..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory())
      return name === 'node_modules' || name === 'dist' ? [] : sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) &&
      !/\.test\.tsx?$/.test(name) &&
      !name.endsWith('.generated.ts')
      ? [path]
      : [];
  });
}

describe('processor boundaries', () => {
  it('the generated registries match the processor folders (run `npm run build` if not)', () => {
    for (const [file, content] of Object.entries(generatedFiles())) {
      expect(readFileSync(file, 'utf8'), relative(root, file)).toBe(content);
    }
  });

  it('no source outside its two folders names a processor id or its cell type', () => {
    const files = readdirSync(join(root, 'packages')).flatMap((pkg) => {
      const src = join(root, 'packages', pkg, 'src');
      try {
        return sourceFiles(src);
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const m of Object.values(PROCESSOR_MANIFESTS)) {
      const own = [
        `packages/protocol/src/processors/${m.id}/`,
        `packages/runtime/src/processors/${m.id}/`,
      ];
      const names = [...new Set([m.id, m.cellType])].map((n) =>
        n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      );
      const literal = new RegExp(
        `(['"\`])(${names.join('|')})\\1|add-cell-(${names.join('|')})\\b`,
      );
      for (const file of files) {
        const rel = relative(root, file);
        if (own.some((dir) => rel.startsWith(dir))) continue;
        // "shell" is also a Jupyter channel (shell, control, iopub, stdin): the kernel client
        // names it for that, never for the shell processor.
        if (m.id === 'shell' && rel.startsWith('packages/runtime/src/kernels/')) continue;
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (literal.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
          });
      }
    }
    expect(hits).toEqual([]);
  });
});
