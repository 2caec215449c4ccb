import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpinError, valueAtPath, type TemplateRef, type TemplateValue } from '@spin/protocol';
import { manifest, type LlmProgram } from '@spin/protocol/processors/llm';
import type { ProcessorFrame, ProcessorHost, ProcessorInstance } from '../sdk.js';
import { AnthropicEmulator } from './anthropicEmulator.js';
import { OpenAIEmulator } from './openaiEmulator.js';
import { createLlm, endpoint } from './llmProcessor.js';

const host: ProcessorHost = {
  logger: pino({ level: 'silent' }),
  fetch: globalThis.fetch,
  env: {},
  limits: { pageRows: 100 },
};

const KEY = 'sk-test-key';

function program(prompt: string, over: Partial<LlmProgram> = {}): LlmProgram {
  return { prompt, system: '', maxTokens: 1024, ...over };
}

/** Run a query; frames seen before a failure are kept on the error. */
async function collect(
  instance: ProcessorInstance,
  params: LlmProgram,
  signal = new AbortController().signal,
  onFrame?: (f: ProcessorFrame) => void,
): Promise<ProcessorFrame[]> {
  const out = instance.query(
    {
      params,
      cwd: '/tmp',
      limits: { timeoutMs: 10_000, outputBytes: 100_000 },
      timeRange: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:00:00.000Z' },
      cell: 'c',
      jti: 'j',
    },
    signal,
  );
  const frames: ProcessorFrame[] = [];
  if (!(Symbol.asyncIterator in out)) return out;
  try {
    for await (const f of out) {
      frames.push(f);
      onFrame?.(f);
    }
  } catch (err) {
    Object.assign(err as object, { frames });
    throw err;
  }
  return frames;
}

const stdout = (frames: ProcessorFrame[]) =>
  frames.flatMap((f) => (f.type === 'stream' && f.name === 'stdout' ? [f.text] : [])).join('');
const stderr = (frames: ProcessorFrame[]) =>
  frames.flatMap((f) => (f.type === 'stream' && f.name === 'stderr' ? [f.text] : [])).join('');

describe('LLM processor', () => {
  const openai = new OpenAIEmulator(KEY);
  const anthropic = new AnthropicEmulator(KEY);
  const llm = (provider: 'openai' | 'anthropic', apiKey = KEY) =>
    createLlm(
      {
        name: provider,
        config: {
          provider,
          baseUrl: provider === 'openai' ? `${openai.url}/v1` : anthropic.url,
          model: 'spin-test-model',
        },
        secrets: { apiKey },
      },
      host,
    );
  beforeAll(async () => {
    await openai.start();
    await anthropic.start();
  });
  afterAll(async () => {
    await openai.stop();
    await anthropic.stop();
  });

  it("sends Anthropic's documented streaming request and rebuilds the final message", async () => {
    const frames = await collect(
      llm('anthropic'),
      program('Why is p99 up?', { system: 'You are an SRE.', maxTokens: 300, temperature: 0.2 }),
    );
    const req = anthropic.seen.at(-1)!;
    expect(req.path).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(KEY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: 'spin-test-model',
      max_tokens: 300,
      system: 'You are an SRE.',
      messages: [{ role: 'user', content: 'Why is p99 up?' }],
      stream: true,
      temperature: 0.2,
    });
    const answer =
      '## Answer\n\nYou asked: Why is p99 up?\n\n- system prompt: You are an SRE.\n- status: **ok**\n';
    expect(stdout(frames)).toBe(answer);
    // It streamed: one stdout frame per text_delta event, before the markdown and raw frames.
    const deltas = frames.filter((f) => f.type === 'stream' && f.name === 'stdout');
    expect(deltas.length).toBe(answer.match(/\s+|[^\s]+/g)!.length);
    expect(frames.findIndex((f) => f.type === 'display_data')).toBeGreaterThan(
      frames.lastIndexOf(deltas.at(-1)!),
    );
    expect(frames.find((f) => f.type === 'display_data')).toEqual({
      type: 'display_data',
      data: { 'text/markdown': answer, 'text/plain': answer },
    });
    expect(frames.find((f) => f.type === 'raw')).toEqual({
      type: 'raw',
      value: {
        id: 'msg_emulated',
        type: 'message',
        role: 'assistant',
        model: 'spin-test-model',
        content: [{ type: 'text', text: answer }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 8, output_tokens: deltas.length },
      },
    });
    expect(stderr(frames)).toBe(`spin-test-model · 8 → ${deltas.length} tokens · end_turn\n`);
  });

  it("sends OpenAI's chat completions request with the system prompt and reads usage", async () => {
    const frames = await collect(llm('openai'), program('ping', { system: 'terse', maxTokens: 5 }));
    const req = openai.seen.at(-1)!;
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req.body).toEqual({
      model: 'spin-test-model',
      messages: [
        { role: 'system', content: 'terse' },
        { role: 'user', content: 'ping' },
      ],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    // Five tokens, then the model stops for length.
    expect(stdout(frames)).toBe('## Answer\n\nYou\n');
    expect(frames.find((f) => f.type === 'raw')).toMatchObject({
      value: {
        object: 'chat.completion',
        choices: [{ message: { role: 'assistant', content: '## Answer\n\nYou' } }],
        usage: { prompt_tokens: 2, completion_tokens: 5, total_tokens: 7 },
      },
    });
    expect(stderr(frames)).toBe('spin-test-model · 2 → 5 tokens · length\n');
  });

  it('stops with the vendor error when Anthropic sends an error event mid-stream', async () => {
    const err = (await collect(llm('anthropic'), program('[overloaded] hi')).catch(
      (e: unknown) => e,
    )) as SpinError & { frames: ProcessorFrame[] };
    expect(err).toBeInstanceOf(SpinError);
    expect(err.code).toBe('processor.unavailable');
    expect(err.message).toBe('the model is overloaded (overloaded_error: Overloaded)');
    expect(stdout(err.frames)).toBe('##');
  });

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`closes the upstream ${provider} stream when the query is aborted`, async () => {
      const emu = provider === 'openai' ? openai : anthropic;
      const before = emu.abortedStreams;
      const ac = new AbortController();
      const result = collect(llm(provider), program('[hold] think'), ac.signal, (f) => {
        if (f.type === 'stream') ac.abort();
      });
      await expect(result).rejects.toMatchObject({ name: 'AbortError' });
      await expect.poll(() => emu.abortedStreams).toBe(before + 1);
      expect(emu.openStreams).toBe(0);
    });
  }

  it('maps each vendor error status with its own message', async () => {
    await expect(collect(llm('openai', 'sk-nope'), program('x'))).rejects.toMatchObject({
      code: 'processor.auth_failed',
      message: expect.stringContaining('Incorrect API key provided'),
    });
    await expect(
      collect(llm('anthropic'), program('x', { maxTokens: 100_000 })),
    ).rejects.toMatchObject({
      code: 'processor.bad_query',
      message: expect.stringContaining('max_tokens: 100000 > 8192'),
    });
  });

  it('checks health against the model list', async () => {
    expect(await llm('anthropic').checkHealth()).toEqual({
      ok: true,
      message: 'model spin-test-model is available',
    });
    expect(await llm('openai', 'sk-nope').checkHealth()).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^authentication failed \(HTTP 401\)/),
    });
  });

  it('finds the API under base URLs with or without the version', () => {
    const conn = (provider: 'openai' | 'anthropic', baseUrl?: string) => ({
      config: {
        provider,
        model: 'm',
        anthropicVersion: '2023-06-01',
        ...(baseUrl ? { baseUrl } : {}),
      },
      secrets: {},
    });
    expect(endpoint(conn('openai'), 'chat/completions').href).toBe(
      'https://api.openai.com/v1/chat/completions',
    );
    expect(endpoint(conn('openai', 'http://vllm:8000/v1/'), 'models').href).toBe(
      'http://vllm:8000/v1/models',
    );
    expect(endpoint(conn('openai', 'http://litellm:4000'), 'chat/completions').href).toBe(
      'http://litellm:4000/v1/chat/completions',
    );
    expect(endpoint(conn('anthropic'), 'messages').href).toBe(
      'https://api.anthropic.com/v1/messages',
    );
  });

  it('puts earlier results and template variables into the prompt, and refuses secrets', async () => {
    const values: Record<string, TemplateValue> = {
      hosts: { rows: [{ host: 'web-1' }, { host: 'db-1' }], rowCount: 2 },
      service: 'checkout',
    };
    const binder = {
      resolve: (ref: TemplateRef) =>
        ref.kind === 'var' ? valueAtPath(values[ref.name]!, ref.path, ref.raw) : null,
    };
    const bound = manifest.bindTemplates!(
      manifest.programSchema.parse(
        program('Is {{hosts.rows.1.host}} of {{hosts.rowCount}} hosts why {{service}} is slow?', {
          system: 'Team: {{service}}',
        }),
      ),
      binder,
    ) as LlmProgram;
    const frames = await collect(llm('openai'), bound);
    expect(openai.seen.at(-1)!.body).toMatchObject({
      messages: [
        { role: 'system', content: 'Team: checkout' },
        { role: 'user', content: 'Is db-1 of 2 hosts why checkout is slow?' },
      ],
    });
    expect(stdout(frames)).toContain('You asked: Is db-1 of 2 hosts why checkout is slow?');
    expect(() =>
      manifest.bindTemplates!(
        manifest.programSchema.parse(program('key: {{secret:OPENAI_KEY}}')),
        binder,
      ),
    ).toThrow(/secrets cannot go into a prompt/);
  });
});
