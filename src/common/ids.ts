import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row, so lookups answer not_found without a query. */
export const isId = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

/**
 * The id of an object that is one per user but has no row of its own (a user's live quota,
 * their XEL dashboard): a name-based UUID (version 5 layout) of the kind and the user's id,
 * so it is stable, a UUID like every other id, and different from the user's.
 */
export function derivedId(kind: string, ownerId: string): string {
  const h = createHash('sha1').update(`xentree:${kind}:${ownerId}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
