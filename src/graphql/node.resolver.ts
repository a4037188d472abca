import DataLoader from 'dataloader';
import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../common/context.js';
import { requestLoader } from '../common/loaders.js';
import { notAuthenticated } from '../common/access.js';
import { AppError } from '../common/errors.js';
import { parseInput } from '../common/validation.js';
import { z } from 'zod';
import { Node } from './relay.js';

/**
 * Where `node(id:)` looks: one source per node type. `load` answers the objects among `ids`
 * that the caller may read, with the same rules as the type's own query (a foreign or
 * unknown id is simply absent, never an error). Ids are the REST ids (UUIDs), which carry no
 * type, so every source is asked; each answers with one statement for all the ids.
 */
export interface NodeSource {
  /** The GraphQL type name, for the README and errors. */
  typename: string;
  load(ctx: RequestContext, ids: readonly string[]): Promise<readonly { id: string }[]>;
}

const MAX_IDS = 100;
const idsSchema = z.array(z.string(), { error: 'must be a list of ids' }).max(MAX_IDS, `must hold at most ${MAX_IDS} ids`);

/** A node source's answer, where a refusal (a scope the key lacks, a rule of the type's own) means "not visible". */
const visibleOnly = <T>(answer: Promise<readonly T[]>): Promise<readonly T[]> =>
  answer.catch((e: unknown) => {
    if (e instanceof AppError && e.code !== 'internal_error' && e.code !== 'service_unavailable') return [];
    throw e;
  });

/**
 * The object a reference names (`document` beside `documentId`), if the caller may read it by
 * the rules of `node(id:)` for its type (`load` is that type's node source), else null. One
 * statement per type for the references resolved together, however many ask. Nothing is kept
 * between loads: a subscription's context serves each of its events, which must see the
 * object as it is then.
 */
export function visibleRef<T extends { id: string }>(ctx: RequestContext, typename: string, load: NodeSource['load'], id: string): Promise<T | null> {
  const loader = requestLoader(ctx.loaders, `ref:${typename}`, () =>
    new DataLoader<string, T | null>(
      async (ids) => {
        const byId = new Map((await visibleOnly(load(ctx, [...new Set(ids)]))).map((o) => [o.id, o as T]));
        return ids.map((i) => byId.get(i) ?? null);
      },
      { batch: ctx.config.db.batching, cache: false },
    ),
  );
  return loader.load(id);
}

/** Every object the caller may read among `ids`, by id. */
async function resolveNodes(ctx: RequestContext, sources: readonly NodeSource[], ids: readonly string[]): Promise<Map<string, object>> {
  if (ctx.authError) throw ctx.authError;
  if (!ctx.principal) throw notAuthenticated();
  const wanted = [...new Set(ids)];
  const found = new Map<string, object>();
  if (!wanted.length) return found;
  const answers = await Promise.all(sources.map((s) => visibleOnly(s.load(ctx, wanted))));
  for (const objects of answers) for (const o of objects) if (!found.has(o.id)) found.set(o.id, o);
  return found;
}

/** `node` and `nodes`: Relay's object identification over every module's node sources (given by the composition root). */
@Resolver()
export class NodeResolver {
  constructor(private readonly sources: readonly NodeSource[]) {}

  @Query(() => Node, {
    nullable: true,
    description:
      'Any object by its id (the same id REST uses), if the caller may read it: an unknown id, or one the caller may not see, is null. Each type keeps its own rule (an API key needs that type\'s read scope; without it the object is null). Any signed-in caller (a bearer token or an API key) may ask.',
  })
  async node(@Arg('id', () => ID, { description: 'The id of the object.' }) id: string, @Ctx() ctx: RequestContext): Promise<object | null> {
    return (await resolveNodes(ctx, this.sources, [id])).get(id) ?? null;
  }

  @Query(() => [Node], {
    nullable: 'items',
    description: `Several objects by id, in the order asked, each null when unknown or not visible to the caller (at most ${MAX_IDS}). Each type keeps its own rule, as for \`node\`. Any signed-in caller (a bearer token or an API key) may ask.`,
  })
  async nodes(@Arg('ids', () => [ID], { description: `The ids, at most ${MAX_IDS}.` }) ids: string[], @Ctx() ctx: RequestContext): Promise<(object | null)[]> {
    const checked = parseInput(z.object({ ids: idsSchema }), { ids }).ids;
    const found = await resolveNodes(ctx, this.sources, checked);
    return checked.map((id) => found.get(id) ?? null);
  }
}
