import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fieldErrors, schemaFields } from './schemaFields';

describe('form fields from a zod schema', () => {
  const schema = z.object({
    host: z.string().meta({ title: 'Host name', description: 'where it runs' }),
    port: z.number().int().min(1).max(65535).default(5432),
    ssl: z.boolean().default(false),
    mode: z.enum(['read', 'write']).default('read'),
    env: z.record(z.string(), z.string()).default({}),
    tags: z.array(z.string()).optional(),
    limit: z.int().optional(),
    nested: z.object({ a: z.string() }).optional(),
  });

  it('maps each kind of field with titles, defaults and limits', () => {
    expect(schemaFields(schema)).toEqual([
      {
        key: 'host',
        title: 'Host name',
        description: 'where it runs',
        required: true,
        kind: 'text',
        multiline: false,
        secret: false,
      },
      {
        key: 'port',
        title: 'Port',
        required: false,
        kind: 'number',
        integer: true,
        min: 1,
        max: 65535,
        default: 5432,
      },
      { key: 'ssl', title: 'Ssl', required: false, kind: 'boolean', default: false },
      {
        key: 'mode',
        title: 'Mode',
        required: false,
        kind: 'select',
        options: ['read', 'write'],
        default: 'read',
      },
      { key: 'env', title: 'Env', required: false, kind: 'keyValue', default: {} },
      { key: 'tags', title: 'Tags', required: false, kind: 'list' },
      { key: 'limit', title: 'Limit', required: false, kind: 'number', integer: true },
      { key: 'nested', title: 'Nested', required: false, kind: 'json' },
    ]);
  });

  it('marks secret fields write-only', () => {
    expect(schemaFields(z.object({ password: z.string() }), { secret: true })[0]).toMatchObject({
      kind: 'text',
      secret: true,
      required: true,
    });
  });

  it('reports the first problem per field', () => {
    expect(fieldErrors(schema, { host: 'h', port: 0, mode: 'x' })).toEqual({
      port: expect.stringMatching(/>=\s*1/),
      mode: expect.stringContaining('read'),
    });
    expect(fieldErrors(schema, { host: 'h' })).toEqual({});
  });
});
