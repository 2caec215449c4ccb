import type { OutputEvent } from '../sessions/outputBudget.js';
import type { KernelOutput } from './messages.js';
import { MAX_OUTPUT_DEPTH, nestsDeeperThan } from './outputDepth.js';

/**
 * The output as the kernel sent it, or — when it nests deeper than {@link MAX_OUTPUT_DEPTH} —
 * an error output saying so: such data would overflow the stack of everything downstream
 * (journal, receipt digest, the server's canonical JSON), so it is never forwarded.
 */
export function boundedOutput(out: KernelOutput): KernelOutput {
  // + 2: content → data (or metadata) → the MIME value itself
  if (!nestsDeeperThan(out.content, MAX_OUTPUT_DEPTH + 2)) return out;
  return {
    msgType: 'error',
    content: {
      ename: 'OutputTooDeep',
      evalue:
        `runtime.output_too_deep: a ${out.msgType} output nested more than ${MAX_OUTPUT_DEPTH} ` +
        'levels deep was dropped',
      traceback: [],
    },
  };
}

/**
 * What one iopub output becomes in SPIN (DESIGN.md §3, nbformat v4 outputs): stream text (for
 * the stream budget), a rich journal event with the size the output budget charges for it,
 * or a `clear_output`. Null for messages that show nothing (an update without a display id).
 */
export type MappedOutput =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { kind: 'rich'; event: OutputEvent; bytes: number }
  | { kind: 'clear'; wait: boolean };

/** Map a Jupyter iopub output message to its SPIN output (see {@link MappedOutput}). */
export function mapKernelOutput(o: KernelOutput): MappedOutput | null {
  const c = o.content;
  const data = (c.data ?? {}) as Record<string, unknown>;
  const metadata = (c.metadata ?? {}) as Record<string, unknown>;
  const size = () => JSON.stringify(data).length;
  switch (o.msgType) {
    case 'stream':
      return {
        kind: 'stream',
        name: c.name === 'stderr' ? 'stderr' : 'stdout',
        text: String(c.text ?? ''),
      };
    case 'display_data': {
      const transient = c.transient as { display_id?: string } | undefined;
      const out = { output_type: 'display_data' as const, data, metadata };
      const withTransient = transient?.display_id ? { ...out, transient } : out;
      return { kind: 'rich', event: { type: 'display_data', data: withTransient }, bytes: size() };
    }
    case 'execute_result':
      return {
        kind: 'rich',
        event: {
          type: 'execute_result',
          data: {
            output_type: 'execute_result',
            execution_count: typeof c.execution_count === 'number' ? c.execution_count : null,
            data,
            metadata,
          },
        },
        bytes: size(),
      };
    case 'error': {
      const traceback = Array.isArray(c.traceback) ? c.traceback.map(String) : [];
      const err = {
        output_type: 'error' as const,
        ename: String(c.ename ?? 'Error'),
        evalue: String(c.evalue ?? ''),
        traceback,
      };
      return {
        kind: 'rich',
        event: { type: 'error', data: err },
        bytes: JSON.stringify(err).length,
      };
    }
    case 'clear_output':
      return { kind: 'clear', wait: c.wait === true };
    case 'update_display_data': {
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      if (!id) return null;
      return {
        kind: 'rich',
        event: { type: 'update_display_data', data: { display_id: id, data, metadata } },
        bytes: size(),
      };
    }
    default:
      return null;
  }
}
