/** A timestamp as the drivers return it in raw rows: ms numbers (SQLite), Date or strings (PostgreSQL). */
export const toDate = (v: number | string | Date): Date => (v instanceof Date ? v : new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v));
