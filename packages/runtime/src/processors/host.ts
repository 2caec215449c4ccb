import type { Logger } from 'pino';
import { kernelEnv } from '../kernels/kernelClient.js';
import type { ProcessorHost } from './types.js';

/** Rows per frame when processors page large results. */
export const DEFAULT_PAGE_ROWS = 5000;

/**
 * The {@link ProcessorHost} the runtime lends every processor: a child logger, fetch, the
 * environment for child processes without the runtime's SPIN_* secrets, the sandbox wrapper
 * (which hides SPIN_HOME: keys, pairing, other sessions) and paging limits.
 */
export function createProcessorHost(opts: {
  logger: Logger;
  /** Wraps a command line in the runtime's sandbox (omitted: processes run unwrapped). */
  sandbox?: ProcessorHost['sandbox'];
  trackProcess?: ProcessorHost['trackProcess'];
  env?: NodeJS.ProcessEnv;
  pageRows?: number;
  /** Further variables child processes never inherit (the bundle's `runtime_env` secrets). */
  hiddenEnv?: () => ReadonlySet<string>;
}): ProcessorHost {
  const { sandbox, hiddenEnv } = opts;
  const base = kernelEnv(opts.env ?? process.env);
  return {
    logger: opts.logger.child({ component: 'processor' }),
    fetch: globalThis.fetch,
    // read per use: a newly relayed bundle may name more variables to hide
    get env() {
      const hidden = hiddenEnv?.();
      if (!hidden || hidden.size === 0) return base;
      return Object.fromEntries(Object.entries(base).filter(([k]) => !hidden.has(k)));
    },
    ...(sandbox ? { sandbox } : {}),
    ...(opts.trackProcess ? { trackProcess: opts.trackProcess } : {}),
    limits: { pageRows: opts.pageRows ?? DEFAULT_PAGE_ROWS },
  };
}
