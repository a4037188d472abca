import { describe, expect, it } from 'vitest';
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
});
