import { manifest } from '@spin/protocol/processors/llm';
import type { ProcessorFactory } from '../sdk.js';
import { createLlm } from './llmProcessor.js';

/** The LLM processor's runtime half (manifest: `@spin/protocol/processors/llm`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createLlm,
};
