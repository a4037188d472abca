import { z } from 'zod';
import { AppError, type FieldError } from './errors.js';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblem } from './password-policy.js';
import { isCalendarDay } from './time.js';

/**
 * Parses `input` with `schema`, or throws one `validation_error` listing every bad field.
 * Services call this, so both doors validate identically.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  // NUL cannot be stored (PostgreSQL refuses it in text) nor bound in every driver (SQLite
  // cuts the statement at it), and a lone surrogate is no Unicode (PostgreSQL's JSON refuses
  // it): refused in any string of any input, before anything runs.
  const bad = badTextFields(input);
  if (bad.length) throw AppError.validation(bad);
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

/** Half of a UTF-16 surrogate pair without its other half (code units, hence no `u` flag). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The strings in `value` that cannot be stored as text: with NUL, or not well-formed UTF-16 (a handful at most; Buffers are not strings). */
function badTextFields(value: unknown, path: (string | number)[] = [], out: FieldError[] = [], depth = 0): FieldError[] {
  if (out.length >= 10 || depth > 32) return out;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ loc: path, message: 'must not contain NUL characters' });
    else if (LONE_SURROGATE.test(value)) out.push({ loc: path, message: 'must be valid Unicode text (a lone surrogate is not)' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => badTextFields(v, [...path, i], out, depth + 1));
  } else if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) badTextFields(v, [...path, k], out, depth + 1);
  }
  return out;
}

/** A string field that says "is required" when absent and "must be a string" when it is something else. */
export const str = () => z.string({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be a string') });

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

/** An ISO instant whose calendar day exists (2026-02-30 is refused, not moved to 2 March). */
function isRealInstant(v: string): boolean {
  const m = ISO_INSTANT.exec(v);
  return !!m && !Number.isNaN(Date.parse(v)) && isCalendarDay(m[1]!);
}

/** Shared field rules, so every door and every domain says the same thing. */
export const fields = {
  /**
   * An instant: an ISO-8601 date-time with a time zone (`2026-03-01T09:00:00Z`), as a Date.
   * A Date is taken as is, so a value parsed once parses again to itself (a door checks the
   * input, then the service checks it again).
   */
  instant: (message = 'must be an ISO-8601 date-time with a time zone, e.g. 2026-03-01T09:00:00Z') =>
    z
      .custom<Date | string>((v) => (v instanceof Date ? !Number.isNaN(v.getTime()) : typeof v === 'string' && v.length <= 64 && isRealInstant(v)), {
        error: (iss) => (iss.input === undefined ? 'is required' : message),
      })
      .transform((v) => (v instanceof Date ? v : new Date(v)))
      .meta({ type: 'string', format: 'date-time' }),
  email: str()
    .trim()
    .max(254, 'must be at most 254 characters')
    .pipe(z.email({ error: 'must be a valid email address' })),
  /** A new password (NIST SP 800-63B: length, not common, not a run or a sequence; src/common/password-policy.ts). */
  password: str()
    .min(PASSWORD_MIN_LENGTH, `must be at least ${PASSWORD_MIN_LENGTH} characters`)
    .max(PASSWORD_MAX_LENGTH, `must be at most ${PASSWORD_MAX_LENGTH} characters`)
    .check((ctx) => {
      const problem = passwordProblem(ctx.value);
      if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
    }),
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
