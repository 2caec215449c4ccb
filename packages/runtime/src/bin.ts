#!/usr/bin/env node
import { startRuntime } from './index.js';

/** `node dist/bin.js`: start a runtime from the environment (DESIGN.md §5). */
try {
  const runtime = await startRuntime();
  const stop = () => {
    void runtime.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
