import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentNode, GraphQLInputType, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { checkCost, costKey, costVariables, LIST_SIZE, MAX_PRICED_NODES, operationCost } from '../src/graphql/cost.js';
import { DocumentChecker } from '../src/graphql/limits.js';
import { DEFAULT_PAGE, MAX_PAGE } from '../src/graphql/relay.js';
import { gatewaySchema, graphqlCjs } from './helpers/graphql-ops.js';

/**
 * The cost model (src/graphql/cost.ts) on a small schema of its own, then the product's own
 * documents (the console's, the README's examples) against the default limits.
 */
const { buildSchema, getNamedType, isEnumType, isInputObjectType, isListType, isNonNullType, Kind, parse, typeFromAST, visit } = graphqlCjs;

const SDL = /* GraphQL */ `
  type Query {
    items(first: Int, after: String, last: Int, before: String): ItemConnection!
    page(limit: Int, offset: Int): ItemPage!
    list: [Item!]!
    nodes(ids: [ID!]!): [Item]!
    item(id: ID!): Item
    search: [Result!]!
    heavy: Int
    year: [Part!]!
  }
  type ItemConnection {
    edges: [ItemEdge!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }
  type ItemEdge {
    cursor: String!
    node: Item!
  }
  type PageInfo {
    hasNextPage: Boolean!
  }
  type ItemPage {
    items: [Item!]!
    total: Int!
  }
  type Item {
    id: ID!
    name: String!
    tags: [String!]!
    children(first: Int): ItemConnection!
    parts: [Part!]!
  }
  type Part {
    id: ID!
  }
  union Result = Item | Part
`;

let small: GraphQLSchema;
beforeAll(() => {
  small = buildSchema(SDL);
  // A field declaring its own cost, as `@Extensions({ cost: 50 })` does on a resolver.
  (small.getQueryType()!.getFields().heavy as { extensions: object }).extensions = { cost: 50 };
  // A plain list declaring how many items it can hold, as `@Extensions({ listSize: 366 })` does.
  (small.getQueryType()!.getFields().year as { extensions: object }).extensions = { listSize: 366 };
});

const cost = (query: string, variables?: Record<string, unknown>) => operationCost(small, parse(query), undefined, variables).cost;

describe('the cost model', () => {
  it('counts 1 per object and nothing for scalars, scalar lists, edges, pageInfo and __typename; introspection by its root', () => {
    expect(cost('{ item(id: "1") { id name tags __typename } }')).toBe(1);
    // The whole schema once, whatever it selects below; a type by name.
    expect(cost('{ __typename __schema { types { name fields { name type { name } } } } }')).toBe(1000);
    expect(cost('{ __schema { queryType { name } } }')).toBe(1000);
    expect(cost('{ __type(name: "Item") { fields { name } } }')).toBe(50);
    // Aliased copies of the whole schema (megabytes each) pass the limit of 5,000.
    expect(cost(`{ ${Array.from({ length: 6 }, (_, i) => `s${i}: __schema { types { name } }`).join(' ')} }`)).toBe(6000);
  });

  it('multiplies a connection\'s edges by first or last, and by the default page size when neither is given', () => {
    expect(cost('{ items(first: 5) { totalCount pageInfo { hasNextPage } edges { cursor node { id } } } }')).toBe(1 + 5);
    expect(cost('{ items(last: 3) { edges { node { id } } } }')).toBe(1 + 3);
    expect(cost('{ items { edges { node { id } } } }')).toBe(1 + DEFAULT_PAGE);
    // A connection costs what a page of the same items costs.
    expect(cost('{ items(first: 5) { edges { node { id } } } }')).toBe(cost('{ page(limit: 5) { items { id } } }'));
  });

  it('counts a page size given as a variable exactly as the same literal, its default when the variable is absent', () => {
    const q = '{ items(first: 7) { edges { node { id children(last: 4) { edges { node { id } } } } } } }';
    const v = 'query Q($f: Int, $l: Int = 4) { items(first: $f) { edges { node { id children(last: $l) { edges { node { id } } } } } } }';
    expect(cost(v, { f: 7, l: 4 })).toBe(cost(q));
    expect(cost(v, { f: 7 })).toBe(cost(q));
    expect(cost(v)).toBe(cost(q.replace('first: 7', 'first: 20')));
  });

  it('multiplies by limit, and a list inside a paged field by its page size', () => {
    expect(cost('{ page(limit: 7) { total items { id } } }')).toBe(1 + 7);
    expect(cost('{ page { items { id } } }')).toBe(1 + DEFAULT_PAGE);
  });

  it('multiplies nested lists', () => {
    expect(cost('{ items(first: 10) { edges { node { children(first: 5) { edges { node { id } } } } } } }')).toBe(1 + 10 * (1 + (1 + 5)));
  });

  it('counts a plain list that declares its size (a year of days) as that many items', () => {
    expect(cost('{ year { id } }')).toBe(366);
  });

  it('counts a list that takes no page size as LIST_SIZE items, and nodes(ids) as the ids asked for', () => {
    expect(cost('{ list { parts { id } } }')).toBe(LIST_SIZE * (1 + LIST_SIZE));
    expect(cost('{ nodes(ids: ["a", "b", "c"]) { id } }')).toBe(3);
    expect(cost('query N($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', 'b'] })).toBe(2);
  });

  it('prices a union at its costliest member, follows fragments and honours @skip and @include', () => {
    expect(cost('{ search { ... on Item { parts { id } } ... on Part { id } } }')).toBe(LIST_SIZE * (1 + LIST_SIZE));
    const q = 'query F($skip: Boolean!) { items(first: 2) { edges { node { ...F } } } } fragment F on Item { children(first: 3) @skip(if: $skip) { edges { node { id } } } }';
    expect(cost(q, { skip: true })).toBe(1 + 2);
    expect(cost(q, { skip: false })).toBe(1 + 2 * (1 + (1 + 3)));
  });

  it('takes the cost a field declares in its extensions', () => {
    expect(cost('{ heavy }')).toBe(50);
  });

  it('prices only the operation asked for, and nothing when the variables do not fit (execution refuses them)', () => {
    const doc = parse('query A { item(id: "1") { id } } query B { items(first: 2) { edges { node { id } } } }');
    expect(operationCost(small, doc, 'A', {}).cost).toBe(1);
    expect(operationCost(small, doc, 'B', {}).cost).toBe(3);
    expect(cost('query Q($f: Int) { items(first: $f) { edges { node { id } } } }', { f: 'many' })).toBe(0);
  });

  it('breaks the cost down by response path (aliases included), costliest first', () => {
    const r = operationCost(small, parse('{ a: items(first: 2) { edges { node { children(first: 4) { edges { node { id } } } } } } item(id: "1") { id } }'), undefined, {});
    expect(r.cost).toBe(1 + 2 * (1 + (1 + 4)) + 1);
    expect(r.breakdown).toEqual([
      { path: 'a', cost: 13, multiplier: 1 },
      { path: 'a.edges', cost: 12, multiplier: 2 },
      { path: 'a.edges.node.children.edges', cost: 4, multiplier: 4 },
      { path: 'item', cost: 1, multiplier: 1 },
    ]);
  });

  it('refuses over the limit with the cost, the limit and the breakdown', () => {
    const doc = parse('{ items(first: 60) { edges { node { id } } } }');
    expect(() => checkCost(small, doc, undefined, {}, 61)).not.toThrow();
    let refusal: any;
    try {
      checkCost(small, doc, undefined, {}, 60);
    } catch (e) {
      refusal = e;
    }
    expect(refusal.code).toBe('query_too_costly');
    expect(refusal.details).toEqual({ cost: 61, max_cost: 60, breakdown: [{ path: 'items', cost: 61, multiplier: 1 }, { path: 'items.edges', cost: 60, multiplier: 60 }] });
  });

  it('knows which variables the cost depends on, so a door can remember what it admitted', () => {
    const doc = parse('query Q($f: Int, $ids: [ID!]!, $x: Boolean!, $title: String) { items(first: $f) { edges { node { id @include(if: $x) } } } nodes(ids: $ids) { name(x: $title) } }');
    expect(costVariables(doc)).toEqual(['f', 'ids', 'x']);
    const key = (v: Record<string, unknown>) => costKey(costVariables(doc), v);
    expect(key({ f: 5, ids: ['a', 'b'], x: true, title: 'one' })).toBe(key({ f: 5, ids: ['c', 'd'], x: true, title: 'two' }));
    expect(key({ f: 5, ids: ['a'], x: true })).not.toBe(key({ f: 6, ids: ['a'], x: true }));
    expect(key({ f: 5, ids: ['a'], x: true })).not.toBe(key({ f: 5, ids: ['a', 'b'], x: true }));
    expect(costKey(costVariables(parse('{ items { edges { node { id } } } }')), {})).toBe('');
  });

  it('refuses a document whose fragments expand past what is worth pricing', () => {
    // Ten spreads of a fragment of ten spreads…: 10^5 selections from a few hundred bytes.
    const levels = ['fragment F0 on Item { id }', ...[1, 2, 3, 4, 5].map((i) => `fragment F${i} on Item { ${`...F${i - 1} `.repeat(10)}}`)];
    const doc = parse(`{ item(id: "1") { ...F5 } } ${levels.join(' ')}`);
    expect(operationCost(small, doc, undefined, {}).cost).toBe(Number.POSITIVE_INFINITY);
    expect(() => checkCost(small, doc, undefined, {}, 5000)).toThrow(new RegExp(`more than ${MAX_PRICED_NODES} fields`));
  });
});

/* ------------------------------------------------------------------------------------------ */

/** Variables used as a page size (first, last, limit) anywhere in an operation or its fragments. */
function pageVariables(doc: DocumentNode): Set<string> {
  const names = new Set<string>();
  visit(doc, {
    Argument(node) {
      if (['first', 'last', 'limit'].includes(node.name.value) && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return names;
}

/** A value of `type`; page sizes at their maximum, so the figure is the most the client can ask for. */
function sample(type: GraphQLInputType, page: boolean): unknown {
  if (isNonNullType(type)) return sample(type.ofType, page);
  if (isListType(type)) return [sample(type.ofType, page)];
  const named = getNamedType(type);
  if (isEnumType(named)) return named.getValues()[0]!.name;
  if (isInputObjectType(named)) {
    return Object.fromEntries(Object.values(named.getFields()).flatMap((f) => (isNonNullType(f.type) && f.defaultValue === undefined ? [[f.name, sample(f.type, false)]] : [])));
  }
  const scalars: Record<string, unknown> = { Int: page ? MAX_PAGE : 1, Float: 1, Boolean: true, DateTime: '2026-01-01T00:00:00.000Z', Date: '2026-01-01' };
  return scalars[named.name] ?? 'x';
}

/** Variables for every operation variable: the worst a client can send for page sizes. */
function worstVariables(schema: GraphQLSchema, doc: DocumentNode, op: OperationDefinitionNode): Record<string, unknown> {
  const pages = pageVariables(doc);
  return Object.fromEntries(
    (op.variableDefinitions ?? []).map((v) => [v.variable.name.value, sample(typeFromAST(schema, v.type as never) as GraphQLInputType, pages.has(v.variable.name.value))]),
  );
}

/** The executable ```graphql blocks of a Markdown file. */
function markdownExamples(file: string): { where: string; text: string }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/```graphql\n([\s\S]*?)```/g)]
    .map((m, i) => ({ where: `${file} example ${i + 1}`, text: m[1]! }))
    .filter((e) => parse(e.text).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION));
}

describe('the default limits admit the product\'s own documents', () => {
  let schema: GraphQLSchema;
  let limits: ReturnType<typeof loadConfig>['graphql']['limits'];
  const figures: string[] = [];
  let dataDir = '';
  beforeAll(async () => {
    schema = await gatewaySchema();
    dataDir = mkdtempSync(join(tmpdir(), 'xentree-cost-'));
    limits = loadConfig({ DATA_DIR: dataDir }).graphql.limits;
  });
  afterAll(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (figures.length) console.log(`cost under the default limit (${limits.maxCost}), page sizes at ${MAX_PAGE} where variables:\n${figures.join('\n')}`);
  });

  /** Checks one document as the gateway would (validation, depth, aliases, directives, tokens, size), then each operation's cost. */
  function admit(where: string, text: string): void {
    const checked = new DocumentChecker(schema, limits, true).check(text);
    expect('kind' in checked ? [] : checked.map((e) => e.message), `${where}: refused by the document checks`).toEqual([]);
    const doc = checked as DocumentNode;
    for (const op of doc.definitions) {
      if (op.kind !== Kind.OPERATION_DEFINITION) continue;
      const name = op.name?.value ?? '(anonymous)';
      const { cost, breakdown } = operationCost(schema, doc, op.name?.value, worstVariables(schema, doc, op));
      figures.push(`  ${String(cost).padStart(5)}  ${where}: ${name}`);
      expect(cost, `${where}: ${name} costs ${cost} (${JSON.stringify(breakdown.slice(0, 4))})`).toBeLessThanOrEqual(limits.maxCost);
    }
  }

  it('prices the year-long plain lists by their days', () => {
    const priced = (q: string) => operationCost(schema, parse(q), undefined, {}).cost;
    expect(priced('{ learningPulse { date } }')).toBe(365);
    expect(priced('{ learningTime { byDay { date } } }')).toBe(1 + 366);
    expect(priced('{ xelDashboard { activityHistory { date } } }')).toBe(1 + 365);
  });

  it('every operation of the console (console/documents/*.graphql)', () => {
    const files = readdirSync('console/documents').filter((f) => f.endsWith('.graphql')).sort();
    expect(files.length).toBeGreaterThan(0);
    // One document, as codegen reads them: a fragment may serve another file's operations.
    admit('console/documents', files.map((f) => readFileSync(join('console/documents', f), 'utf8')).join('\n'));
  });

  it('every example of README.md', () => {
    for (const e of markdownExamples('README.md')) admit(e.where, e.text);
  });
});
