/**
 * Signal subscriptions: match rules on the bus (reference-counted, removed
 * with the last subscriber), local matching, and the async-iterator form.
 *
 * @module
 */

import type { MessageHeader } from "./message.ts";
import { readBody } from "./message.ts";
import { SignalOverflowError } from "./errors.ts";
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from "./names.ts";

/** Which signals a subscription receives; every field given must match. */
export interface MatchRule {
  /** The sender: a unique name, or a well-known name (followed across owner changes). */
  readonly sender?: string;
  /** The exact object path. */
  readonly path?: string;
  /** An object path and everything below it. */
  readonly pathNamespace?: string;
  /** The interface. */
  readonly interface?: string;
  /** The signal name. */
  readonly member?: string;
}

/** A received signal. */
export interface SignalMessage {
  /** The sender's unique name (`null` on a peer-to-peer connection). */
  readonly sender: string | null;
  /** The object path it was emitted from. */
  readonly path: string;
  /** Its interface. */
  readonly interface: string;
  /** Its name. */
  readonly member: string;
  /** Its body's signature. */
  readonly signature: string;
  /** Its values. */
  readonly body: unknown[];
}

/** Receives signals. */
export type SignalHandler = (signal: SignalMessage) => void;

/** Options of a signal stream (`Connection.signals`). */
export interface StreamOptions {
  /**
   * How many unread signals the stream keeps (default 10,000). One more ends the stream with a
   * `SignalOverflowError` once the kept ones are read.
   */
  readonly maxQueued?: number;
}

/** Unread signals a stream keeps by default: a few MB at most. */
export const DEFAULT_MAX_QUEUED = 10_000;

/** An active subscription. */
export interface Subscription extends AsyncDisposable {
  /** Stops delivery and removes the match rule from the bus (idempotent). */
  unsubscribe(): Promise<void>;
}

/** What the router needs from its connection (kept narrow to avoid an import cycle). */
interface Host {
  readonly lib: import("./symbols.ts").DBusLib;
  callBus(member: string, signature?: string, body?: readonly unknown[]): Promise<unknown[]>;
  wantInput(): void;
  reportError(error: unknown): void;
}

interface Entry {
  readonly rule: MatchRule;
  readonly handler: SignalHandler;
  readonly onEnd?: (reason: Error | null) => void;
}

const BUS_NAME = "org.freedesktop.DBus";

/** Routes incoming signals to subscribers; one per connection. */
export class SignalRouter {
  readonly #host: Host;
  readonly isBus: boolean;
  readonly #entries = new Set<Entry>();
  readonly #ruleRefs = new Map<string, number>();
  /** Current owners of the well-known names subscribers asked for. */
  readonly #owners = new Map<string, { owner: string | null; refs: number }>();

  constructor(host: Host, isBus: boolean) {
    this.#host = host;
    this.isBus = isBus;
  }

  /** Whether anyone is listening (the reactor keeps reading while so). */
  get active(): boolean {
    return this.#entries.size > 0;
  }

  async subscribe(
    rule: MatchRule,
    handler: SignalHandler,
    onEnd?: (reason: Error | null) => void,
  ): Promise<Subscription> {
    if (typeof handler !== "function") throw new TypeError("handler must be a function");
    const text = matchRuleString(rule);
    const entry: Entry = { rule, handler, onEnd };
    if (this.isBus) {
      await this.#addRule(text);
      const name = rule.sender;
      if (name !== undefined && !name.startsWith(":") && name !== BUS_NAME) {
        try {
          await this.#trackOwner(name);
        } catch (e) {
          await this.#removeRule(text);
          throw e;
        }
      }
    }
    this.#entries.add(entry);
    this.#host.wantInput();
    let done = false;
    const unsubscribe = async () => {
      if (done) return;
      done = true;
      this.#entries.delete(entry);
      this.#host.wantInput(); // the last subscription gone: the reactor may stop
      if (!this.isBus) return;
      const name = rule.sender;
      if (name !== undefined && !name.startsWith(":") && name !== BUS_NAME) {
        await this.#untrackOwner(name);
      }
      await this.#removeRule(text);
    };
    return { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
  }

  /** The async-iterator form: subscribed before it is returned; its queue is bounded. */
  async stream(
    rule: MatchRule,
    options: StreamOptions = {},
  ): Promise<AsyncIterableIterator<SignalMessage> & AsyncDisposable> {
    const limit = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Invalid maxQueued ${limit}: expected a positive integer`);
    }
    let queue: SignalMessage[] = [];
    let head = 0; // queue[head] is the next to read: no O(n) shift per signal
    let waiter: PromiseWithResolvers<IteratorResult<SignalMessage>> | null = null;
    let ended = false;
    let endError: Error | null = null;
    const end = (reason: Error | null) => {
      if (ended) return;
      ended = true;
      endError = reason;
      const w = waiter;
      waiter = null;
      if (w && reason) w.reject(reason);
      else w?.resolve({ value: undefined, done: true });
    };
    const sub = await this.subscribe(
      rule,
      (msg) => {
        if (ended) return;
        if (waiter) {
          const w = waiter;
          waiter = null;
          w.resolve({ value: msg, done: false });
        } else if (queue.length - head < limit) {
          queue.push(msg);
        } else {
          // The consumer is too slow: stop collecting, and say so once the queue is read.
          end(new SignalOverflowError(limit));
          sub.unsubscribe().catch(() => {});
        }
      },
      end,
    );
    const take = (): SignalMessage => {
      const msg = queue[head++];
      if (head === queue.length) {
        queue = [];
        head = 0;
      } else if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      return msg;
    };
    const finish = async (): Promise<IteratorResult<SignalMessage>> => {
      end(null);
      queue = [];
      head = 0;
      await sub.unsubscribe().catch(() => {});
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<SignalMessage> & AsyncDisposable = {
      next(): Promise<IteratorResult<SignalMessage>> {
        if (head < queue.length) return Promise.resolve({ value: take(), done: false });
        if (ended) {
          return endError
            ? Promise.reject(endError)
            : Promise.resolve({ value: undefined, done: true });
        }
        waiter = Promise.withResolvers();
        return waiter.promise;
      },
      return: finish,
      [Symbol.asyncIterator]() {
        return this;
      },
      async [Symbol.asyncDispose]() {
        await finish();
      },
    };
    return iterator;
  }

  /** Delivers a signal to every matching subscriber. */
  dispatch(header: MessageHeader, msg: Deno.PointerObject): void {
    let signal: SignalMessage | undefined;
    for (const entry of [...this.#entries]) {
      if (!this.#matches(entry.rule, header)) continue;
      signal ??= {
        sender: header.sender,
        path: header.path ?? "",
        interface: header.interface ?? "",
        member: header.member ?? "",
        signature: header.signature,
        body: readBody(this.#host.lib, msg, header),
      };
      try {
        entry.handler(signal);
      } catch (e) {
        // A faulty handler must break neither the reactor nor the process: report it, go on.
        this.#host.reportError(e);
      }
    }
    if (header.sender === BUS_NAME && header.member === "NameOwnerChanged") {
      const body = signal?.body ?? readBody(this.#host.lib, msg, header); // decoded once
      const [name, , newOwner] = body as string[];
      const tracked = this.#owners.get(name);
      if (tracked) tracked.owner = newOwner === "" ? null : newOwner;
    }
  }

  /** Ends every subscription (the connection is gone). */
  end(reason: Error | null): void {
    const entries = [...this.#entries];
    this.#entries.clear();
    for (const entry of entries) entry.onEnd?.(reason);
  }

  #matches(rule: MatchRule, header: MessageHeader): boolean {
    if (rule.member !== undefined && rule.member !== header.member) return false;
    if (rule.interface !== undefined && rule.interface !== header.interface) return false;
    if (rule.path !== undefined && rule.path !== header.path) return false;
    if (rule.pathNamespace !== undefined) {
      const ns = rule.pathNamespace;
      const path = header.path ?? "";
      if (
        !(path === ns || ns === "/" || path.startsWith(ns + "/"))
      ) return false;
    }
    if (rule.sender !== undefined && this.isBus) {
      if (header.sender !== rule.sender && header.sender !== this.#owners.get(rule.sender)?.owner) {
        return false;
      }
    }
    return true;
  }

  async #addRule(text: string): Promise<void> {
    const refs = this.#ruleRefs.get(text) ?? 0;
    this.#ruleRefs.set(text, refs + 1);
    if (refs > 0) return;
    try {
      await this.#host.callBus("AddMatch", "s", [text]);
    } catch (e) {
      this.#ruleRefs.delete(text);
      throw e;
    }
  }

  async #removeRule(text: string): Promise<void> {
    const refs = (this.#ruleRefs.get(text) ?? 1) - 1;
    if (refs > 0) {
      this.#ruleRefs.set(text, refs);
      return;
    }
    this.#ruleRefs.delete(text);
    await this.#host.callBus("RemoveMatch", "s", [text]).catch(() => {});
  }

  async #trackOwner(name: string): Promise<void> {
    const tracked = this.#owners.get(name);
    if (tracked) {
      tracked.refs++;
      return;
    }
    const entry = { owner: null as string | null, refs: 1 };
    this.#owners.set(name, entry);
    await this.#addRule(ownerRule(name));
    try {
      const [owner] = await this.#host.callBus("GetNameOwner", "s", [name]);
      entry.owner = owner as string;
    } catch {
      // No owner yet: NameOwnerChanged will tell us.
    }
  }

  async #untrackOwner(name: string): Promise<void> {
    const tracked = this.#owners.get(name);
    if (!tracked || --tracked.refs > 0) return;
    this.#owners.delete(name);
    await this.#removeRule(ownerRule(name));
  }
}

function ownerRule(name: string): string {
  return `type='signal',sender='${BUS_NAME}',interface='${BUS_NAME}',member='NameOwnerChanged',arg0=${
    quote(name)
  }`;
}

/** Quotes a match-rule value: inside '...' everything is literal, so a `'` becomes `'\''`. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * The bus match-rule text for `rule` (validating each field).
 *
 * @param rule The rule.
 * @returns E.g. `type='signal',interface='org.example.I',member='Changed'`.
 */
export function matchRuleString(rule: MatchRule): string {
  const parts = ["type='signal'"];
  if (rule.sender !== undefined) {
    assertBusName(rule.sender, "sender");
    parts.push(`sender=${quote(rule.sender)}`);
  }
  if (rule.path !== undefined) {
    assertObjectPath(rule.path, "path");
    parts.push(`path=${quote(rule.path)}`);
  }
  if (rule.pathNamespace !== undefined) {
    assertObjectPath(rule.pathNamespace, "pathNamespace");
    parts.push(`path_namespace=${quote(rule.pathNamespace)}`);
  }
  if (rule.interface !== undefined) {
    assertInterfaceName(rule.interface, "interface");
    parts.push(`interface=${quote(rule.interface)}`);
  }
  if (rule.member !== undefined) {
    assertMemberName(rule.member, "member");
    parts.push(`member=${quote(rule.member)}`);
  }
  return parts.join(",");
}
