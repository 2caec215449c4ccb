import type { ProcessorManifest } from './manifest.js';
import { shellManifest } from './shell.js';

export * from './manifest.js';
export * from './shell.js';

/** Every built-in processor manifest, by id. */
export const PROCESSOR_MANIFESTS: Readonly<Record<string, ProcessorManifest>> = {
  [shellManifest.id]: shellManifest,
};
