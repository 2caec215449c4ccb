import { randomUUID } from 'node:crypto';

/** A new opaque id with a type prefix (`usr_…`, `nb_…`), so ids say what they name in logs. */
export function newId(
  prefix: 'usr' | 'ws' | 'nb' | 'ses' | 'orq' | 'inv' | 'tok' | 'con' | 'sec',
): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}
