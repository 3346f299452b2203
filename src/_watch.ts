/**
 * The async iterator behind `system.watch()`: subscribed at once (not on the
 * first `next()`), so `ready` can be awaited before acting.
 *
 * @module
 */

import type { Client } from "./_client.ts";
import {
  EVENT_TYPES,
  type EventStream,
  toUpstartEvent,
  type UpstartEvent,
  type WatchOptions,
} from "./events.ts";

/** Makes the stream of `system.watch()` for `client`, filtered by `options`. */
export function watchEvents(client: Client, options: WatchOptions = {}): EventStream {
  const types = options.types ?? EVENT_TYPES;
  if (!Array.isArray(types) || types.some((t) => !EVENT_TYPES.includes(t))) {
    throw new TypeError(`Invalid event types: expected some of ${EVENT_TYPES.join(", ")}`);
  }
  const wanted = new Set(types);
  // Every signal Upstart sends (the client adds `sender` on a bus); toUpstartEvent drops the
  // rest. No `path_namespace` key: the dbus-daemon of Ubuntu 12.04 (1.4) and RHEL 6 (1.2)
  // predates it and would refuse the whole match rule.
  const streamPromise = client.signals({});
  let closed = false;
  const ready = streamPromise.then(() => {});
  ready.catch(() => {}); // surfaced by next()
  const iterator: EventStream = {
    ready,
    async next(): Promise<IteratorResult<UpstartEvent>> {
      const stream = await streamPromise;
      while (!closed) {
        const r = await stream.next();
        if (r.done) return { value: undefined, done: true };
        const ev = toUpstartEvent(r.value);
        if (!ev || !wanted.has(ev.type)) continue;
        if (options.job !== undefined && !("job" in ev && ev.job === options.job)) continue;
        return { value: ev, done: false };
      }
      return { value: undefined, done: true };
    },
    async return(): Promise<IteratorResult<UpstartEvent>> {
      closed = true;
      const stream = await streamPromise.catch(() => null);
      await stream?.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await this.return!();
    },
  };
  return iterator;
}
