import { ConnectionException, ForeignKeyConstraintViolationException, NotFoundError } from '@mikro-orm/core';
import { AppError } from './errors.js';

/** How long a client is asked to wait before trying again while the database is away. */
export const DB_RETRY_AFTER_SECONDS = 5;

/** Socket errors of a database that cannot be reached (PostgreSQL over TCP). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED']);

/**
 * PostgreSQL SQLSTATEs of a server that is away or refusing for now: connection exceptions
 * (class 08), shutting down or starting up (57P01-57P03), too many connections (53300).
 */
const PG_STATES = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;

/**
 * SQLite result codes (better-sqlite3's `code`) of a database file that cannot be used now:
 * locked by another process past the busy timeout, not openable, an I/O error, a full disk,
 * a file that became read-only or was moved away.
 */
const SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY|NOMEM)/;

/** Messages of the same, from drivers and pools that carry no code. */
const MESSAGES = [
  /Connection terminated/i,
  /terminating connection due to administrator command/i,
  /the database system is (shutting down|starting up|in recovery mode)/i,
  /Client has encountered a connection error and is not queryable/i,
  /Timeout acquiring a connection/i,
  /Unable to acquire a connection/i,
  /The database connection is not open/i,
  /database (table )?is locked/i,
  /unable to open database file/i,
  /connect ECONNREFUSED/i,
];

/**
 * Whether `err` says that the database is unreachable or unusable right now (as opposed to a
 * bad statement or a constraint): an outage, answered 503 `service_unavailable` with
 * Retry-After on every door, as /readyz says 503. The one place that knows both drivers'
 * ways of saying it. MikroORM's DriverException copies the driver's code onto itself; a
 * GraphQL error is looked through to the error it wraps. Causes are not followed: a failed
 * call to another service (an AI provider, Google) has a socket error as its cause and is
 * not a database outage.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    if (e instanceof AppError) return e.code === 'service_unavailable';
    if (e instanceof ConnectionException) return true;
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || PG_STATES.test(code) || SQLITE_CODES.test(code))) return true;
    if (name === 'KnexTimeoutError') return true;
    if (typeof message === 'string' && MESSAGES.some((m) => m.test(message))) return true;
    e = (e as { originalError?: unknown }).originalError;
  }
  return false;
}

/** The answer for a database outage: 503 `service_unavailable`, Retry-After. */
export function databaseUnavailable(): AppError {
  return new AppError(
    'service_unavailable',
    `The database is unavailable right now; try again in ${DB_RETRY_AFTER_SECONDS} s`,
    { retry_after_seconds: DB_RETRY_AFTER_SECONDS },
    { 'retry-after': String(DB_RETRY_AFTER_SECONDS) },
  );
}

/**
 * `err` as the client should be told it: an AppError as it is, a database outage as
 * `service_unavailable`, a row that a concurrent request removed between this one's checks and
 * its write (a foreign key the database refused) as `conflict`, or before it was read again
 * (MikroORM's NotFoundError) as `not_found`; null for anything else.
 */
export function asKnownError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  if (err instanceof ForeignKeyConstraintViolationException) return new AppError('conflict', 'Something this change refers to was removed by another request meanwhile; read it again before retrying');
  // A row read again after the checks (findOneOrFail) that a concurrent request deleted meanwhile.
  if (err instanceof NotFoundError) return new AppError('not_found', 'It was removed by another request meanwhile');
  return isDatabaseUnavailable(err) ? databaseUnavailable() : null;
}
