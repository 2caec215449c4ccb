import { describe, expect, it } from 'vitest';
import { compileCell } from '../compile.js';
import { manifest } from './index.js';

const limits = { timeoutMs: 1000, outputBytes: 1000 };
const compile = (source: string, params: Record<string, unknown> = {}) =>
  compileCell({ id: 'q', type: manifest.cellType, source, params, connection: 'llm' }, { limits });

describe('LLM manifest', () => {
  it('compiles the prompt with its parameters and keeps template references for the runtime', () => {
    expect(compile('Summarise {{errors}}', { system: 'Be brief', temperature: 0 })).toMatchObject({
      kind: 'processor',
      processor: 'llm',
      connection: 'llm',
      params: {
        prompt: 'Summarise {{errors}}',
        system: 'Be brief',
        maxTokens: 1024,
        temperature: 0,
      },
    });
  });

  it('refuses an empty prompt and parameters out of range, naming the field', () => {
    expect(() => compile('  ')).toThrow(/write a prompt/);
    expect(() => compile('hi', { temperature: 3 })).toThrow(/temperature/);
    expect(() => compile('hi', { maxTokens: 0 })).toThrow(/maxTokens/);
  });
});
