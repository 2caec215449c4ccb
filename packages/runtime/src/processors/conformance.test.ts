import { describe, expect, it } from 'vitest';
import { PROCESSOR_MANIFESTS } from '@spin/protocol';
import { describeConformance } from './conformance.js';
import { GENERATED_FIXTURES } from './fixtures.generated.js';
import { PROCESSOR_FACTORIES } from './registry.js';

// Every registered processor runs the one conformance suite with its own fixture.
for (const fixture of GENERATED_FIXTURES) describeConformance(fixture);

describe('processor registry', () => {
  it('has a fixture, a factory and a manifest for every processor folder', () => {
    const ids = Object.keys(PROCESSOR_MANIFESTS).sort();
    expect(ids.length).toBeGreaterThan(0);
    expect(Object.keys(PROCESSOR_FACTORIES).sort()).toEqual(ids);
    expect(GENERATED_FIXTURES.map((f) => f.processor).sort()).toEqual(ids);
  });
});
