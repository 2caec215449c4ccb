import { manifest } from '@spin/protocol/processors/sqlite';
import type { ProcessorFactory } from '../sdk.js';
import { createSqlite } from './sqliteProcessor.js';

/** The SQLite processor's runtime half (manifest: `@spin/protocol/processors/sqlite`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createSqlite,
};
