import { manifest } from '@spin/protocol/processors/azure';
import type { ProcessorFactory } from '../sdk.js';
import { createAzure } from './azureProcessor.js';

/** The Azure processor's runtime half (manifest: `@spin/protocol/processors/azure`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createAzure,
};
