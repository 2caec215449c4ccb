import { manifest } from '@spin/protocol/processors/splunk';
import type { ProcessorFactory } from '../sdk.js';
import { createSplunk } from './splunkProcessor.js';

/** The Splunk processor's runtime half (manifest: `@spin/protocol/processors/splunk`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createSplunk,
};
