import type { IncomingMessage, ServerResponse } from 'node:http';
import { LlmEmulator, MODEL_MAX_TOKENS, emulatedAnswer, tokens } from './llmEmulator.js';

/**
 * Anthropic's messages API as documented (docs.anthropic.com/en/api/messages-streaming):
 * `POST /v1/messages` with `x-api-key` and the required `anthropic-version` header; streaming
 * events message_start, content_block_start, ping, content_block_delta (text_delta),
 * content_block_stop, message_delta (stop_reason, usage), message_stop, and `error` events
 * mid-stream; `GET /v1/models`; errors as `{"type": "error", "error": {"type", "message"}}`
 * (401 authentication_error, 404 not_found_error, 400 invalid_request_error, 429
 * rate_limit_error with Retry-After).
 */
export class AnthropicEmulator extends LlmEmulator {
  protected handle(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown> | null,
  ): void {
    const error = (status: number, type: string, message: string, headers = {}) =>
      this.json(
        res,
        status,
        { type: 'error', error: { type, message } },
        {
          'request-id': 'req_emulated',
          ...headers,
        },
      );
    if (path !== '/v1/models' && path !== '/v1/messages') {
      return error(404, 'not_found_error', 'Not Found');
    }
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || (key !== this.apiKey && !this.limitedKeys.includes(key))) {
      return error(401, 'authentication_error', 'invalid x-api-key');
    }
    if (!req.headers['anthropic-version']) {
      return error(400, 'invalid_request_error', 'anthropic-version: header is required');
    }
    if (this.limitedKeys.includes(key)) {
      return error(
        429,
        'rate_limit_error',
        'Number of requests has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please try again later.',
        { 'retry-after': '7' },
      );
    }
    if (path === '/v1/models') {
      return this.json(res, 200, {
        data: this.models.map((id) => ({
          type: 'model',
          id,
          display_name: id,
          created_at: '2025-01-01T00:00:00Z',
        })),
        has_more: false,
        first_id: this.models[0] ?? null,
        last_id: this.models.at(-1) ?? null,
      });
    }
    if (!body) return error(400, 'invalid_request_error', 'request body is not valid JSON');
    const model = String(body.model ?? '');
    if (typeof body.max_tokens !== 'number') {
      return error(400, 'invalid_request_error', 'max_tokens: Field required');
    }
    if (!this.models.includes(model)) return error(404, 'not_found_error', `model: ${model}`);
    const maxTokens = body.max_tokens;
    if (maxTokens > MODEL_MAX_TOKENS) {
      return error(
        400,
        'invalid_request_error',
        `max_tokens: ${maxTokens} > ${MODEL_MAX_TOKENS}, which is the maximum allowed number of output tokens for ${model}`,
      );
    }
    const messages = (body.messages ?? []) as { role: string; content: string }[];
    const prompt = messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const system = typeof body.system === 'string' ? body.system : '';
    const all = emulatedAnswer(prompt, system);
    const pieces = all.slice(0, maxTokens);
    const stop = pieces.length < all.length ? 'max_tokens' : 'end_turn';
    const inputTokens = tokens(prompt) + tokens(system);
    if (body.stream !== true) {
      return this.json(res, 200, {
        id: 'msg_emulated',
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: pieces.join('') }],
        stop_reason: stop,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: pieces.length },
      });
    }
    const delta = (text: string) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
    });
    const start = [
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_emulated',
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: inputTokens, output_tokens: 1 },
          },
        },
      },
      {
        event: 'content_block_start',
        data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      },
      { event: 'ping', data: { type: 'ping' } },
    ];
    if (prompt.includes('[hold]'))
      return this.stream(res, [...start, delta(pieces[0] ?? ''), 'hold']);
    if (prompt.includes('[overloaded]')) {
      return this.stream(res, [
        ...start,
        delta(pieces[0] ?? ''),
        {
          event: 'error',
          data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
        },
      ]);
    }
    this.stream(res, [
      ...start,
      ...pieces.map(delta),
      { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: stop, stop_sequence: null },
          usage: { output_tokens: pieces.length },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
  }
}
