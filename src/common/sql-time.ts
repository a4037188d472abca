import type { DbDriver } from '../config.js';

/**
 * Raw SQL over instants, the same on both drivers: SQLite keeps a MikroORM date as milliseconds
 * since the epoch (an integer), PostgreSQL as timestamptz.
 */

/** A date column as whole milliseconds since the epoch. */
export const epochMs = (driver: DbDriver, column: string): string => (driver === 'sqlite' ? `${column}` : `cast(floor(extract(epoch from ${column}) * 1000) as bigint)`);

/** A date parameter as the driver stores it (SQLite: ms since the epoch). */
export const dbTime = (driver: DbDriver, d: Date): Date | number => (driver === 'sqlite' ? d.getTime() : d);

/** A placeholder for a date parameter given by `dbTime`. */
export const timeParam = (driver: DbDriver): string => (driver === 'sqlite' ? '?' : 'cast(? as timestamptz)');

/** The larger and the smaller of two numeric expressions. */
export const greatest = (driver: DbDriver, a: string, b: string): string => (driver === 'sqlite' ? `max(${a}, ${b})` : `greatest(${a}, ${b})`);
export const least = (driver: DbDriver, a: string, b: string): string => (driver === 'sqlite' ? `min(${a}, ${b})` : `least(${a}, ${b})`);
