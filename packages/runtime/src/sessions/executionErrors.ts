import { ZodError } from 'zod';
import { SpinError } from '@spin/protocol';
import { KernelDiedError } from '../errors.js';

/** What a cell shows for a failure of the runtime's own (not the cell code's): name and value. */
export function userError(err: unknown): { ename: string; evalue: string } {
  if (err instanceof KernelDiedError) {
    return { ename: 'KernelDied', evalue: `${err.message}; a new kernel starts on the next run` };
  }
  if (err instanceof ZodError) {
    return { ename: 'InvalidParameters', evalue: err.issues.map((i) => i.message).join('; ') };
  }
  if (err instanceof SpinError) {
    const names: Record<string, string> = {
      'runtime.kernel_not_found': 'KernelNotFound',
      'runtime.kernel_failed': 'KernelStartFailed',
      'processor.not_found': 'ProcessorNotFound',
      'runtime.sandbox_unavailable': 'SandboxUnavailable',
    };
    return {
      ename: names[err.code] ?? errorName(err.code),
      evalue: `${err.code}: ${err.message}`,
    };
  }
  return { ename: 'RuntimeError', evalue: 'internal.error: the runtime failed to run this cell' };
}

/** `processor.rate_limited` → `RateLimited`: processor, template and cell errors by reason. */
function errorName(code: string): string {
  const [area, reason] = code.split('.');
  const areas = ['processor', 'template', 'cell', 'secret', 'connection', 'credentials'];
  if (!reason || !areas.includes(area!)) return 'RuntimeError';
  if (area === 'secret' || area === 'connection' || area === 'credentials') {
    return errorName(`cell.${area}_${reason}`);
  }
  return reason.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());
}
