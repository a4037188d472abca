const toCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const toSnake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Parsed JSON and query objects (whatever their prototype: query parsers use prototype-less ones). */
const isPlainObject = (v: unknown): v is Record<string, unknown> => Object.prototype.toString.call(v) === '[object Object]';

/** Renames snake_case keys of plain objects (deeply) to camelCase; values are left alone. */
export function camelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    // A key that would reach the prototype chain is dropped, not renamed.
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    out[toCamel(k)] = camelizeKeys(v);
  }
  return out;
}
