import fc from 'fast-check';
import { outputsDigest } from '../receipt.js';
import type { Output } from '../outputs.js';
import { describe, expect, it } from 'vitest';
import { streamedOutputsDigest } from './outputsDigest.js';

describe('streamedOutputsDigest', () => {
  it('equals the protocol digest for any JSON value (sorted keys, undefined, surrogates, NUL)', async () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string({ unit: 'binary' }),
        fc.array(fc.oneof(tie('any'), fc.constant(undefined)), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit: 'binary' }), fc.oneof(tie('any'), fc.constant(undefined)), {
          maxKeys: 5,
        }),
      ),
    })).any;
    await fc.assert(
      fc.asyncProperty(fc.array(value, { maxLength: 4 }), async (outputs) => {
        const asOutputs = outputs as unknown as Output[];
        expect(streamedOutputsDigest(asOutputs)).toBe(await outputsDigest(asOutputs));
      }),
      { numRuns: 300 },
    );
  });

  it('equals the protocol digest across its 64 KiB pieces (large and many outputs)', async () => {
    const outputs: Output[] = [
      { output_type: 'stream', name: 'stdout', text: 'é\u0000😀'.repeat(100_000) },
      ...Array.from({ length: 5000 }, (_, i) => ({
        output_type: 'stream' as const,
        name: 'stdout' as const,
        text: `line ${i} \ud800\n`,
      })),
    ];
    expect(streamedOutputsDigest(outputs)).toBe(await outputsDigest(outputs));
  });
});
