import { SpanKind, type Attributes } from '@opentelemetry/api';
import type { LogContext, MikroORM } from '@mikro-orm/core';
import { ATTR_DB_COLLECTION_NAME, ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_SUMMARY, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions';
import { pastSpan, recordingSpan, tracingOn } from '../common/tracing.js';

/**
 * A span per database statement, on both drivers. Every statement MikroORM sends (queries,
 * the transaction statements around them) and the hot prepared reads (src/db/prepared.ts) are
 * handed to the ORM logger's `logQuery` once done, with how long they took: that is where
 * they are observed (as the tests' statement counter observes them), and each becomes a
 * client span of the request it belongs to, from when it started to now. The text is kept
 * without its values: MikroORM writes values into the SQL, and they are users' data.
 */
export function traceStatements(orm: MikroORM, system: 'sqlite' | 'postgresql'): void {
  if (!tracingOn()) return;
  const logger = orm.config.getLogger();
  const logQuery = logger.logQuery.bind(logger);
  logger.logQuery = (ctx: { query: string } & LogContext) => {
    // The slow-query log (a namespace of its own) repeats a statement already logged. Outside a
    // recorded trace (an unsampled request, background work) nothing is worked out.
    if ((ctx.namespace ?? 'query') === 'query' && recordingSpan()) {
      const { summary, attributes } = statementAttributes(ctx.query);
      pastSpan(summary, ctx.took ?? 0, { [ATTR_DB_SYSTEM_NAME]: system, ...attributes }, SpanKind.CLIENT, ctx.level === 'error');
    }
    logQuery(ctx);
  };
}

/**
 * Statements' span names and attributes, by their text: most texts recur (prepared reads, and
 * MikroORM's with their values bound). Only texts without string literals are kept: one with
 * values written in (users' data) is described for its one use and not held.
 */
const described = new Map<string, { summary: string; attributes: Attributes }>();
const DESCRIBED_MAX = 1000;

/** A statement's span name and attributes (but the system's), worked out once per text among the last DESCRIBED_MAX. */
export function statementAttributes(sql: string): { summary: string; attributes: Attributes } {
  let d = described.get(sql);
  if (d) return d;
  const text = withoutValues(sql);
  const { operation, collection } = summaryOf(text);
  const summary = collection ? `${operation} ${collection}` : operation;
  d = {
    summary,
    attributes: { [ATTR_DB_OPERATION_NAME]: operation, [ATTR_DB_QUERY_SUMMARY]: summary, [ATTR_DB_QUERY_TEXT]: text, ...(collection ? { [ATTR_DB_COLLECTION_NAME]: collection } : {}) },
  };
  if (sql.includes("'")) return d;
  if (described.size >= DESCRIBED_MAX) described.delete(described.keys().next().value!);
  described.set(sql, d);
  return d;
}

/** The statement with its literals (strings, numbers, blobs) as `?`. */
export function withoutValues(sql: string): string {
  return sql
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b[xX]\?/g, '?')
    .replace(/(?<![\w$."`])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, '?');
}

/** The statement's operation (select, insert, begin...) and the first table it names. */
export function summaryOf(sql: string): { operation: string; collection: string | null } {
  const operation = (/^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i.exec(sql)?.[1] ?? 'statement').toLowerCase();
  const table = /\b(?:from|into|update|join)\s+[`"]?([A-Za-z_][\w]*)[`"]?/i.exec(sql)?.[1] ?? null;
  return { operation, collection: table };
}
