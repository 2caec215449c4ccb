import type { ServerConfig } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { Services } from '../services/container.js';

/** Options every route plugin receives. */
export interface RouteContext {
  services: Services;
  config: ServerConfig;
  metrics: Metrics;
}

/** Declared error response, for OpenAPI. */
export { ErrorResponseSchema } from './errorSchema.js';
