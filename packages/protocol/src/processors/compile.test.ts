import { describe, expect, it } from 'vitest';
import { CellInputSchema } from '../cells.js';
import { CELL_TYPES, cellTypeInfo } from './cellTypes.js';
import { compileCell } from './compile.js';
import { PROCESSOR_MANIFESTS } from './registry.js';

const limits = { timeoutMs: 1000, outputBytes: 1000 };
const now = Date.parse('2026-05-01T12:00:00.000Z');

describe('cell types from the registry', () => {
  it('lists Python, one type per manifest, then Markdown', () => {
    expect(CELL_TYPES[0]!.type).toBe('python');
    expect(CELL_TYPES[CELL_TYPES.length - 1]!.type).toBe('markdown');
    const processors = CELL_TYPES.filter((t) => t.kind === 'processor');
    expect(processors.map((t) => t.manifest)).toEqual(Object.values(PROCESSOR_MANIFESTS));
  });

  it('compiles every manifest cell type from its defaults into its own processor', () => {
    for (const m of Object.values(PROCESSOR_MANIFESTS)) {
      const program = compileCell(
        { id: 'c', type: m.cellType, source: m.defaults.source, params: m.defaults.params },
        { limits, now },
      );
      expect(program).toMatchObject({ kind: 'processor', processor: m.id, resultVar: 'cell_c' });
    }
  });

  it('refuses cells of unknown types and params their schema rejects', () => {
    expect(CellInputSchema.safeParse({ id: 'a', type: 'nosuch', source: '' }).success).toBe(false);
    const info = cellTypeInfo('python')!;
    expect(() =>
      compileCell(
        { id: 'a', type: info.type, source: '', params: { kernel: 'no way' } },
        { limits },
      ),
    ).toThrow(expect.objectContaining({ code: 'cell.invalid_params' }));
    expect(() => compileCell({ id: 'a', type: 'nosuch', source: '' }, { limits })).toThrow(
      expect.objectContaining({ code: 'cell.unknown_type' }),
    );
  });

  it('carries only the template values a program refers to', () => {
    for (const m of Object.values(PROCESSOR_MANIFESTS)) {
      const program = compileCell(
        {
          id: 'c',
          type: m.cellType,
          source: `${m.defaults.source}{{used}}{{secret:S}}`,
          params: m.defaults.params,
        },
        { limits, now, templateValues: { used: 'u', unused: 'x' } },
      );
      expect(program.kind === 'processor' && program.vars, m.id).toEqual({ used: 'u' });
    }
  });
});
