/**
 * The async iterator behind `system.watch()`. It subscribes on first use (the first `next()`,
 * or reading `ready`), so a stream made and never used holds no match rule and does not keep
 * the process alive; it unsubscribes when iteration ends, when it is disposed, or when its
 * `signal` aborts.
 *
 * @module
 */

import type { SignalMessage } from "../ffi/mod.ts";
import { assertSignal, type Client } from "./_client.ts";
import {
  EVENT_TYPES,
  type EventStream,
  toUpstartEvent,
  type UpstartEvent,
  type WatchOptions,
} from "./events.ts";

type SignalStream = AsyncIterableIterator<SignalMessage> & AsyncDisposable;

const DONE: IteratorResult<UpstartEvent> = { value: undefined, done: true };

/** Makes the stream of `system.watch()` for `client`, filtered by `options`. */
export function watchEvents(client: Client, options: WatchOptions = {}): EventStream {
  const types = options.types ?? EVENT_TYPES;
  if (!Array.isArray(types) || types.some((t) => !EVENT_TYPES.includes(t))) {
    throw new TypeError(`Invalid event types: expected some of ${EVENT_TYPES.join(", ")}`);
  }
  const { job, signal } = options;
  assertSignal(signal);
  const wanted = new Set(types);
  let stream: Promise<SignalStream> | null = null;
  let closed = false;

  /** Subscribes, once (never after close: that subscription would never end). */
  const open = (): Promise<SignalStream> => {
    if (stream) return stream;
    if (closed) return Promise.reject(new TypeError("The event stream is closed"));
    // Every signal Upstart sends (the client adds `sender` on a bus); toUpstartEvent drops the
    // rest. No `path_namespace` key: the dbus-daemon of Ubuntu 12.04 (1.4) and RHEL 6 (1.2)
    // predates it and would refuse the whole match rule.
    stream = client.signals({});
    stream.catch(() => {}); // surfaced by next() and ready
    signal?.addEventListener("abort", close, { once: true });
    return stream;
  };

  /** Unsubscribes (a pending `next()` then settles). */
  async function close(): Promise<void> {
    closed = true;
    signal?.removeEventListener("abort", close);
    const s = await stream?.catch(() => null);
    await s?.return?.();
  }

  const matches = (ev: UpstartEvent | null): ev is UpstartEvent =>
    ev !== null && wanted.has(ev.type) && (job === undefined || ("job" in ev && ev.job === job));

  const iterator: EventStream = {
    get ready(): Promise<void> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      return open().then(() => {});
    },
    async next(): Promise<IteratorResult<UpstartEvent>> {
      signal?.throwIfAborted();
      if (closed) return DONE;
      const s = await open();
      while (!closed) {
        const r = await s.next();
        if (r.done) break;
        const ev = toUpstartEvent(r.value);
        if (matches(ev)) return { value: ev, done: false };
      }
      // Ended by an abort: say so, as std's abortable() does.
      signal?.throwIfAborted();
      return DONE;
    },
    async return(): Promise<IteratorResult<UpstartEvent>> {
      await close();
      return DONE;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
    async [Symbol.asyncDispose]() {
      await close();
    },
  };
  return iterator;
}
