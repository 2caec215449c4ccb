import { z } from 'zod';

/**
 * Form fields from a zod object schema, through its JSON Schema (`z.toJSONSchema`, input side,
 * so defaults are optional): the web UI draws parameter and connection forms from processor
 * manifests this way, so a new processor needs no UI code.
 */
export type FormField = { key: string; title: string; description?: string; required: boolean } & (
  | { kind: 'text'; default?: string; multiline: boolean; secret: boolean }
  | { kind: 'number'; integer: boolean; min?: number; max?: number; default?: number }
  | { kind: 'boolean'; default?: boolean }
  | { kind: 'select'; options: string[]; default?: string }
  | { kind: 'keyValue'; default?: Record<string, string> }
  | { kind: 'list'; default?: string[] }
  | { kind: 'json' }
);

interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

// z.int() says ±(2^53 − 1); that is no limit a person should see in a form.
const SAFE = Number.MAX_SAFE_INTEGER;

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function typeOf(s: JsonSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  return s.type;
}

function field(key: string, s: JsonSchema, required: boolean, secret: boolean): FormField {
  // Optional/nullable wrappers come through as anyOf with a null branch.
  const inner = s.anyOf?.find((b) => typeOf(b) !== 'null') ?? s;
  const base = {
    key,
    title: s.title ?? inner.title ?? humanize(key),
    required,
    ...((s.description ?? inner.description)
      ? { description: s.description ?? inner.description }
      : {}),
  };
  const def = s.default ?? inner.default;
  if (Array.isArray(inner.enum) && inner.enum.every((v) => typeof v === 'string')) {
    return {
      ...base,
      kind: 'select',
      options: inner.enum as string[],
      ...(typeof def === 'string' ? { default: def } : {}),
    };
  }
  switch (typeOf(inner)) {
    case 'string':
      return {
        ...base,
        kind: 'text',
        multiline: (inner.maxLength ?? 0) > 1000 || inner.format === 'multiline',
        secret,
        ...(typeof def === 'string' ? { default: def } : {}),
      };
    case 'integer':
    case 'number':
      return {
        ...base,
        kind: 'number',
        integer: typeOf(inner) === 'integer',
        ...(inner.minimum !== undefined && Math.abs(inner.minimum) < SAFE
          ? { min: inner.minimum }
          : {}),
        ...(inner.maximum !== undefined && Math.abs(inner.maximum) < SAFE
          ? { max: inner.maximum }
          : {}),
        ...(typeof def === 'number' ? { default: def } : {}),
      };
    case 'boolean':
      return { ...base, kind: 'boolean', ...(typeof def === 'boolean' ? { default: def } : {}) };
    case 'object': {
      const values = inner.additionalProperties;
      if (
        !inner.properties &&
        values &&
        typeof values === 'object' &&
        typeOf(values) === 'string'
      ) {
        return {
          ...base,
          kind: 'keyValue',
          ...(def && typeof def === 'object' ? { default: def as Record<string, string> } : {}),
        };
      }
      return { ...base, kind: 'json' };
    }
    case 'array':
      if (inner.items && typeOf(inner.items) === 'string') {
        return {
          ...base,
          kind: 'list',
          ...(Array.isArray(def) ? { default: def as string[] } : {}),
        };
      }
      return { ...base, kind: 'json' };
    default:
      return { ...base, kind: 'json' };
  }
}

/** The fields of an object schema, in declaration order. `secret` marks write-only fields. */
export function schemaFields(schema: z.ZodType, opts: { secret?: boolean } = {}): FormField[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties ?? {}).map(([key, s]) =>
    field(key, s, required.has(key), opts.secret ?? false),
  );
}

/** zod's issues as `{ field: message }` (the first message per top-level field; '' for the object). */
export function fieldErrors(schema: z.ZodType, value: unknown): Record<string, string> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return {};
  const out: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : '';
    out[key] ??= issue.message;
  }
  return out;
}
