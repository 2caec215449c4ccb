import { z } from 'zod';
import type { AnyProcessorManifest } from './manifest.js';
import { PROCESSOR_MANIFESTS } from './registry.js';

/** How a cell type runs: rendered in the browser, code in a Jupyter kernel, or a processor. */
export type CellKind = 'markdown' | 'kernel' | 'processor';

/** Everything the UI and the compiler need to know about one cell type. */
export interface CellTypeInfo {
  type: string;
  name: string;
  kind: CellKind;
  /** Editor language as a MIME type. */
  language: string;
  placeholder: string;
  paramsSchema: z.ZodObject;
  defaults: { source: string; params: Record<string, unknown> };
  usesTimeRange: boolean;
  /** The processor behind a `processor` cell type. */
  manifest: AnyProcessorManifest | null;
}

/** Parameters of a kernel cell: which Jupyter kernelspec runs it. */
export const KernelCellParamsSchema = z.object({
  kernel: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,128}$/)
    .default('python3')
    .meta({
      title: 'Kernel',
      description: 'Jupyter kernelspec name (python3 unless you installed others)',
    }),
});

const BUILTIN_KERNEL: CellTypeInfo = {
  type: 'python',
  name: 'Python',
  kind: 'kernel',
  language: 'text/x-python',
  placeholder: 'Python — Shift+Enter to run',
  paramsSchema: KernelCellParamsSchema,
  defaults: { source: '', params: {} },
  usesTimeRange: false,
  manifest: null,
};

const BUILTIN_MARKDOWN: CellTypeInfo = {
  type: 'markdown',
  name: 'Markdown',
  kind: 'markdown',
  language: 'text/markdown',
  placeholder: 'Markdown — Shift+Enter to render',
  paramsSchema: z.object({}),
  defaults: { source: '', params: {} },
  usesTimeRange: false,
  manifest: null,
};

function fromManifest(m: AnyProcessorManifest): CellTypeInfo {
  return {
    type: m.cellType,
    name: m.name,
    kind: 'processor',
    language: m.editor.language,
    placeholder: m.editor.placeholder,
    paramsSchema: m.paramsSchema,
    defaults: { source: m.defaults.source, params: { ...m.defaults.params } },
    usesTimeRange: m.usesTimeRange,
    manifest: m,
  };
}

function build(): readonly CellTypeInfo[] {
  const list = [
    BUILTIN_KERNEL,
    ...Object.values(PROCESSOR_MANIFESTS).map(fromManifest),
    BUILTIN_MARKDOWN,
  ];
  const seen = new Set<string>();
  for (const t of list) {
    if (seen.has(t.type)) throw new Error(`cell type "${t.type}" is defined twice`);
    seen.add(t.type);
  }
  return Object.freeze(list);
}

/**
 * Every cell type, in menu order: Python (any kernel), one per processor manifest, Markdown.
 * The UI's cell-type menus, editors and parameter forms are drawn from this list.
 */
export const CELL_TYPES: readonly CellTypeInfo[] = build();

const BY_TYPE = new Map(CELL_TYPES.map((t) => [t.type, t]));

/** The cell type `type`, if this build knows it. */
export function cellTypeInfo(type: string): CellTypeInfo | undefined {
  return BY_TYPE.get(type);
}
