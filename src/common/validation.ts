import { z } from 'zod';
import { AppError, type FieldError } from './errors.js';

/**
 * Parses `input` with `schema`, or throws one `validation_error` listing every bad field.
 * Services call this, so both doors validate identically.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // One message per field: the first rule it breaks.
  const byLoc = new Map<string, FieldError>();
  for (const issue of result.error.issues) {
    const loc = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    const key = JSON.stringify(loc);
    if (!byLoc.has(key)) byLoc.set(key, { loc, message: issue.message });
  }
  throw AppError.validation([...byLoc.values()]);
}

/** A string field that says "is required" when absent and "must be a string" when it is something else. */
export const str = () => z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });

/** Shared field rules, so every door and every domain says the same thing. */
export const fields = {
  email: str()
    .trim()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email({ error: 'must be a valid email address' })),
  password: str()
    .min(8, 'must be at least 8 characters')
    .max(256, 'must be at most 256 characters'),
  username: str()
    .trim()
    .min(3, 'must be at least 3 characters')
    .max(32, 'must be at most 32 characters')
    .regex(/^[A-Za-z0-9_.-]+$/, 'may contain only letters, digits, underscore, dot and hyphen'),
  text: (max: number) =>
    str()
      .trim()
      .max(max, `must be at most ${max} characters`)
      .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters'),
};

/** Input before validation: the service parses it, so callers may pass anything of that shape. */
export type Unchecked<S extends z.ZodType> = { [K in keyof z.input<S>]?: unknown };
