import { describe, expect, it } from 'vitest';
import type { ErrorCode } from './errors.js';
import { ERROR_COMPONENT_REF, errorResponses, pruneComponents } from './openapiParts.js';

describe('errorResponses', () => {
  it('gives one response per status, naming and narrowing to exactly its codes', () => {
    const out = errorResponses([
      'notebook.not_found',
      'internal.error',
      'request.not_found',
      'notebook.not_found',
    ]);
    expect(Object.keys(out)).toEqual(['404', '500']);
    expect(out['404']!.description).toBe('Not found: `notebook.not_found`, `request.not_found`');
    const schema = (out['404']!.content as Record<string, { schema: { allOf: unknown[] } }>)[
      'application/json'
    ]!.schema;
    expect(schema.allOf[0]).toEqual({ $ref: ERROR_COMPONENT_REF });
    expect(schema.allOf[1]).toMatchObject({
      properties: {
        error: { properties: { code: { enum: ['notebook.not_found', 'request.not_found'] } } },
      },
    });
  });

  it('refuses a code that is not in errors.ts', () => {
    expect(() => errorResponses(['notebook.nope' as ErrorCode])).toThrow(/unknown error code/);
  });
});

describe('pruneComponents', () => {
  it('keeps what the paths reference, directly or through other components, and drops the rest', () => {
    const doc = {
      paths: { '/a': { get: { responses: { 200: { $ref: '#/components/schemas/A' } } } } },
      components: {
        securitySchemes: { s: {} },
        schemas: {
          A: { properties: { b: { $ref: '#/components/schemas/B' } } },
          B: { type: 'string' },
          Unused: { properties: { b: { $ref: '#/components/schemas/B' } } },
        },
      },
    };
    const pruned = pruneComponents(doc) as typeof doc;
    expect(Object.keys(pruned.components.schemas)).toEqual(['A', 'B']);
    expect(pruned.components.securitySchemes).toEqual({ s: {} });
  });
});
