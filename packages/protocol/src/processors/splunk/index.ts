import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { parseTemplate, templateText, type TemplateRef } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

/**
 * A Splunk connection, with the fields of Grafana's Splunk data source: the management (REST)
 * URL, token or user authentication, and how long a search may run.
 */
export const SplunkConfigSchema = z.object({
  url: z.url({ protocol: /^https?$/ }).meta({
    title: 'URL',
    description: 'Splunk REST API (management port), e.g. https://splunk:8089',
  }),
  auth: z.enum(['token', 'basic']).default('token').meta({
    title: 'Authentication',
    description: 'token: a Splunk authentication token (Bearer); basic: user name and password',
  }),
  username: z
    .string()
    .max(256)
    .optional()
    .meta({ title: 'User name', description: 'For basic authentication' }),
  app: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,80}$/)
    .optional()
    .meta({ title: 'App', description: 'Namespace the searches run in (servicesNS/-/<app>)' }),
});
export type SplunkConfig = z.infer<typeof SplunkConfigSchema>;

/** Write-only fields of a Splunk connection. */
export const SplunkSecretsSchema = z.object({
  token: z
    .string()
    .max(16_384)
    .optional()
    .meta({ title: 'Token', description: 'Splunk authentication token' }),
  password: z
    .string()
    .max(1024)
    .optional()
    .meta({ title: 'Password', description: 'For basic authentication' }),
});
export type SplunkSecrets = z.infer<typeof SplunkSecretsSchema>;

/** Parameters of a Splunk cell besides its SPL. */
export const SplunkParamsSchema = z.object({
  mode: z.enum(['job', 'export']).default('job').meta({
    title: 'Mode',
    description:
      'job: a search job, polled, results read in pages; export: results stream as the search finds them (search/jobs/export)',
  }),
  maxRows: z.number().int().min(1).max(1_000_000).default(50_000).meta({
    title: 'Row limit',
    description: 'Results read from the search job at most',
  }),
});

/** A compiled Splunk search. */
export const SplunkProgramSchema = z.object({
  mode: z.enum(['job', 'export']),
  /** SPL, starting with a generating command (`search …` or `| …`). */
  search: z.string().min(1).max(100_000),
  maxRows: z.number().int().min(1).max(1_000_000),
});
export type SplunkProgram = z.infer<typeof SplunkProgramSchema>;

/** SPL as the search jobs API wants it: a bare query gets the implicit `search` command. */
export function splSearch(source: string): string {
  const s = source.trim();
  return /^(?:search\b|\|)/i.test(s) ? s : `search ${s}`;
}

// What may stand bare in SPL: a number or a field-like word (host names, sourcetypes, ids).
const BARE = /^[A-Za-z0-9_.:\-/*]+$/;

/**
 * Bind template references in SPL by where they stand: inside `"…"` the value is escaped for
 * an SPL string (`\\` and `\"`); bare, it must be a number or a word, since anything else
 * (spaces, pipes, brackets) could add commands — that is refused with `template.invalid`.
 */
export function bindSpl(spl: string, text: (ref: TemplateRef) => string): string {
  let inString = false;
  let escaped = false;
  let out = '';
  for (const part of parseTemplate(spl)) {
    if (part.kind === 'text') {
      for (const ch of part.text) {
        if (escaped) escaped = false;
        else if (inString && ch === '\\') escaped = true;
        else if (ch === '"') inString = !inString;
      }
      out += part.text;
      continue;
    }
    const value = text(part.ref);
    if (inString) {
      out += value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
    } else if (BARE.test(value)) {
      out += value;
    } else {
      throw new SpinError(
        'template.invalid',
        `${part.ref.raw}: outside quotes a value must be a number or a single word; ` +
          `write it inside a string, e.g. host="${part.ref.raw}"`,
      );
    }
  }
  return out;
}

/**
 * The Splunk processor: SPL through the search jobs REST API (`POST /services/search/jobs`,
 * poll the job, read `/results` in pages with `offset`/`count`, `output_mode=json`), or
 * streamed as found through `POST /services/search/jobs/export`. The
 * notebook's time range becomes the job's `earliest_time`/`latest_time`; cancelling the cell
 * cancels the job on the server.
 */
export const manifest = defineProcessor({
  id: 'splunk',
  name: 'Splunk',
  version: '1.0.0',
  description: 'Search Splunk with SPL: results stream as table pages',
  cellType: 'splunk',
  editor: { language: 'text/x-spl', placeholder: 'index=main error | stats count by host' },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: true,
  usesTimeRange: true,
  configSchema: SplunkConfigSchema,
  secretsSchema: SplunkSecretsSchema,
  paramsSchema: SplunkParamsSchema,
  programSchema: SplunkProgramSchema,
  defaults: { source: 'index=_internal | head 10', params: { mode: 'job', maxRows: 50_000 } },
  compile(cell) {
    if (cell.source.trim() === '') {
      throw new SpinError('cell.invalid_params', 'write an SPL search, e.g. index=main error');
    }
    return { search: splSearch(cell.source), mode: cell.params.mode, maxRows: cell.params.maxRows };
  },
  bindTemplates: (p, binder) => ({
    ...p,
    search: bindSpl(p.search, (ref) => templateText(binder.resolve(ref))),
  }),
});
