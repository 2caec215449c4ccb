import { z } from 'zod';
import type { ProcessorManifest } from './manifest.js';

/** Parameters of a shell cell: the bash script to run. */
export const ShellParamsSchema = z.object({
  script: z.string().max(1_000_000),
  /** Extra environment for the script (never secrets; those resolve at the runtime). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});
export type ShellParams = z.infer<typeof ShellParamsSchema>;

/** The shell processor: runs bash, streams stdout/stderr, exit code sets the status. */
export const shellManifest = {
  id: 'shell',
  name: 'Shell',
  version: '1.0.0',
  cellType: 'shell',
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: false,
  configSchema: z.object({}),
  secretsSchema: z.object({}),
  paramsSchema: ShellParamsSchema,
} satisfies ProcessorManifest;
