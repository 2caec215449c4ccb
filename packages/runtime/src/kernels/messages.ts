import type { JupyterMessage } from './wire.js';

/**
 * Typed views of the Jupyter messages (protocol 5.3) the runtime acts on, the way
 * `@jupyterlab/services` keeps `messages.ts` beside `validate.ts`: each reader takes a decoded,
 * signed message ({@link JupyterMessage}) and returns the fields SPIN uses, or null when the
 * message is not of that type. A kernel is trusted to sign, not to be well-formed, so every
 * field is checked and defaulted rather than cast.
 * https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */

/** The channel a message arrived on. */
export type Channel = 'shell' | 'control' | 'iopub' | 'stdin';

/** iopub message types that are cell outputs (nbformat output types plus display updates). */
export const OUTPUT_MSG_TYPES = new Set([
  'stream',
  'display_data',
  'execute_result',
  'error',
  'clear_output',
  'update_display_data',
]);

/** One iopub output message of an execution. */
export interface KernelOutput {
  msgType: string;
  content: Record<string, unknown>;
}

/** Result of an `execute_request` (from its `execute_reply`). */
export interface ExecuteReply {
  status: 'ok' | 'error' | 'aborted';
  executionCount: number | null;
}

/** Kernel execution states of iopub `status` (https://…/messaging.html#kernel-status). */
export type KernelState = 'busy' | 'idle' | 'starting' | (string & {});

/** The request (parent) a message answers, or null for unsolicited ones. */
export function parentId(msg: JupyterMessage): string | null {
  const id = msg.parent_header.msg_id;
  return typeof id === 'string' && id ? id : null;
}

/** An iopub `status` message's execution state. */
export function readStatus(msg: JupyterMessage): KernelState | null {
  if (msg.header.msg_type !== 'status') return null;
  return String(msg.content.execution_state ?? '');
}

/** A shell `execute_reply`: unknown statuses count as `error`, a missing count as null. */
export function readExecuteReply(msg: JupyterMessage): ExecuteReply | null {
  if (msg.header.msg_type !== 'execute_reply') return null;
  const { status, execution_count: count } = msg.content;
  return {
    status: status === 'ok' || status === 'aborted' ? status : 'error',
    executionCount: typeof count === 'number' ? count : null,
  };
}

/** A stdin `input_request` (`input()`, `getpass()`). */
export function readInputRequest(
  msg: JupyterMessage,
): { prompt: string; password: boolean } | null {
  if (msg.header.msg_type !== 'input_request') return null;
  return { prompt: String(msg.content.prompt ?? ''), password: msg.content.password === true };
}

/** An iopub output message (one of {@link OUTPUT_MSG_TYPES}), as the kernel sent it. */
export function readOutput(msg: JupyterMessage): KernelOutput | null {
  const type = msg.header.msg_type;
  return OUTPUT_MSG_TYPES.has(type) ? { msgType: type, content: msg.content } : null;
}

/** Shell requests a client may send besides execute, and their contents. */
export type ShellRequestType = 'complete_request' | 'inspect_request' | 'is_complete_request';

/** Content of an `execute_request` (https://…/messaging.html#execute). */
export function executeRequestContent(
  code: string,
  opts: { silent?: boolean; storeHistory?: boolean; allowStdin: boolean },
): Record<string, unknown> {
  return {
    code,
    silent: opts.silent ?? false,
    store_history: opts.storeHistory ?? !opts.silent,
    user_expressions: {},
    allow_stdin: opts.allowStdin,
    stop_on_error: false,
  };
}
