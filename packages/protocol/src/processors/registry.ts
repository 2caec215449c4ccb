import type { AnyProcessorManifest } from './manifest.js';
import { GENERATED_MANIFESTS } from './registry.generated.js';

function byId(list: readonly AnyProcessorManifest[]): Record<string, AnyProcessorManifest> {
  const out: Record<string, AnyProcessorManifest> = {};
  const cellTypes = new Set<string>();
  for (const m of list) {
    if (Object.hasOwn(out, m.id)) throw new Error(`two processors have the id "${m.id}"`);
    if (cellTypes.has(m.cellType)) throw new Error(`two processors add cell type "${m.cellType}"`);
    out[m.id] = m;
    cellTypes.add(m.cellType);
  }
  return out;
}

/**
 * Every processor manifest, by id: the one registry the server, the web UI and the runtime
 * read (DESIGN.md §3). Built from the processor folders; see scripts/processor-registry.mjs.
 */
export const PROCESSOR_MANIFESTS: Readonly<Record<string, AnyProcessorManifest>> = Object.freeze(
  byId(GENERATED_MANIFESTS),
);

/** The manifest with `id`, if this build has it. */
export function processorManifest(id: string): AnyProcessorManifest | undefined {
  return Object.hasOwn(PROCESSOR_MANIFESTS, id) ? PROCESSOR_MANIFESTS[id] : undefined;
}
