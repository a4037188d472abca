import type { EntityManager } from '@mikro-orm/core';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Clock } from './clock.js';
import { type AppError } from './errors.js';
import type { LoaderFactory, Loaders } from './loaders.js';
import type { Metrics } from './metrics.js';
import type { EventBus, RevocationReason } from './pubsub.js';
import type { RateLimits } from './rate-limits.js';
import { asKnownError } from './unavailable.js';
import type { Credentials, Principal } from './principal.js';

export type Transport = 'graphql' | 'graphql-ws' | 'rest' | 'internal';

/** Attributes of a cookie the gateway sets (always host-only: no Domain). */
export interface CookieOptions {
  path: string;
  maxAge: number;
  httpOnly: boolean;
  sameSite: 'lax' | 'strict';
  secure: boolean;
}

/**
 * The HTTP exchange behind a call, when there is one (REST and GraphQL over HTTP; not
 * graphql-ws nor internal calls): the cookies the request carried, and cookies for the answer.
 */
export interface HttpExchange {
  readonly cookies: Readonly<Record<string, string | undefined>>;
  /** The request came over https (X-Forwarded-Proto counts with TRUST_PROXY). */
  readonly secure: boolean;
  setCookie(name: string, value: string, options: CookieOptions): void;
  /** Expires the cookie in the browser (same name and path). */
  clearCookie(name: string, options: Pick<CookieOptions, 'path' | 'httpOnly' | 'sameSite' | 'secure'>): void;
}

/** What every service method receives first, whichever door the call came through. */
export interface RequestContext {
  readonly requestId: string;
  readonly transport: Transport;
  readonly principal: Principal | null;
  /** Why the credentials that were sent did not authenticate; raised only where a user is required. */
  readonly authError: AppError | null;
  /** A fork of its own: the global EntityManager is never used for requests. */
  readonly em: EntityManager;
  readonly loaders: Loaders;
  readonly log: Logger;
  readonly config: Config;
  /** The loader factory, for forks of this context (subscriptions fork per event). */
  readonly makeLoaders: LoaderFactory;
  /** Client address and agent, for login sessions and audit. */
  readonly client: { ip: string | null; userAgent: string | null };
  /** The HTTP request and answer, for the few flows that need cookies (browser redirects). */
  readonly http: HttpExchange | null;
}

/**
 * What outlives a request, as the doors (REST, GraphQL, sockets) need it: the ORM root, the
 * config, the loaders every module contributes, how credentials authenticate, and the shared
 * infrastructure. Never the domain services: a door gets the few it calls from the
 * composition root (route tables by their factory, resolvers through the container).
 */
export interface ContextRoot {
  readonly em: EntityManager;
  readonly config: Config;
  readonly log: Logger;
  readonly loaders: LoaderFactory;
  /** The principal the credentials name (the auth service's), or null when none were sent. */
  readonly authenticate: (em: EntityManager, credentials: Credentials) => Promise<Principal | null>;
  /** Which of these principals' credentials were revoked since, and why (the auth service's; expiry aside). */
  readonly revokedAmong: (em: EntityManager, principals: readonly Principal[]) => Promise<Map<Principal, RevocationReason>>;
  readonly events: EventBus;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly rateLimits: RateLimits;
}

export interface ContextInput {
  requestId: string;
  transport: Transport;
  principal?: Principal | null;
  authError?: AppError | null;
  log?: Logger;
  client?: { ip: string | null; userAgent: string | null };
  http?: HttpExchange | null;
}

/** A fresh fork of the root EntityManager, for one request. */
const forkOf = (em: EntityManager) => em.fork({ clear: true, useContext: false });

/**
 * A request context whose EntityManager fork, loaders and logger child are made when the
 * request first reads them (a request answered from memory forks nothing). A class, so that
 * the accessors are its prototype's, not defined again on every request's object.
 */
class LazyContext implements RequestContext {
  readonly requestId: string;
  readonly transport: Transport;
  readonly principal: Principal | null;
  readonly authError: AppError | null;
  readonly config: Config;
  readonly makeLoaders: LoaderFactory;
  readonly client: { ip: string | null; userAgent: string | null };
  readonly http: HttpExchange | null;
  // Plain fields, not #private ones: Apollo copies a context's own fields onto an object of the
  // same prototype for each operation, and the accessors must work on that copy too.
  private fork: EntityManager | undefined;
  private made: Loaders | undefined;
  private logger: Logger | undefined;

  constructor(
    private readonly root: ContextRoot,
    input: ContextInput,
    em: EntityManager | undefined,
  ) {
    this.requestId = input.requestId;
    this.transport = input.transport;
    this.principal = input.principal ?? null;
    this.authError = input.authError ?? null;
    this.config = root.config;
    this.makeLoaders = root.loaders;
    this.client = input.client ?? { ip: null, userAgent: null };
    this.http = input.http ?? null;
    this.fork = em;
    this.logger = input.log;
  }

  get em(): EntityManager {
    return (this.fork ??= forkOf(this.root.em));
  }

  get loaders(): Loaders {
    return (this.made ??= this.root.loaders(this.em, this.root.config.db.batching));
  }

  get log(): Logger {
    return (this.logger ??= this.root.log.child({ reqId: this.requestId }));
  }

  /** Empties the fork's identity map, if the fork was made (reading `em` would make one). */
  clearLoaded(): void {
    this.fork?.clear();
  }
}

/**
 * Lets go of what a context's unit of work has loaded (its identity map), without making a
 * fork it has not made yet; a context of another shape is cleared through its `em`.
 */
export function clearLoaded(context: unknown): void {
  if (context instanceof LazyContext) return context.clearLoaded();
  const em = (context as { em?: { clear?: unknown } } | null | undefined)?.em;
  if (em && typeof em.clear === 'function') (em as { clear(): void }).clear();
}

/**
 * Builds a request context with its own EntityManager fork and loaders, both made when the
 * request first reads them, and its logger child likewise. `em`: a fork already made for
 * this request (the one credentials were checked with).
 */
export function createContext(root: ContextRoot, input: ContextInput, em?: EntityManager): RequestContext {
  return new LazyContext(root, input, em);
}

/**
 * The same caller, a new unit of work: long-lived subscriptions call this per event so
 * no identity map outlives the event it served.
 */
export function forkContext(ctx: RequestContext): RequestContext {
  return withEntityManager(ctx, forkOf(ctx.em));
}

/** The same caller on the given EntityManager (a unit of work that outlives the request, such as a chat turn's), with loaders of its own. */
export function withEntityManager(ctx: RequestContext, em: EntityManager): RequestContext {
  let loaders: Loaders | undefined;
  return {
    requestId: ctx.requestId,
    transport: ctx.transport,
    principal: ctx.principal,
    authError: ctx.authError,
    em,
    get loaders() {
      return (loaders ??= ctx.makeLoaders(em, ctx.config.db.batching));
    },
    get log() {
      return ctx.log;
    },
    config: ctx.config,
    makeLoaders: ctx.makeLoaders,
    client: ctx.client,
    http: ctx.http,
  };
}

/**
 * Builds a context and authenticates the credentials with its own fork. Bad credentials
 * do not fail the request here: public operations still work, and anything that needs a
 * user raises the precise reason (expired, revoked, forged...). No credentials at all: no
 * principal, and nothing read (the fork is made only if the request reads something).
 */
export async function createAuthenticatedContext(
  root: ContextRoot,
  input: Omit<ContextInput, 'principal' | 'authError'>,
  credentials: Credentials,
): Promise<RequestContext> {
  if (!credentials.authorization && !credentials.apiKey) return createContext(root, input);
  const em = forkOf(root.em);
  try {
    const principal = await root.authenticate(em, credentials);
    return createContext(root, { ...input, principal }, em);
  } catch (e) {
    // A database outage while checking the credentials is this request's answer only if it
    // needs a user (a public operation may not need the database at all).
    const known = asKnownError(e);
    if (known) return createContext(root, { ...input, authError: known }, em);
    throw e;
  }
}
