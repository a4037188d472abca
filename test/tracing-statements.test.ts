import { describe, expect, it } from 'vitest';
import { statementAttributes } from '../src/db/tracing.js';

/** A statement's span attributes (src/db/tracing.ts), worked out once per recurring text. */
describe('statementAttributes', () => {
  it('names the operation and table, and keeps the text without its values', () => {
    const { summary, attributes } = statementAttributes("select `u`.`id` from `users` as `u` where `u`.`email` = 'ann@example.com' and `u`.`age` > 42");
    expect(summary).toBe('select users');
    expect(attributes).toEqual({
      'db.operation.name': 'select',
      'db.query.summary': 'select users',
      'db.query.text': 'select `u`.`id` from `users` as `u` where `u`.`email` = ? and `u`.`age` > ?',
      'db.collection.name': 'users',
    });
  });

  it('works a recurring text out once (a bound statement, values as placeholders)', () => {
    const sql = 'select id from login_sessions where id = ? and user_id = ? limit 1';
    const first = statementAttributes(sql);
    expect(statementAttributes(sql)).toBe(first);
    expect(first.attributes['db.query.text']).toBe('select id from login_sessions where id = ? and user_id = ? limit ?');
  });

  it('keeps no text that carries a string literal (users’ data)', () => {
    const sql = "insert into messages (id, content) values (?, 'a secret')";
    const first = statementAttributes(sql);
    expect(first.attributes['db.query.text']).toBe('insert into messages (id, content) values (?, ?)');
    expect(statementAttributes(sql)).not.toBe(first);
    expect(statementAttributes(sql)).toEqual(first);
  });
});
