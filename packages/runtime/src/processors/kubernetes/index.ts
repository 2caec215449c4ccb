import { manifest } from '@spin/protocol/processors/kubernetes';
import type { ProcessorFactory } from '../sdk.js';
import { createKubernetes } from './kubernetesProcessor.js';

/** The Kubernetes processor's runtime half (manifest: `@spin/protocol/processors/kubernetes`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createKubernetes,
};
