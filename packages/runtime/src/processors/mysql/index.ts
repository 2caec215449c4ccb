import { manifest } from '@spin/protocol/processors/mysql';
import type { ProcessorFactory } from '../sdk.js';
import { createMysql } from './mysqlProcessor.js';

/** The MySQL/MariaDB processor's runtime half (manifest: `@spin/protocol/processors/mysql`). */
export const factory: ProcessorFactory = {
  manifest,
  create: createMysql,
};
