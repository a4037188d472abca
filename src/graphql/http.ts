import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { getOperationAST, OperationTypeNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Logger } from 'pino';
import { createAuthenticatedContext, type ContextRoot } from '../common/context.js';
import { httpExchange } from '../rest/http-exchange.js';
import { AppError } from '../common/errors.js';
import { credentialsOf } from '../rest/router.js';
import { cachePolicy, NO_STORE } from './cache-control.js';
import { checkCost, costKey, costVariables } from './cost.js';
import { errorCode, formatGraphQLError, httpStatusOf, withoutSuggestions } from './errors.js';
import { DocumentChecker, operationLabel, subscriptionOverHttp } from './limits.js';
import { nameOperation } from './tracing.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Accept headers the fast path answers as Apollo would (plain JSON); others go to Apollo. */
const acceptsJson = (accept: string | undefined): boolean => !accept || accept.includes('application/json') || accept.includes('*/*');

interface Body {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

/** A document compiled for one operation, with what depends on the document alone. */
interface Compiled {
  query: CompiledQuery;
  /** Cache-Control of an answer without errors. */
  policy: string;
  label: string;
  /** The variables the cost depends on (page sizes, ids, @skip/@include conditions). */
  costVariables: string[];
  /** Their values already admitted under the cost limit (a few: most clients send a few page sizes). */
  admitted: Set<string>;
}

/**
 * The common case of POST /graphql (one operation, JSON in and out, a query or a mutation)
 * executed by graphql-jit on the same schema, resolvers, context, limits (cost included,
 * with the request's variables) and error formatting as Apollo, without Apollo's request
 * pipeline around it. Documents are parsed, validated (with the same limits) and compiled
 * once per text. Everything else (batches, GET, persisted queries, other media types,
 * unknown operation names) is Apollo's.
 */
export function fastGraphQLHandler(schema: GraphQLSchema, root: ContextRoot, apollo: RouteHandlerMethod): RouteHandlerMethod {
  const { limits, introspection } = root.config.graphql;
  const { metrics } = root;
  const documents = new DocumentChecker(schema, limits, introspection);
  const compiled = new Map<string, Compiled>();
  const CAPACITY = 500;

  // With introspection off (production), errors carry no "Did you mean …?" either.
  const hide = (payload: { errors: { message: string }[] }) => (introspection ? payload : { ...payload, errors: payload.errors.map(withoutSuggestions) });
  const send = (reply: FastifyReply, status: number, payload: { errors: { message: string }[]; data?: unknown }) =>
    reply.code(status).type(JSON_TYPE).header('cache-control', NO_STORE).send(`${JSON.stringify(hide(payload))}\n`);

  return async function handler(this: unknown, req: FastifyRequest, reply: FastifyReply) {
    const body = req.body as Body | undefined;
    const variables = body?.variables;
    if (
      !body ||
      Array.isArray(body) ||
      typeof body.query !== 'string' ||
      body.extensions !== undefined ||
      (body.operationName !== undefined && body.operationName !== null && typeof body.operationName !== 'string') ||
      (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) ||
      !acceptsJson(req.headers.accept) ||
      // Only JSON bodies: a form post is a "simple" cross-site request, which Apollo's CSRF prevention refuses.
      (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() !== 'application/json'
    ) {
      return apollo.call(this as never, req, reply);
    }
    const start = performance.now();
    const log = req.log as unknown as Logger;
    const checked = documents.check(body.query);
    if (!('kind' in checked)) {
      metrics.observeOperation('http', 'invalid', errorCode(checked[0]!), (performance.now() - start) / 1000);
      return send(reply, checked[0]?.originalError instanceof AppError ? checked[0].originalError.status : 400, {
        errors: checked.map((e) => formatGraphQLError(e.toJSON(), e, log, req.id)),
      });
    }
    const operationName = typeof body.operationName === 'string' ? body.operationName : undefined;
    const op = getOperationAST(checked, operationName);
    if (!op) return apollo.call(this as never, req, reply);
    nameOperation(op);
    if (op.operation === OperationTypeNode.SUBSCRIPTION) {
      const e = subscriptionOverHttp();
      metrics.observeOperation('http', operationLabel(op, metrics), e.code, (performance.now() - start) / 1000);
      return send(reply, e.status, { errors: [formatGraphQLError({ message: e.message }, e, log, req.id)] });
    }

    const key = `${operationName ?? ''}\u0000${body.query}`;
    let entry = compiled.get(key);
    // The cost is checked with this request's variables, unless the same values were admitted before.
    const costVars = entry?.costVariables ?? costVariables(checked);
    const costId = costKey(costVars, variables as Record<string, unknown> | null | undefined);
    if (!entry?.admitted.has(costId)) {
      try {
        checkCost(schema, checked, operationName, variables as Record<string, unknown> | null | undefined, limits.maxCost);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        metrics.observeOperation('http', entry?.label ?? operationLabel(op, metrics), e.code, (performance.now() - start) / 1000);
        return send(reply, e.status, { errors: [formatGraphQLError({ message: e.message }, e, log, req.id)] });
      }
    }
    if (!entry) {
      const out = compileQuery(schema, checked, operationName, { disablingCapturingStackErrors: true });
      if (!isCompiledQuery(out)) return apollo.call(this as never, req, reply);
      if (compiled.size >= CAPACITY) compiled.delete(compiled.keys().next().value!);
      entry = { query: out, policy: cachePolicy(schema, checked, op), label: operationLabel(op, metrics), costVariables: costVars, admitted: new Set() };
      compiled.set(key, entry);
    }
    if (!entry.admitted.has(costId)) {
      if (entry.admitted.size >= 16) entry.admitted.clear();
      entry.admitted.add(costId);
    }

    const ctx = await createAuthenticatedContext(
      root,
      { requestId: req.id, transport: 'graphql', log, client: { ip: req.ip ?? null, userAgent: req.headers['user-agent'] ?? null }, http: httpExchange(req, reply) },
      credentialsOf(req),
    );
    const { query, label } = entry;
    const result = await query.query(undefined, ctx, (variables ?? {}));
    if (!('data' in result) || result.data === undefined) {
      // Variables that do not fit the operation: a bad request, as Apollo answers it.
      const errors = (result.errors ?? []).map((e) => ({ message: e.message, ...(e.locations ? { locations: e.locations } : {}), extensions: { code: 'bad_user_input' } }));
      metrics.observeOperation('http', label, 'bad_user_input', (performance.now() - start) / 1000);
      return send(reply, 400, { errors });
    }
    if (!result.errors?.length) {
      metrics.observeOperation('http', label, 'ok', (performance.now() - start) / 1000);
      return reply.code(200).type(JSON_TYPE).header('cache-control', entry.policy).send(`${query.stringify(result)}\n`);
    }
    const { status, headers } = httpStatusOf(result.errors);
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    metrics.observeOperation('http', label, errorCode(result.errors[0] as GraphQLError), (performance.now() - start) / 1000);
    return send(reply, status, { errors: result.errors.map((e) => formatGraphQLError((e).toJSON(), e, log, req.id)), data: result.data });
  };
}
