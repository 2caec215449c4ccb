import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { SpinError } from '@spin/protocol';
import {
  DEFAULT_BASE_URLS,
  LlmConfigSchema,
  LlmProgramSchema,
  LlmSecretsSchema,
  type LlmConfig,
  type LlmProgram,
  type LlmSecrets,
} from '@spin/protocol/processors/llm';
import {
  httpError,
  type ProcessorConnection,
  type ProcessorFrame,
  type ProcessorHost,
  type ProcessorInstance,
  type ProcessorRequest,
} from '../sdk.js';

interface Conn {
  config: LlmConfig;
  secrets: LlmSecrets;
}

/** What one streamed answer adds up to, in the vendor's own non-streaming message shape. */
export interface LlmAnswer {
  text: string;
  /** The final message as the API would have answered without streaming, usage included. */
  message: Record<string, unknown>;
  /** One line for the cell: model, tokens, why it stopped. */
  summary: string;
}

/**
 * An API URL under the connection's base. OpenAI-compatible servers document their base with
 * the version (`…/v1`), Anthropic's without, so `v1/` is added only when the base lacks it.
 */
export function endpoint(conn: Conn, path: 'chat/completions' | 'messages' | 'models'): URL {
  const base = (conn.config.baseUrl ?? DEFAULT_BASE_URLS[conn.config.provider]).replace(/\/+$/, '');
  return new URL(/\/v1$/.test(base) ? `${base}/${path}` : `${base}/v1/${path}`);
}

function headers(conn: Conn): Record<string, string> {
  const key = conn.secrets.apiKey;
  if (conn.config.provider === 'anthropic') {
    return {
      'anthropic-version': conn.config.anthropicVersion,
      ...(key ? { 'x-api-key': key } : {}),
    };
  }
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** The vendor's explanation from an error body: `error.message` (both APIs), else the text. */
export function vendorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } | string };
    if (typeof j.error === 'string') return j.error;
    if (j.error && typeof j.error.message === 'string') {
      return typeof j.error.type === 'string' && j.error.type !== 'invalid_request_error'
        ? `${j.error.type}: ${j.error.message}`
        : j.error.message;
    }
  } catch {
    // not JSON (a proxy's page)
  }
  return text.slice(0, 500);
}

/** An error the API reported inside the stream (Anthropic `event: error`, OpenAI `{error}`). */
function streamError(error: { type?: string; message?: string }): SpinError {
  const said = `${error.type ?? 'error'}: ${error.message ?? 'the stream failed'}`;
  switch (error.type) {
    case 'overloaded_error':
      return new SpinError('processor.unavailable', `the model is overloaded (${said})`);
    case 'rate_limit_error':
      return new SpinError('processor.rate_limited', `rate limited (${said})`);
    case 'authentication_error':
      return new SpinError('processor.auth_failed', `authentication failed (${said})`);
    case 'invalid_request_error':
      return new SpinError('processor.bad_query', said);
    default:
      return new SpinError('processor.upstream_error', `the answer stream failed (${said})`);
  }
}

function parseData(e: EventSourceMessage): Record<string, unknown> {
  try {
    return JSON.parse(e.data) as Record<string, unknown>;
  } catch {
    throw new SpinError(
      'processor.upstream_error',
      `the API sent an event that is not JSON: ${e.data.slice(0, 200)}`,
    );
  }
}

/** The request body each API expects for one prompt (their documented streaming requests). */
function requestBody(conn: Conn, p: LlmProgram): Record<string, unknown> {
  const { model, provider } = conn.config;
  const temperature = p.temperature !== undefined ? { temperature: p.temperature } : {};
  if (provider === 'anthropic') {
    return {
      model,
      max_tokens: p.maxTokens,
      ...(p.system ? { system: p.system } : {}),
      messages: [{ role: 'user', content: p.prompt }],
      stream: true,
      ...temperature,
    };
  }
  return {
    model,
    messages: [
      ...(p.system ? [{ role: 'system', content: p.system }] : []),
      { role: 'user', content: p.prompt },
    ],
    max_tokens: p.maxTokens,
    stream: true,
    stream_options: { include_usage: true },
    ...temperature,
  };
}

/** Folds OpenAI chat.completion.chunk events into the answer. */
class OpenAIAnswer {
  text = '';
  private id = '';
  private model = '';
  private finish: string | null = null;
  private usage: Record<string, number> | null = null;

  /** The text this event adds (or null), and whether the stream is done. */
  take(e: EventSourceMessage): { delta: string | null; done: boolean } {
    if (e.data.trim() === '[DONE]') return { delta: null, done: true };
    const chunk = parseData(e);
    if (chunk.error) throw streamError(chunk.error as { type?: string; message?: string });
    this.id ||= String(chunk.id ?? '');
    this.model ||= String(chunk.model ?? '');
    if (chunk.usage) this.usage = chunk.usage as Record<string, number>;
    const choice = (
      chunk.choices as
        { delta?: { content?: string | null }; finish_reason?: string | null }[] | undefined
    )?.[0];
    if (choice?.finish_reason) this.finish = choice.finish_reason;
    const delta = choice?.delta?.content;
    if (delta) this.text += delta;
    return { delta: delta || null, done: false };
  }

  answer(): LlmAnswer {
    const usage = this.usage;
    return {
      text: this.text,
      message: {
        id: this.id,
        object: 'chat.completion',
        model: this.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: this.text },
            finish_reason: this.finish,
          },
        ],
        usage,
      },
      summary: `${this.model} · ${usage ? `${usage.prompt_tokens} → ${usage.completion_tokens} tokens` : 'usage not reported'} · ${this.finish ?? 'unfinished'}`,
    };
  }
}

/** Folds Anthropic message stream events into the answer. */
class AnthropicAnswer {
  text = '';
  private message: Record<string, unknown> = {};
  private usage: Record<string, number> = {};
  private stopReason: string | null = null;
  private stopSequence: string | null = null;

  take(e: EventSourceMessage): { delta: string | null; done: boolean } {
    const data = parseData(e);
    switch (e.event ?? data.type) {
      case 'message_start': {
        const m = (data.message ?? {}) as Record<string, unknown>;
        this.message = m;
        this.usage = { ...((m.usage ?? {}) as Record<string, number>) };
        return { delta: null, done: false };
      }
      case 'content_block_delta': {
        const d = data.delta as { type?: string; text?: string } | undefined;
        if (d?.type === 'text_delta' && d.text) {
          this.text += d.text;
          return { delta: d.text, done: false };
        }
        return { delta: null, done: false };
      }
      case 'message_delta': {
        const d = (data.delta ?? {}) as {
          stop_reason?: string | null;
          stop_sequence?: string | null;
        };
        this.stopReason = d.stop_reason ?? this.stopReason;
        this.stopSequence = d.stop_sequence ?? this.stopSequence;
        Object.assign(this.usage, data.usage ?? {});
        return { delta: null, done: false };
      }
      case 'message_stop':
        return { delta: null, done: true };
      case 'error':
        throw streamError((data.error ?? {}) as { type?: string; message?: string });
      default:
        // ping, content_block_start/stop, and event types added later
        return { delta: null, done: false };
    }
  }

  answer(): LlmAnswer {
    const model = String(this.message.model ?? '');
    return {
      text: this.text,
      message: {
        ...this.message,
        content: [{ type: 'text', text: this.text }],
        stop_reason: this.stopReason,
        stop_sequence: this.stopSequence,
        usage: this.usage,
      },
      summary: `${model} · ${this.usage.input_tokens ?? '?'} → ${this.usage.output_tokens ?? '?'} tokens · ${this.stopReason ?? 'unfinished'}`,
    };
  }
}

/**
 * Ask the model and stream its answer: each text delta as it arrives (stdout), then the whole
 * answer once as markdown, a summary line (stderr) and `raw` = the final message with usage.
 * Aborting `signal` aborts the fetch, which closes the upstream stream.
 */
async function* ask(
  request: ProcessorRequest,
  signal: AbortSignal,
  host: ProcessorHost,
  conn: Conn,
): AsyncGenerator<ProcessorFrame> {
  const p = LlmProgramSchema.parse(request.params);
  const anthropic = conn.config.provider === 'anthropic';
  const url = endpoint(conn, anthropic ? 'messages' : 'chat/completions');
  let res: Response;
  try {
    res = await host.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...headers(conn),
      },
      body: JSON.stringify(requestBody(conn, p)),
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new SpinError(
      'processor.unavailable',
      `cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
    );
  }
  host.logger.debug(
    { provider: conn.config.provider, origin: url.origin, status: res.status },
    'llm request',
  );
  if (res.status >= 400) throw httpError(res.status, vendorMessage(await res.text()), res.headers);
  if (!res.body || !/text\/event-stream/i.test(res.headers.get('content-type') ?? '')) {
    throw new SpinError(
      'processor.upstream_error',
      `expected a stream of server-sent events, got ${res.headers.get('content-type') ?? 'no content type'}`,
    );
  }
  const answer = anthropic ? new AnthropicAnswer() : new OpenAIAnswer();
  const events = res.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  let done = false;
  try {
    while (!done) {
      const next = await events.read();
      if (next.done) break;
      const step = answer.take(next.value);
      done = step.done;
      if (step.delta) yield { type: 'stream', name: 'stdout', text: step.delta };
    }
  } finally {
    // Leaving early (an error event, a failed consumer) must not keep the upstream open.
    await events.cancel().catch(() => undefined);
  }
  if (!done && !signal.aborted) {
    throw new SpinError(
      'processor.upstream_error',
      'the answer stream ended before the model finished',
    );
  }
  const final = answer.answer();
  if (final.text && !final.text.endsWith('\n'))
    yield { type: 'stream', name: 'stdout', text: '\n' };
  yield { type: 'stream', name: 'stderr', text: `${final.summary}\n` };
  yield {
    type: 'display_data',
    data: { 'text/markdown': final.text, 'text/plain': final.text },
  };
  yield { type: 'raw', value: final.message };
}

/** An LLM processor instance for a connection. */
export function createLlm(
  connection: ProcessorConnection | null,
  host: ProcessorHost,
): ProcessorInstance {
  if (!connection) {
    throw new SpinError(
      'processor.connection_required',
      'an LLM cell needs a connection; choose one in the cell settings',
    );
  }
  const conn: Conn = {
    config: LlmConfigSchema.parse(connection.config),
    secrets: LlmSecretsSchema.parse(connection.secrets),
  };
  return {
    query: (request, signal) => ask(request, signal, host, conn),
    async checkHealth() {
      const url = endpoint(conn, 'models');
      try {
        const res = await host.fetch(url, {
          headers: headers(conn),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status >= 400) {
          return { ok: false, message: httpError(res.status, vendorMessage(text)).message };
        }
        const ids = ((JSON.parse(text) as { data?: { id?: string }[] }).data ?? []).map(
          (m) => m.id,
        );
        return ids.includes(conn.config.model)
          ? { ok: true, message: `model ${conn.config.model} is available` }
          : { ok: true, message: `connected; the model list does not name ${conn.config.model}` };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        return {
          ok: false,
          message: `cannot reach ${url.origin}: ${cause?.code ?? (err as Error).message}`,
        };
      }
    },
    dispose: () => undefined,
  };
}
