import { manifest } from '@spin/protocol/processors/aws';
import type { ProcessorFactory } from '../sdk.js';
import { createAws } from './awsProcessor.js';

/** The AWS processor's runtime half (manifest: `@spin/protocol/processors/aws`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createAws,
};
