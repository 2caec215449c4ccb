import { manifest } from '@spin/protocol/processors/jenkins';
import type { ProcessorFactory } from '../sdk.js';
import { createJenkins } from './jenkinsProcessor.js';

/** The Jenkins processor's runtime half (manifest: `@spin/protocol/processors/jenkins`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createJenkins,
};
