import { z } from 'zod';
import type { ProgramLimits } from '../program.js';
import type { TemplateBinder, TemplateValue } from '../templates.js';
import type { ResolvedTimeRange } from '../timeRange.js';

/** Capability flags of a processor (DESIGN.md §3). */
export interface ProcessorCapabilities {
  /** Answers queries (every processor). */
  query: boolean;
  /** Emits results while it runs (pages, log lines), not only at the end. */
  stream: boolean;
  healthCheck: boolean;
  /** Offers completions for its editor. */
  complete: boolean;
  /** Lists the source's schema (tables, metrics) for browsing. */
  schemaBrowse: boolean;
}

/** Everything a manifest's `compile` may use besides the cell (DESIGN.md §1 step 2). */
export interface CompileContext {
  /** The cell's own time range, else the notebook's, resolved to instants. */
  timeRange: ResolvedTimeRange;
  /** Name of the connection the cell uses; the runtime resolves it (never its secrets here). */
  connection: string | null;
  limits: ProgramLimits;
  /**
   * Notebook template variables resolved at the server. For decisions only: references stay in
   * the compiled text and are bound at the runtime by `bindTemplates`, never pasted here.
   */
  templateValues: Readonly<Record<string, TemplateValue>>;
}

/** The editable part of a cell a manifest compiles: its text and validated parameters. */
export interface CompileInput<Params> {
  source: string;
  params: Params;
}

/**
 * Browser-safe half of a processor, in `packages/protocol/src/processors/<id>/`: the server
 * validates and compiles with it, the UI draws the cell-type menu, editor, parameter form and
 * connection form from it, and the runtime validates programs with it. The runtime half lives in
 * `packages/runtime/src/processors/<id>/`. Nothing else anywhere names a processor.
 */
export interface ProcessorManifest<
  Params extends z.ZodObject = z.ZodObject,
  Program extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
> {
  /** Stable id, equal to the folder name: `[a-z][a-z0-9_]*`. */
  id: string;
  /** Human name for menus. */
  name: string;
  /** Semver of the manifest and its program format. */
  version: string;
  /** One line for the UI. */
  description: string;
  /** The cell type this processor adds (unique across processors and built-ins). */
  cellType: string;
  /** Editor: language as a MIME type (`text/x-sh`, `text/x-sql`, `text/x-promql`…). */
  editor: { language: string; placeholder: string };
  capabilities: ProcessorCapabilities;
  /** Whether a cell must name a connection. */
  needsConnection: boolean;
  /**
   * Offered beside the kernel and markdown cells in the slim "add a cell" bar between cells
   * (a code cell as users see it, like Shell); other processors are in its integrations menu.
   */
  pinned?: boolean;
  /** Whether queries use the time range (the UI then offers a per-cell override). */
  usesTimeRange: boolean;
  /** Plain connection fields (host, database, URL…). */
  configSchema: z.ZodObject;
  /** Write-only connection fields (passwords, tokens): never shown again once saved. */
  secretsSchema: z.ZodObject;
  /** The cell's parameters besides its source; the UI's parameter form is drawn from it. */
  paramsSchema: Params;
  /** Parameters of a compiled program, as the runtime receives them. */
  programSchema: Program;
  /** What a new cell of this type starts with. */
  defaults: { source: string; params: z.input<Params> };
  /** Pure: the program parameters for a cell (the server calls it; no I/O). */
  compile(cell: CompileInput<z.output<Params>>, ctx: CompileContext): z.input<Program>;
  /**
   * Bind template references in compiled parameters, type-aware for this processor's language
   * (bind parameters, environment variables, escaped literals). Called by the runtime once,
   * with every value available. Without it, references are refused.
   */
  bindTemplates?(params: z.output<Program>, binder: TemplateBinder): z.output<Program>;
}

/** A manifest of any processor (the registry's element type). */
export type AnyProcessorManifest = ProcessorManifest<
  z.ZodObject,
  z.ZodType<Record<string, unknown>>
>;

/** Declare a manifest with its own types checked, stored as {@link AnyProcessorManifest}. */
export function defineProcessor<
  Params extends z.ZodObject,
  Program extends z.ZodType<Record<string, unknown>>,
>(manifest: ProcessorManifest<Params, Program>): AnyProcessorManifest {
  return manifest as unknown as AnyProcessorManifest;
}

/** Shape every manifest must have (checked by the conformance suite and the registry test). */
export const ProcessorManifestShapeSchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  name: z.string().min(1).max(64),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/),
  description: z.string().min(1).max(300),
  cellType: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/),
  editor: z.object({
    language: z.string().regex(/^[a-z]+\/[A-Za-z0-9.+-]+$/),
    placeholder: z.string().max(200),
  }),
  capabilities: z.object({
    query: z.literal(true),
    stream: z.boolean(),
    healthCheck: z.boolean(),
    complete: z.boolean(),
    schemaBrowse: z.boolean(),
  }),
  needsConnection: z.boolean(),
  pinned: z.boolean().optional(),
  usesTimeRange: z.boolean(),
  configSchema: z.instanceof(z.ZodObject),
  secretsSchema: z.instanceof(z.ZodObject),
  paramsSchema: z.instanceof(z.ZodObject),
  programSchema: z.instanceof(z.ZodType),
  defaults: z.object({ source: z.string(), params: z.record(z.string(), z.unknown()) }),
  compile: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function'),
  bindTemplates: z
    .custom<(...args: unknown[]) => unknown>((v) => typeof v === 'function')
    .optional(),
});
