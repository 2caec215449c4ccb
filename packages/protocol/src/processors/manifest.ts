import type { z } from 'zod';

/** Capability flags of a processor (DESIGN.md §3). */
export interface ProcessorCapabilities {
  query: boolean;
  stream: boolean;
  healthCheck: boolean;
  complete: boolean;
  schemaBrowse: boolean;
}

/**
 * Browser-safe half of a processor: what the server validates with and the UI draws forms
 * from. The runtime half lives in `packages/runtime/src/processors/<id>/`.
 */
export interface ProcessorManifest<
  Config extends z.ZodType = z.ZodType,
  Secrets extends z.ZodType = z.ZodType,
  Params extends z.ZodType = z.ZodType,
> {
  id: string;
  name: string;
  version: string;
  /** Cell type this processor runs. */
  cellType: string;
  capabilities: ProcessorCapabilities;
  /** Whether the processor needs a connection (shell does not). */
  needsConnection: boolean;
  configSchema: Config;
  secretsSchema: Secrets;
  paramsSchema: Params;
}
