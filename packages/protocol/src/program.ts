import { z } from 'zod';
import { ResultVarSchema } from './cellResult.js';
import { ProgramCredentialsSchema } from './credentials.js';
import { TemplateValueSchema } from './templates.js';
import { ResolvedTimeRangeSchema } from './timeRange.js';

/** Limits applied by the runtime to one program. */
export const ProgramLimitsSchema = z.object({
  /** Wall-clock limit for the whole cell, milliseconds. */
  timeoutMs: z
    .number()
    .int()
    .positive()
    .max(24 * 3600_000),
  /** Output budget in bytes before the runtime truncates/spills. */
  outputBytes: z.number().int().positive(),
  /** Size limit of the stored `CellResult` of an integration cell (runtime default: 256 MiB). */
  resultBytes: z.number().int().positive().optional(),
});
export type ProgramLimits = z.infer<typeof ProgramLimitsSchema>;

/** Run code in a Jupyter kernel (by kernelspec name). */
export const KernelProgramSchema = z.object({
  kind: z.literal('kernel'),
  kernel: z.string().min(1).max(128),
  code: z.string(),
  /** Notebook template values, bound in a Python kernel as the `spin_vars` dict. */
  vars: z.record(z.string(), TemplateValueSchema).optional(),
  /**
   * Set on a `code_python` template variable's program (templateVariables.ts): the JSON value
   * it displays becomes this session variable at the runtime.
   */
  templateVar: ResultVarSchema.optional(),
});

/**
 * Call a processor (integration) with parameters validated by its manifest's `programSchema`.
 * Template references stay in `params`; `vars` holds the notebook template values they name,
 * and the runtime binds everything (with session variables and secrets) in one pass.
 */
export const ProcessorProgramSchema = z.object({
  kind: z.literal('processor'),
  processor: z.string().min(1).max(64),
  connection: z.string().max(128).nullable().default(null),
  params: z.record(z.string(), z.unknown()),
  /** The time range the query covers (the cell's, else the notebook's), resolved. */
  timeRange: ResolvedTimeRangeSchema.optional(),
  /** Session variable that receives the cell's `CellResult`. */
  resultVar: ResultVarSchema.optional(),
  vars: z.record(z.string(), TemplateValueSchema).optional(),
});

/** What to execute: the body of a program. */
export const ProgramBodySchema = z.discriminatedUnion('kind', [
  KernelProgramSchema,
  ProcessorProgramSchema,
]);
export type ProgramBody = z.infer<typeof ProgramBodySchema>;

/**
 * Claims of a signed program (DESIGN.md §1 step 3): JWT registered claims plus the program.
 * `exp - iat` is at most 5 minutes.
 */
export const ProgramClaimsSchema = z.object({
  iss: z.string().min(1),
  aud: z.string().min(1),
  sub: z.string().min(1),
  sid: z.string().min(1),
  cell: z.string().min(1),
  jti: z.string().min(16),
  iat: z.number().int(),
  exp: z.number().int(),
  notebook: z.string().min(1),
  program: ProgramBodySchema,
  limits: ProgramLimitsSchema,
  /** The workspace the notebook belongs to (credentials are scoped to it and its ancestors). */
  workspace: z.string().min(1).optional(),
  /** Connection and secrets this program may use, by id (credentials.ts). */
  credentials: ProgramCredentialsSchema.optional(),
});
export type ProgramClaims = z.infer<typeof ProgramClaimsSchema>;

/** Longest allowed lifetime of a sealed program, seconds. */
export const MAX_PROGRAM_TTL_S = 300;
