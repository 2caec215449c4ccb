import * as protocol from '@spin/protocol';
import { z } from 'zod';
import { ErrorCodeSchema, ErrorResponseSchema } from '../routes/errorSchema.js';

/** Meta of a schema in {@link apiComponents}. */
export interface ComponentMeta {
  id: string;
  [key: string]: unknown;
}

/**
 * The named schemas of the API document (`components.schemas`). Every zod schema the protocol
 * package exports as `XSchema` is component `X` (so `NotebookSchema` is `Notebook`), plus the
 * `Error` body. Routes use those schema objects directly, so the transform references them
 * with `$ref` instead of inlining them; a schema added to the protocol is named with no change
 * here. Its own registry, not zod's global one, so nothing outside the document sees the ids.
 */
export const apiComponents = z.registry<ComponentMeta>();

apiComponents.add(ErrorResponseSchema, {
  id: 'Error',
  description:
    'The body of every error response. `code` is stable (`area.reason`) and never changes ' +
    'meaning; new codes may be added. `message` is for people, `details` (when present) for ' +
    'tools, e.g. validation issues.',
});

apiComponents.add(ErrorCodeSchema, {
  id: 'ErrorCode',
  description: 'Every stable error code (`area.reason`); each maps to one HTTP status.',
});

for (const [name, value] of Object.entries(protocol)) {
  if (!name.endsWith('Schema') || !(value instanceof z.ZodType)) continue;
  // the same schema exported under two names keeps its first name
  if (apiComponents.has(value)) continue;
  const id = name.slice(0, -'Schema'.length);
  // `XInput` is the provider's name for the request form of `X`: `CellInput` is `CellWrite`
  apiComponents.add(value, { id: id.endsWith('Input') ? `${id.slice(0, -5)}Write` : id });
}
