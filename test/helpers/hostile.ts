import fc from 'fast-check';

/**
 * Values a hostile or careless client sends, as fast-check arbitraries: boundary and
 * wrong-typed values, injection syntax for SQL and the full-text engines, path traversal
 * in file names, prototype-pollution keys, NUL bytes, lone surrogates, huge strings and
 * deep nesting. Random values of every kind fill the gaps between the named ones.
 */

/** Strings that have broken servers somewhere. */
export const NAMED_STRINGS = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(64),
  '\ud800',
  'x\udfffy',
  '\uffff\ufffe',
  '\u202eevil',
  '\u200b\u200c\u200d\ufeff',
  '\u2028\u2029',
  'e\u0301\u0301\u0301\u0301',
  '𝕏😀👩‍👩‍👧‍👦',
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  '" OR ""="',
  "1' UNION SELECT password_hash FROM users --",
  '%',
  '_',
  '\\',
  "''''",
  // SQLite FTS5 and PostgreSQL tsquery syntax.
  'NEAR(a b, 2)',
  'a OR b AND NOT c',
  '"unterminated',
  'a* b* "c d"*',
  '^start',
  'title:secret',
  '-x +y',
  '!&|():*<->',
  "a & !b | c:* <-> 'd'",
  '{}[]',
  // Paths and file names.
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/etc/passwd\u0000.txt',
  'CON',
  'aux.txt',
  '.',
  '..',
  '/',
  'C:\\boot.ini',
  'file:///etc/passwd',
  // Markup, templates, lookups.
  '<script>alert(1)</script>',
  '{{7*7}}${7*7}',
  '${jndi:ldap://127.0.0.1/x}',
  // Keys and words that mean something to JavaScript.
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'true',
  '-1',
  '1e309',
  '9'.repeat(400),
  // Dates at and past the edges.
  '2024-02-30T00:00:00Z',
  '0000-00-00T00:00:00Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999Z',
  // Ids that are almost ids.
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '00000000-0000-4000-8000-00000000000g',
] as const;

/** Long strings: past every field limit, and past the body limit. */
export const hugeString = fc.constantFrom(300, 1001, 10_001, 100_001, 1_100_000).chain((n) => fc.constantFrom('a', '\u0000', '😀', ' ', "'").map((c) => c.repeat(Math.ceil(n / c.length))));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAMED_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.uuid() },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 1.5, -1.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1e308, -1e308, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Arrays or objects nested `depth` deep. */
export function nested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/**
 * A deeply nested value that becomes the nesting only when serialized: fast-check prints
 * failing values, and printing 5,000 levels overflows its stack.
 */
export class Deep {
  constructor(
    readonly depth: number,
    readonly kind: 'array' | 'object',
  ) {}
  /** The JSON text, made by repetition: JSON.stringify would recurse as deep as the value. */
  text(): string {
    return this.kind === 'array' ? `${'['.repeat(this.depth)}"bottom"${']'.repeat(this.depth)}` : `${'{"a":'.repeat(this.depth)}"bottom"${'}'.repeat(this.depth)}`;
  }
  [fc.toStringMethod](): string {
    return `<${this.kind}s nested ${this.depth} deep>`;
  }
}

/** JSON text of a value that may hold Deep values anywhere. */
export function jsonText(value: unknown): string {
  const deep: Deep[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Deep ? `\u0000deep${deep.push(v) - 1}\u0000` : v)) ?? 'null';
  return text.replace(/"\\u0000deep(\d+)\\u0000"/g, (_, i: string) => deep[Number(i)]!.text());
}

export const deepValue = fc.tuple(fc.constantFrom(10, 100, 1000, 100_000), fc.constantFrom('array' as const, 'object' as const)).map(([d, k]) => new Deep(d, k));

/** Object keys, including the ones that reach a prototype. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', '', ' ', 'a.b', 'a[0]', '$where', 'user_id', 'id'), fc.string({ maxLength: 12 }));

/** Any JSON value a client could send in place of the expected one. */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { weight: 6, arbitrary: hostileString },
    { weight: 2, arbitrary: hostileNumber },
    { weight: 1, arbitrary: fc.boolean() },
    { weight: 1, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.array(tie('value'), { maxLength: 4, depthIdentifier: 'hostile' }) },
    { weight: 1, arbitrary: fc.dictionary(hostileKey, tie('value'), { maxKeys: 4, depthIdentifier: 'hostile' }) },
    { weight: 1, arbitrary: deepValue },
  ),
})).value;

/** JSON text with an own `__proto__` key (JSON.stringify of a literal cannot make one). */
export function withProtoKey(body: Record<string, unknown>, value: unknown): string {
  const rest = JSON.stringify(body);
  const inner = `"__proto__": ${JSON.stringify(value)}`;
  return rest === '{}' ? `{${inner}}` : `{${inner}, ${rest.slice(1)}`;
}

/** Bodies that are not what they say: bad bytes, broken or bottomless JSON. */
export const rawBody = fc.constantFrom(
  { kind: 'invalid UTF-8', bytes: Buffer.concat([Buffer.from('{"title": "'), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]), Buffer.from('", "content": "x"}')]) },
  { kind: 'overlong UTF-8 NUL', bytes: Buffer.concat([Buffer.from('{"title": "a'), Buffer.from([0xc0, 0x80]), Buffer.from('b"}')]) },
  { kind: 'truncated JSON', bytes: Buffer.from('{"title": "a", "content": ') },
  { kind: 'JSON with a BOM', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"title": "a"}')]) },
  { kind: 'duplicate keys', bytes: Buffer.from('{"title": "a", "title": {"b": 1}}') },
  { kind: 'constructor.prototype', bytes: Buffer.from('{"constructor": {"prototype": {"polluted": true}}, "title": "a"}') },
  { kind: 'NaN and comments', bytes: Buffer.from('{"limit": NaN /* x */}') },
  { kind: 'empty', bytes: Buffer.alloc(0) },
  { kind: 'null', bytes: Buffer.from('null') },
  { kind: 'number', bytes: Buffer.from('1e999') },
).map((b) => Object.assign(b, { [fc.toStringMethod]: () => `<${b.kind}, ${b.bytes.length} bytes>` }));
