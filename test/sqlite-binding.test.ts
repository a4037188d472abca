import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager as SqlEntityManager } from '@mikro-orm/sql';
import { SqlitePlatform } from '@mikro-orm/sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { bindable } from '../src/db/durable-sqlite.js';
import { openDatabase } from '../src/db/orm.js';
import { allEntities } from '../src/modules/index.js';
import { driver } from './helpers/server.js';

/**
 * MikroORM writes every value into its SQL (Platform.formatQuery); on SQLite the gateway binds
 * them instead where that is the same statement (src/db/durable-sqlite.ts, `bindable`), so a
 * statement's text recurs and its prepared statement is kept. "The same statement" is checked
 * here against SQLite itself: each value, bound, reads back as the literal MikroORM would
 * have written, with the same type.
 */
/** better-sqlite3 (no type declarations in the tree): the little of it used here. */
interface SqliteDb {
  prepare(sql: string): { get(params: unknown[]): unknown };
  close(): void;
}
const Database = createRequire(import.meta.url)('better-sqlite3') as new (file: string) => SqliteDb;
const platform = new SqlitePlatform();
const db = new Database(':memory:');
afterAll(() => db.close());

const readBack = (sql: string, params: unknown[] = []) => db.prepare(sql).get(params) as { t: string; v: unknown };

describe('binding values as MikroORM would have written them', () => {
  const values: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['true', true],
    ['false', false],
    ['zero', 0],
    ['negative zero', -0],
    ['an integer', 42],
    ['a negative integer', -7],
    ['an integer past 2^53', 2 ** 60 + 2 ** 10],
    ['an integer whose shortest digits are not its value', 2 ** 60 + 2 ** 8], // 1152921504606847232, written 1152921504606847200
    ['a fraction', 0.1],
    ['a small fraction', 1e-7],
    ['a fraction with many digits', 123.456789012345],
    ['a string', 'hello'],
    ['a string with quotes', "it's 'quoted'"],
    ['an empty string', ''],
    ['a string with a question mark', 'why?'],
    ['unicode', 'héllo – 日本語 🎉'],
    ['a buffer', Buffer.from([0, 1, 2, 254, 255])],
    ['a date', new Date('2026-12-04T10:20:30.456Z')],
    ['a bigint', 2n ** 62n],
    ['a negative bigint', -(2n ** 40n)],
  ];
  for (const [name, value] of values) {
    it(`${name}: the same type and value as its literal`, () => {
      const bound = bindable('select typeof(?) t, ? v', [value, value]);
      expect(bound, name).not.toBeNull();
      const literal = readBack(platform.formatQuery('select typeof(?) t, ? v', [value, value]));
      expect(readBack('select typeof(?) t, ? v', bound!)).toEqual(literal);
    });
  }

  it('leaves in MikroORM\'s text what binding would change', () => {
    expect(bindable('select ?', [[1, 2]])).toBeNull(); // a list: `in (?)` becomes `in (1, 2)`
    expect(bindable('select ?', [{ a: 1 }])).toBeNull(); // an object: written as JSON
    expect(bindable('select ?', [Number.NaN])).toBeNull();
    expect(bindable('select ?', [Number.POSITIVE_INFINITY])).toBeNull();
    expect(bindable('select ?', [1e21])).toBeNull(); // written `1e+21`, a REAL
    expect(bindable('select ?', [2n ** 64n])).toBeNull();
    expect(bindable('select ?', [new Date(Number.NaN)])).toBeNull();
    expect(bindable('select ?? from t where a = ?', ['col', 1])).toBeNull(); // ?? is an identifier
    expect(bindable('select \\? , ?', [1])).toBeNull(); // \? is a question mark
    expect(bindable('select ?1', [1])).toBeNull();
    expect(bindable('select ?, ?', [1])).toBeNull(); // as many values as placeholders, or nothing is bound
    expect(bindable('select 1', [])).toBeNull();
    expect(bindable('select ?, ?', [1, 'a'])).toEqual([1n, 'a']);
  });
});

describe.skipIf(driver !== 'sqlite')('through MikroORM', () => {
  let dir: string;
  let orm: MikroORM;
  const fork = () => orm.em.fork() as unknown as SqlEntityManager;
  let prepared: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xt-binding-'));
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' });
    orm = await openDatabase(config.db, allEntities);
    await fork().execute('create table binding_probe (id integer primary key, v text not null, n integer, at integer)');
    // Every statement better-sqlite3 prepares on the ORM's connection, by its text.
    const database = (orm.em.getConnection() as unknown as { database: SqliteDb }).database;
    const prepare = database.prepare.bind(database);
    prepared = [];
    (database as unknown as { prepare: (sql: string) => unknown }).prepare = (sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    };
  });
  afterAll(async () => {
    await orm?.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepares a statement with values once, runs it with each one, and stores them as their literals would', async () => {
    const insert = 'insert into binding_probe (v, n, at) values (?, ?, ?)';
    const at = new Date('2026-12-04T10:20:30.456Z');
    for (let i = 0; i < 5; i++) await fork().execute(insert, [`row ${i}'s`, i % 2 === 0 ? i : null, at], 'run');
    await fork().execute('insert into binding_probe (v, n, at) values (\'literal\', 3, ' + platform.quoteValue(at) + ')', [], 'run');
    expect(prepared.filter((s) => s === insert)).toHaveLength(1);
    const rows = await fork().execute<{ v: string; n: number | null; at: number; tn: string; tat: string }[]>('select v, n, at, typeof(n) tn, typeof(at) tat from binding_probe order by id');
    expect(rows.map((r) => r.v)).toEqual(["row 0's", "row 1's", "row 2's", "row 3's", "row 4's", 'literal']);
    expect(rows.map((r) => r.n)).toEqual([0, null, 2, null, 4, 3]);
    expect(new Set(rows.map((r) => `${r.at} ${r.tat}`))).toEqual(new Set([`${at.getTime()} integer`]));
    expect(rows[0]!.tn).toBe(rows[5]!.tn);
  });
});
