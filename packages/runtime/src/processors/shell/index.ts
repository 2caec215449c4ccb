import { manifest } from '@spin/protocol/processors/shell';
import type { ProcessorFactory } from '../sdk.js';
import { createShell } from './shellProcessor.js';

/** The shell processor's runtime half (manifest: `@spin/protocol/processors/shell`). */
export const factory: ProcessorFactory = {
  manifest,
  create: (_connection, host) => createShell(host),
};
