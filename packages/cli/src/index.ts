/** @spin/cli — the `spin` command and the all-in-one starter used by tests and benchmarks. */
export { startAll, type SpinInstance, type StartOptions } from './commands/start.js';
export { parseArgs, type ParsedArgs } from './args.js';
