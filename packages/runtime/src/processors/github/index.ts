import { manifest } from '@spin/protocol/processors/github';
import type { ProcessorFactory } from '../sdk.js';
import { createGithub } from './githubProcessor.js';

/** The GitHub processor's runtime half (manifest: `@spin/protocol/processors/github`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createGithub,
};
