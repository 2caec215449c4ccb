import type { IncomingMessage, ServerResponse } from 'node:http';
import { LlmEmulator, MODEL_MAX_TOKENS, emulatedAnswer, tokens } from './llmEmulator.js';

/**
 * OpenAI's chat completions API as documented (platform.openai.com/docs/api-reference/chat):
 * `POST /v1/chat/completions` with `Authorization: Bearer`, `stream: true` answered by
 * `data: {chat.completion.chunk}` events (`choices[0].delta.content`), a usage chunk when
 * `stream_options.include_usage` is set, then `data: [DONE]`; `GET /v1/models`; errors as
 * `{"error": {"message", "type", "param", "code"}}` (401 invalid_api_key, 404 model_not_found,
 * 400 invalid_request_error, 429 rate_limit_exceeded with Retry-After).
 */
export class OpenAIEmulator extends LlmEmulator {
  protected handle(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown> | null,
  ): void {
    const error = (
      status: number,
      message: string,
      type: string,
      code: string | null,
      param: string | null = null,
      headers = {},
    ) => this.json(res, status, { error: { message, type, param, code } }, headers);
    const key = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (path !== '/v1/models' && path !== '/v1/chat/completions') {
      return error(404, `Invalid URL (${req.method} ${path})`, 'invalid_request_error', null);
    }
    if (!key || (key !== this.apiKey && !this.limitedKeys.includes(key))) {
      return error(
        401,
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (this.limitedKeys.includes(key)) {
      return error(
        429,
        'Rate limit reached for requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 7s.',
        'requests',
        'rate_limit_exceeded',
        null,
        { 'retry-after': '7' },
      );
    }
    if (path === '/v1/models') {
      return this.json(res, 200, {
        object: 'list',
        data: this.models.map((id) => ({
          id,
          object: 'model',
          created: 1_700_000_000,
          owned_by: 'spin',
        })),
      });
    }
    if (!body)
      return error(
        400,
        'We could not parse the JSON body of your request.',
        'invalid_request_error',
        null,
      );
    const model = String(body.model ?? '');
    if (!this.models.includes(model)) {
      return error(
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      );
    }
    const maxTokens = Number(body.max_tokens ?? MODEL_MAX_TOKENS);
    if (maxTokens > MODEL_MAX_TOKENS) {
      return error(
        400,
        `max_tokens is too large: ${maxTokens}. This model supports at most ${MODEL_MAX_TOKENS} completion tokens, whereas you provided ${maxTokens}.`,
        'invalid_request_error',
        null,
        'max_tokens',
      );
    }
    const messages = (body.messages ?? []) as { role: string; content: string }[];
    const prompt = messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    const system = messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n');
    const all = emulatedAnswer(prompt, system);
    const pieces = all.slice(0, maxTokens);
    const finish = pieces.length < all.length ? 'length' : 'stop';
    const usage = {
      prompt_tokens: tokens(prompt) + tokens(system),
      completion_tokens: pieces.length,
      total_tokens: tokens(prompt) + tokens(system) + pieces.length,
    };
    if (body.stream !== true) {
      return this.json(res, 200, {
        id: 'chatcmpl-emulated',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: pieces.join('') },
            finish_reason: finish,
          },
        ],
        usage,
      });
    }
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) => ({
      data: {
        id: 'chatcmpl-emulated',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      },
    });
    const first = chunk({ role: 'assistant', content: '' }, null);
    if (prompt.includes('[hold]')) {
      return this.stream(res, [first, chunk({ content: pieces[0] ?? '' }, null), 'hold']);
    }
    this.stream(res, [
      first,
      ...pieces.map((p) => chunk({ content: p }, null)),
      chunk({}, finish),
      ...((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage
        ? [
            {
              data: {
                id: 'chatcmpl-emulated',
                object: 'chat.completion.chunk',
                created: Math.floor(Date.now() / 1000),
                model,
                choices: [],
                usage,
              },
            },
          ]
        : []),
      { data: '[DONE]' },
    ]);
  }
}
