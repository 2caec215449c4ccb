import { manifest } from '@spin/protocol/processors/gcp';
import type { ProcessorFactory } from '../sdk.js';
import { createGcp } from './gcpProcessor.js';

/** The Google Cloud processor's runtime half (manifest: `@spin/protocol/processors/gcp`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createGcp,
};
