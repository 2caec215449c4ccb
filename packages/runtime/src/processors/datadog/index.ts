import { manifest } from '@spin/protocol/processors/datadog';
import type { ProcessorFactory } from '../sdk.js';
import { createDatadog } from './datadogProcessor.js';

/** The Datadog processor's runtime half (manifest: `@spin/protocol/processors/datadog`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createDatadog,
};
