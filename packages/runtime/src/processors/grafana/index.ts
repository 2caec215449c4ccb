import { manifest } from '@spin/protocol/processors/grafana';
import type { ProcessorFactory } from '../sdk.js';
import { createGrafana } from './grafanaProcessor.js';

/** The Grafana processor's runtime half (manifest: `@spin/protocol/processors/grafana`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createGrafana,
};
