import { manifest } from '@spin/protocol/processors/prometheus';
import type { ProcessorFactory } from '../sdk.js';
import { createPrometheus } from './prometheusProcessor.js';

/** The Prometheus processor's runtime half (manifest: `@spin/protocol/processors/prometheus`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createPrometheus,
};
