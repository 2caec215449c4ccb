import { manifest } from '@spin/protocol/processors/postgres';
import type { ProcessorFactory } from '../sdk.js';
import { createPostgres } from './postgresProcessor.js';

/** The PostgreSQL processor's runtime half (manifest: `@spin/protocol/processors/postgres`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createPostgres,
};
