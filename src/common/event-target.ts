/**
 * An EventTarget for the event bus on which one subscriber falling behind cannot take the
 * process down. Each subscription queues the events it has not sent yet, at most 1024 (the
 * Repeater's limit); past that its listener throws, and an EventTarget rethrows a listener's
 * error as an uncaught exception: one client that stops reading, while its events keep
 * coming, would crash the server. Here that subscriber misses the event instead (and its
 * socket is soon cut off as a slow consumer); every other listener still gets it.
 */
import { setMaxListeners } from 'node:events';

type Listener = ((e: Event) => void) | { handleEvent(e: Event): void };
type AddArgs = Parameters<EventTarget['addEventListener']>;
type RemoveArgs = Parameters<EventTarget['removeEventListener']>;

export function overflowSafeEventTarget(): EventTarget {
  const target = new EventTarget();
  // Every subscription of a topic is a listener: thousands are normal, not a leak.
  setMaxListeners(0, target);
  const wrapped = new WeakMap<object, (e: Event) => void>();
  const add = target.addEventListener.bind(target);
  const remove = target.removeEventListener.bind(target);
  target.addEventListener = (type: AddArgs[0], listener: AddArgs[1], options?: AddArgs[2]) => {
    if (!listener) return add(type, listener, options);
    let safe = wrapped.get(listener);
    if (!safe) {
      const l = listener as Listener;
      const call = typeof l === 'function' ? l : (e: Event) => l.handleEvent(e);
      safe = (e: Event) => {
        try {
          call(e);
        } catch (err) {
          if ((err as Error)?.name !== 'RepeaterOverflowError') throw err;
        }
      };
      wrapped.set(listener, safe);
    }
    add(type, safe, options);
  };
  target.removeEventListener = (type: RemoveArgs[0], listener: RemoveArgs[1], options?: RemoveArgs[2]) =>
    remove(type, ((listener && wrapped.get(listener)) ?? listener) as RemoveArgs[1], options);
  return target;
}
