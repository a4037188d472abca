const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Parsed JSON and query objects (whatever their prototype: query parsers use prototype-less ones). */
const isPlainObject = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Object]';

/**
 * How deep a request body may nest. The documented bodies nest three levels at most; a body
 * nested thousands of levels deep would only exhaust the stack of whatever walks it.
 */
export const MAX_INPUT_DEPTH = 32;

/** Raised for input nested deeper than MAX_INPUT_DEPTH: the door answers it as bad_request. */
export class TooDeepError extends Error {
  override name = 'TooDeepError';
}

/** Renames snake_case keys of plain objects (deeply) to camelCase; values are left alone. */
export function camelizeKeys(value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) {
    if (depth >= MAX_INPUT_DEPTH) throw new TooDeepError(`Input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
    return value.map((v) => camelizeKeys(v, depth + 1));
  }
  if (!isPlainObject(value)) return value;
  if (depth >= MAX_INPUT_DEPTH) throw new TooDeepError(`Input is nested more than ${MAX_INPUT_DEPTH} levels deep`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // A key that would reach the prototype chain is dropped, not renamed.
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const name = toCamel(k);
    // Sent both ways (`session_type` and `sessionType`), the contract's snake_case spelling wins, in any order.
    if (name === k && Object.hasOwn(out, name)) continue;
    out[name] = camelizeKeys(v, depth + 1);
  }
  return out;
}
