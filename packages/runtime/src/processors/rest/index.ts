import { manifest } from '@spin/protocol/processors/rest';
import type { ProcessorFactory } from '../sdk.js';
import { createRest } from './restProcessor.js';

/** The REST processor's runtime half (manifest: `@spin/protocol/processors/rest`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createRest,
};
