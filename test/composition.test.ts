import DataLoader from 'dataloader';
import { describe, expect, it } from 'vitest';
import { composeLoaders, forgetReads, type Loaders } from '../src/common/loaders.js';
import { serviceOrder } from '../src/modules/composition.js';
import { modules } from '../src/modules/index.js';
import type { ServiceDefinition, ServiceName } from '../src/modules/manifest.js';
import { SearchService } from '../src/modules/search/index.js';

const def = (name: string, needs: string[]): ServiceDefinition => ({ name: name as ServiceName, needs: needs as ServiceName[], create: () => ({}) });
const INFRA = ['config', 'events', 'clock', 'rateLimits', 'metrics', 'redis', 'log', 'jobs'];

describe('composition root', () => {
  it('builds each service after the services it names', () => {
    const order = serviceOrder([def('c', ['b', 'events']), def('a', []), def('b', ['a'])], INFRA).map((d) => d.name);
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('refuses a cycle, a dependency nobody provides and a name provided twice, naming them', () => {
    expect(() => serviceOrder([def('a', ['b']), def('b', ['c']), def('c', ['a'])], INFRA)).toThrow('services depend on each other in a cycle: a -> b -> c -> a');
    expect(() => serviceOrder([def('a', ['nowhere'])], INFRA)).toThrow('service a needs nowhere, which no module provides');
    expect(() => serviceOrder([def('a', []), def('a', [])], INFRA)).toThrow('service a is provided twice');
    expect(() => serviceOrder([def('events', [])], INFRA)).toThrow('service events is provided twice');
  });

  it("orders the app's own modules: every service they declare, each after its dependencies", () => {
    const order = serviceOrder(modules.flatMap((m) => m.services ?? []), INFRA);
    const position = new Map(order.map((d, i) => [d.name, i]));
    for (const d of order) for (const need of d.needs) if (!INFRA.includes(need)) expect(position.get(need)!).toBeLessThan(position.get(d.name)!);
    expect(order.map((d) => d.name)).toEqual(expect.arrayContaining(['users', 'auth', 'apiKeys', 'organizations', 'ai', 'search', 'notes', 'conversations', 'knowledge', 'live', 'xel', 'integrations']));
  });

  it('lets the search index be rebuilt only when every kind of content has a source', async () => {
    await expect(new SearchService('sqlite').rebuild({} as never)).rejects.toThrow('no search source registered for message, note, transcript, document');
  });

  it("makes a module's loaders when a request first reads one of them, once, with that request's EntityManager", async () => {
    const made: [string, unknown][] = [];
    // (A factory may keep its EntityManager for later, but not read it while making its loaders.)
    const a = (em: unknown) => {
      made.push(['a', em]);
      return { alpha: new DataLoader(async (ks: readonly string[]) => ks.map((k) => `${(em as { id: string }).id}:${k}`)), beta: { n: 1 } } as unknown as Partial<Loaders>;
    };
    const b = (em: unknown) => {
      made.push(['b', em]);
      return { gamma: new DataLoader(async (ks: readonly string[]) => ks) } as unknown as Partial<Loaders>;
    };
    // One that reads its EntityManager while making its loaders is made with the request.
    const c = (em: { id: string }) => {
      made.push(['c', em.id]);
      return { delta: em.id } as unknown as Partial<Loaders>;
    };
    const factory = composeLoaders([a, b, c as never]);
    made.length = 0;
    const em1 = { id: 'one', clear: () => undefined };
    const em2 = { id: 'two' };
    const one = factory(em1 as never, true) as unknown as Record<string, unknown>;
    const two = factory(em2 as never, true) as unknown as Record<string, unknown>;
    expect(made).toEqual([['c', 'one'], ['c', 'two']]);
    expect(await (one.alpha as DataLoader<string, string>).load('x')).toBe('one:x');
    expect(one.beta).toEqual({ n: 1 });
    expect(made.slice(2)).toEqual([['a', em1]]);
    expect(one.alpha).toBe(one.alpha);
    expect(await (two.alpha as DataLoader<string, string>).load('x')).toBe('two:x');
    expect(made.slice(2)).toEqual([['a', em1], ['a', em2]]);
    expect(one.delta).toBe('one');
    // forgetReads clears what was made, and makes nothing.
    const alpha = one.alpha as DataLoader<string, string>;
    alpha.prime('y', 'primed');
    expect(await alpha.load('y')).toBe('primed');
    forgetReads(em1 as never, one as unknown as Loaders);
    expect(await alpha.load('y')).toBe('one:y');
    expect(made).toHaveLength(4);
    expect(Object.keys(one).sort()).toEqual(['alpha', 'beta', 'delta']);
  });

  it("makes none of the app's loaders before a request reads one (no module's factory reads its EntityManager while making them)", () => {
    const touched: string[] = [];
    const em = new Proxy({}, { get: (_t, key) => (touched.push(String(key)), undefined) });
    const loaders = composeLoaders(modules.flatMap((m) => (m.loaders ? [m.loaders] : [])))(em as never, true);
    expect(touched).toEqual([]);
    expect(Object.keys(loaders)).toEqual([]);
    expect(loaders.memberships).toBeDefined();
    expect(Object.keys(loaders).sort()).toEqual(['memberships', 'org']);
  });
});
