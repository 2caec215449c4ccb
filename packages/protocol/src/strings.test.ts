import { describe, expect, it } from 'vitest';
import { isStorableString, ResourceIdSchema, StorableStringSchema } from './strings.js';

describe('storable strings', () => {
  it.each([
    ['plain text', true],
    ['emoji 😀 is a proper pair', true],
    ['', true],
    ['done\u0000', false],
    ['lone high \ud800 here', false],
    ['lone low \udc00 here', false],
    ['reversed pair \ude00\ud83d', false],
    ['high at the end \ud83d', false],
  ])('%j → %s', (s, ok) => {
    expect(isStorableString(s)).toBe(ok);
    const parsed = StorableStringSchema.safeParse(s);
    expect(parsed.success).toBe(ok);
    if (!ok) expect(parsed.error?.issues[0]?.message).toContain('NUL');
  });

  it('scans a megabyte without blowing the regex stack', () => {
    expect(isStorableString('a😀'.repeat(500_000))).toBe(true);
    expect(isStorableString('a'.repeat(1_000_000) + '\u0000')).toBe(false);
  });

  it('keeps ids to the characters SPIN generates', () => {
    for (const id of ['nb_0f3a', 'rt_AbC-d_e', '6f1c7c1e-3c1b-4c44-9d1e-0f1e2d3c4b5a', 'a.b:c']) {
      expect(ResourceIdSchema.safeParse(id).success).toBe(true);
    }
    for (const id of ['', 'a b', 'nb_\u0000', 'nb_\ud800', '../etc', 'x'.repeat(129), 'é']) {
      expect(ResourceIdSchema.safeParse(id).success).toBe(false);
    }
  });
});
