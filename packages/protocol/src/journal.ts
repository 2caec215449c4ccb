import { z } from 'zod';
import {
  CellStatusSchema,
  DisplayDataOutputSchema,
  ErrorOutputSchema,
  ExecuteResultOutputSchema,
  MimeBundleSchema,
  StreamOutputSchema,
  type Output,
} from './outputs.js';
import { appendTerminalText, collapseTerminalText } from './terminalText.js';

/**
 * Journal events (DESIGN.md §3): everything a runtime streams for a session, persisted before
 * it is sent, numbered by a per-session monotonically increasing `seq` starting at 1.
 */
const base = {
  sid: z.string(),
  seq: z.number().int().positive(),
  cell: z.string(),
  jti: z.string(),
  ts: z.string(),
};

export const JournalEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('cell_started'), data: z.object({ startedAt: z.string() }) }),
  z.object({ ...base, type: z.literal('stream'), data: StreamOutputSchema }),
  z.object({ ...base, type: z.literal('display_data'), data: DisplayDataOutputSchema }),
  z.object({ ...base, type: z.literal('execute_result'), data: ExecuteResultOutputSchema }),
  z.object({ ...base, type: z.literal('error'), data: ErrorOutputSchema }),
  z.object({ ...base, type: z.literal('clear_output'), data: z.object({ wait: z.boolean() }) }),
  z.object({
    ...base,
    type: z.literal('update_display_data'),
    data: z.object({
      display_id: z.string(),
      data: MimeBundleSchema,
      metadata: z.record(z.string(), z.unknown()).default({}),
    }),
  }),
  z.object({
    ...base,
    type: z.literal('cell_ended'),
    data: z.object({
      status: CellStatusSchema,
      startedAt: z.string(),
      endedAt: z.string(),
      executionCount: z.number().int().nullable(),
      exitCode: z.number().int().nullable().optional(),
      /** Compact JWS receipt signed by the runtime (see receipt.ts). */
      receipt: z.string(),
    }),
  }),
]);
export type JournalEvent = z.infer<typeof JournalEventSchema>;
export type JournalEventType = JournalEvent['type'];

/** Per-cell output state that a reducer keeps while events stream in. */
export interface OutputState {
  outputs: Output[];
  /** Set by `clear_output {wait:true}`: clear on the next output. */
  clearPending: boolean;
}

export function emptyOutputState(): OutputState {
  return { outputs: [], clearPending: false };
}

/**
 * Apply one journal event to a cell's outputs, as Jupyter front ends do: consecutive stream
 * chunks with the same name coalesce (carriage returns and backspaces collapsed as a terminal
 * shows them, see terminalText.ts), `clear_output` clears (now or on next output),
 * `update_display_data` replaces outputs with the same display_id. The runtime digests the
 * result of this reducer for its receipt, so every tier must use this one implementation.
 */
export function applyJournalEvent(state: OutputState, ev: JournalEvent): OutputState {
  switch (ev.type) {
    case 'cell_started':
      return emptyOutputState();
    case 'clear_output':
      return ev.data.wait ? { ...state, clearPending: true } : emptyOutputState();
    case 'update_display_data': {
      const id = ev.data.display_id;
      const outputs = state.outputs.map((o) =>
        o.output_type === 'display_data' && o.transient?.display_id === id
          ? { ...o, data: ev.data.data, metadata: ev.data.metadata }
          : o,
      );
      return { ...state, outputs };
    }
    case 'stream':
    case 'display_data':
    case 'execute_result':
    case 'error': {
      const outputs = state.clearPending ? [] : [...state.outputs];
      const out = ev.data;
      const last = outputs[outputs.length - 1];
      if (
        out.output_type === 'stream' &&
        last?.output_type === 'stream' &&
        last.name === out.name
      ) {
        outputs[outputs.length - 1] = { ...last, text: appendTerminalText(last.text, out.text) };
      } else if (out.output_type === 'stream') {
        outputs.push({ ...out, text: collapseTerminalText(out.text) });
      } else {
        outputs.push(out);
      }
      return { outputs, clearPending: false };
    }
    case 'cell_ended':
      return state;
  }
}

/** Fold a list of events (of one execution) into its final outputs. */
export function outputsFromEvents(events: readonly JournalEvent[]): Output[] {
  return events.reduce(applyJournalEvent, emptyOutputState()).outputs;
}
