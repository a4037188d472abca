import { z } from 'zod';

/** `limit` (default 20, at most 100) and `offset`, as every list takes them. */
export const pageSchema = z.object({
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
  offset: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(0, 'must be at least 0').max(1_000_000, 'must be at most 1000000').default(0),
});
export type PageArgs = z.input<typeof pageSchema>;

/** One page of a list and the size of the whole list. */
export interface Page<T> {
  items: T[];
  total: number;
}

/** The page `limit`/`offset` ask for of a list read whole (an organization's teams, a range of calendar events). */
export const pageOf = <T>(items: T[], { limit, offset }: { limit: number; offset: number }): Page<T> => ({ items: items.slice(offset, offset + limit), total: items.length });
