import { z } from 'zod';
import { SpinError } from '../../errors.js';
import { renderTemplate, templateText, type TemplateRef } from '../../templates.js';
import { defineProcessor } from '../manifest.js';

/** The wire APIs an LLM connection can speak. */
export const LLM_PROVIDERS = ['openai', 'anthropic'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** Where each API lives when a connection names no base URL. */
export const DEFAULT_BASE_URLS: Record<LlmProvider, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

/** An LLM connection: which API, where, which model. The API key is its secret. */
export const LlmConfigSchema = z.object({
  provider: z.enum(LLM_PROVIDERS).default('openai').meta({
    title: 'API',
    description:
      'openai: OpenAI-compatible chat completions (OpenAI, vLLM, Ollama, LiteLLM…); anthropic: Anthropic messages',
  }),
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .meta({
      title: 'Base URL',
      description:
        'API root, e.g. http://llm.internal:8000/v1 (default: the provider’s public API)',
    }),
  model: z.string().min(1).max(256).meta({
    title: 'Model',
    description: 'Model id as the API names it, e.g. gpt-4o-mini or claude-sonnet-4-5',
  }),
  anthropicVersion: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .default('2023-06-01')
    .meta({ title: 'anthropic-version', description: 'Anthropic API version header' }),
});
export type LlmConfig = z.infer<typeof LlmConfigSchema>;

/** Write-only fields of an LLM connection. */
export const LlmSecretsSchema = z.object({
  apiKey: z
    .string()
    .max(4096)
    .optional()
    .meta({ title: 'API key', description: 'Sent as a bearer token (OpenAI) or x-api-key' }),
});
export type LlmSecrets = z.infer<typeof LlmSecretsSchema>;

/** Parameters of an LLM cell besides its prompt. */
export const LlmParamsSchema = z.object({
  system: z.string().max(100_000).default('').meta({
    title: 'System prompt',
    description: 'Instructions for the model; may use {{templates}} like the prompt',
  }),
  maxTokens: z.number().int().min(1).max(1_000_000).default(1024).meta({
    title: 'Max tokens',
    description: 'Longest answer, in tokens',
  }),
  temperature: z.number().min(0).max(2).optional().meta({
    title: 'Temperature',
    description: '0 for the most predictable answers; empty for the model’s default',
  }),
});
export type LlmParams = z.infer<typeof LlmParamsSchema>;

/** A compiled LLM request. */
export const LlmProgramSchema = z.object({
  prompt: z.string().min(1).max(1_000_000),
  system: z.string().max(1_000_000).default(''),
  maxTokens: z.number().int().min(1).max(1_000_000),
  temperature: z.number().min(0).max(2).optional(),
});
export type LlmProgram = z.infer<typeof LlmProgramSchema>;

/**
 * The LLM processor: the cell's text is the prompt, sent to an OpenAI-compatible chat
 * completions API or Anthropic's messages API; the answer streams in and ends as markdown, and
 * `raw` is the final message with its token usage.
 */
export const manifest = defineProcessor({
  id: 'llm',
  name: 'LLM',
  version: '1.0.0',
  description: 'Ask a language model; earlier results can go into the prompt as {{name}}',
  cellType: 'llm',
  editor: {
    language: 'text/markdown',
    placeholder: 'Summarise {{errors}} for the incident channel — Shift+Enter to ask',
  },
  capabilities: {
    query: true,
    stream: true,
    healthCheck: true,
    complete: false,
    schemaBrowse: false,
  },
  needsConnection: true,
  usesTimeRange: false,
  configSchema: LlmConfigSchema,
  secretsSchema: LlmSecretsSchema,
  paramsSchema: LlmParamsSchema,
  programSchema: LlmProgramSchema,
  defaults: { source: 'Say hello.', params: { system: '', maxTokens: 1024 } },
  compile(cell) {
    if (cell.source.trim() === '') {
      throw new SpinError('cell.invalid_params', 'write a prompt for the model');
    }
    return {
      prompt: cell.source,
      system: cell.params.system,
      maxTokens: cell.params.maxTokens,
      ...(cell.params.temperature !== undefined ? { temperature: cell.params.temperature } : {}),
    };
  },
  /**
   * A prompt is prose, so values enter as their text (results as JSON). A secret reference is
   * refused: a model provider is a third party, and whatever a prompt holds may be logged there.
   */
  bindTemplates(p, binder) {
    const text = (ref: TemplateRef) => {
      if (ref.kind !== 'var') {
        throw new SpinError(
          'template.unsupported',
          `${ref.raw}: secrets cannot go into a prompt; the model provider would see them`,
        );
      }
      return templateText(binder.resolve(ref));
    };
    return { ...p, prompt: renderTemplate(p.prompt, text), system: renderTemplate(p.system, text) };
  },
});
