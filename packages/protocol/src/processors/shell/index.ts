import { z } from 'zod';
import { renderTemplate, templateText } from '../../templates.js';
import { defineProcessor } from '../manifest.js';
import { bindShellScript } from './shellTemplates.js';

export { bindShellScript, ShellContextScanner, type ShellContext } from './shellTemplates.js';

const EnvNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'letters, digits and "_", not starting with a digit')
  .refine((s) => !s.startsWith('SPIN_'), 'names starting with SPIN_ are reserved');

/** Parameters of a shell cell besides its script. */
export const ShellParamsSchema = z.object({
  env: z.record(EnvNameSchema, z.string().max(100_000)).default({}).meta({
    title: 'Environment',
    description: 'Extra environment variables for the script; values may use {{templates}}',
  }),
  output: z.enum(['text', 'jsonl']).default('text').meta({
    title: 'Output',
    description:
      'text: stdout as it is; jsonl: each stdout line is a JSON object, shown as a table',
  }),
});
export type ShellParams = z.infer<typeof ShellParamsSchema>;

/** A compiled shell program: the bash script, its extra environment and output format. */
export const ShellProgramSchema = z.object({
  script: z.string().max(1_000_000),
  /** Extra environment for the script (never secrets; those resolve at the runtime). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
  output: z.enum(['text', 'jsonl']).default('text'),
});
export type ShellProgram = z.infer<typeof ShellProgramSchema>;

/**
 * The shell processor: runs bash in the session directory, streams stdout/stderr; the exit code
 * sets the status. The time range reaches the script as `SPIN_TIME_FROM`/`SPIN_TIME_TO`.
 */
export const manifest = defineProcessor({
  id: 'shell',
  name: 'Shell',
  version: '1.1.0',
  description: 'Run a bash script on the runtime, in the session directory',
  cellType: 'shell',
  editor: { language: 'text/x-sh', placeholder: 'Shell — Shift+Enter to run' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: false,
  pinned: true,
  usesTimeRange: true,
  configSchema: z.object({}),
  secretsSchema: z.object({}),
  paramsSchema: ShellParamsSchema,
  programSchema: ShellProgramSchema,
  defaults: { source: '', params: { env: {}, output: 'text' } },
  compile: (cell) => ({ script: cell.source, env: cell.params.env, output: cell.params.output }),
  bindTemplates(params, binder) {
    const text = (ref: Parameters<typeof binder.resolve>[0]) => templateText(binder.resolve(ref));
    const bound = bindShellScript(params.script, text);
    const env = Object.fromEntries(
      Object.entries(params.env).map(([k, v]) => [k, renderTemplate(v, text)]),
    );
    return { ...params, script: bound.script, env: { ...env, ...bound.env } };
  },
});
