/**
 * A D-Bus connection: opening, method calls, and reading through the
 * process's reactor (`reactor.ts`, which says how waiting works).
 *
 * Sending is a direct call (libdbus writes at once on its non-blocking
 * socket). Authentication runs on the main thread too, one non-blocking step
 * each time the socket is readable, with `Hello` queued behind it. Call
 * timeouts need no timer: the reactor bounds its wait by the earliest
 * deadline and sweeps expired calls.
 *
 * @module
 */

import type { DBusLib } from "./symbols.ts";
import { cstr, freeDBusError, loadDBus, newDBusError, throwIfSet } from "./library.ts";
import { type Reactor, type Source, theReactor } from "./reactor.ts";
import { ConnectionClosedError, DBusError, DisconnectedError, TimeoutError } from "./errors.ts";
import {
  type MessageHeader,
  MessageType,
  type MethodCall,
  newMethodCall,
  newSignal,
  readBody,
  readHeader,
  type SignalEmission,
} from "./message.ts";
import {
  type MatchRule,
  type SignalHandler,
  type SignalMessage,
  SignalRouter,
  type StreamOptions,
} from "./signals.ts";
import type { Subscription } from "./signals.ts";
import { type ExportedObject, type InterfaceDef, ObjectRegistry } from "./serve.ts";
import type { SubtreeResolver } from "./serve.ts";
import { Variant } from "./variant.ts";
import { assertBusName } from "./names.ts";
import { closeUnixFds } from "./marshal.ts";

/** Options of a method call. */
export interface CallOptions extends MethodCall {
  /** Milliseconds to wait for the reply (default 25000, like libdbus); `Infinity` waits forever. */
  readonly timeout?: number;
  /** Send without expecting a reply; `call()` then resolves to `[]` at once. */
  readonly noReply?: boolean;
  /**
   * The reply's expected signature: a reply with another one is refused with a `DBusError`
   * (`org.freedesktop.DBus.Error.InvalidSignature`) and any file descriptors in it are closed.
   */
  readonly replySignature?: string;
  /**
   * Gives up waiting when it aborts: the call rejects with `signal.reason` and a late reply is
   * dropped. The method may still run on the other side (D-Bus cannot take a call back).
   */
  readonly signal?: AbortSignal;
}

/** Options of `Connection.open`. */
export interface OpenOptions {
  /**
   * `true` (default) for a message bus: send `Hello` and get a unique name.
   * `false` for a peer-to-peer connection, such as Upstart's private socket.
   */
  readonly bus?: boolean;
  /**
   * Microseconds to spin on a ready-check before parking the reactor on a
   * thread while calls are pending (default 200; 0 never spins).
   */
  readonly spinMicros?: number;
  /**
   * Called with what a signal handler threw (default: printed with `console.error`). A
   * throwing handler never ends the connection or the process.
   */
  readonly onError?: (error: unknown) => void;
}

/** Where to find a property, for the property helpers. */
export interface PropertyAddress {
  /** The bus name of the peer (omit on peer-to-peer connections). */
  readonly destination?: string;
  /** The object path. */
  readonly path: string;
  /** The interface that holds the property. */
  readonly interface: string;
}

/** Reply of `RequestName`. */
export type RequestNameReply = "primary" | "queued" | "exists" | "already";

interface Pending {
  resolve(body: unknown[]): void;
  reject(error: Error): void;
  /** `performance.now()` after which the call times out. */
  deadline: number;
  timeout: number;
  options: CallOptions;
}

const DEFAULT_TIMEOUT = 25_000;

/** What closing a connection needs, without the connection itself (a finalizer cannot have it). */
interface Dropped {
  readonly lib: DBusLib;
  readonly conn: Deno.PointerObject;
  readonly reactor: Reactor;
  readonly fd: number;
  readonly source: WeakRef<Source>;
}

/**
 * A backstop, as @db/sqlite has for statements: a connection its owner dropped without closing
 * (and that waits for nothing: no call, subscription or export) is closed when it is collected,
 * so its socket and libdbus's memory do not leak. `close()` unregisters it.
 */
const dropped = new FinalizationRegistry<Dropped>((d) => {
  d.reactor.removeCollected(d.fd, d.source);
  d.lib.dbus_connection_close(d.conn);
  d.lib.dbus_connection_unref(d.conn);
});
/** Messages dispatched between two looks at the clock. */
const CLOCK_EVERY = 16;
const DBUS_TYPE_UNIX_FD = "h".charCodeAt(0);
const BUS = { destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus" } as const;
const BUS_INTERFACE = "org.freedesktop.DBus";
const PROPERTIES = "org.freedesktop.DBus.Properties";

/**
 * A connection to a D-Bus message bus or a peer.
 *
 * @example Calling a method on the session bus
 * ```ts
 * import assert from "node:assert/strict";
 * import { Connection } from "@upstart/upstart/dbus";
 * await using bus = await Connection.session();
 * const [id] = await bus.call({
 *   destination: "org.freedesktop.DBus",
 *   path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus",
 *   member: "GetId",
 * });
 * assert.match(bus.uniqueName ?? "", /^:1\.\d+$/);
 * assert.match(String(id), /^[0-9a-f]{32}$/);
 * ```
 */
export class Connection implements Disposable, AsyncDisposable {
  readonly #lib: DBusLib;
  readonly #reactor: Reactor;
  readonly #conn: Deno.PointerObject;
  readonly #address: string;
  readonly #spinMicros: number;
  readonly #serial = new Uint32Array(1);
  readonly #pending = new Map<number, Pending>();
  readonly #signals: SignalRouter;
  readonly #objects: ObjectRegistry;
  readonly #source: Source;
  #uniqueName: string | null = null;
  #state: "authenticating" | "open" | "closed" = "authenticating";
  /** Settles when authentication ends (set while it runs). */
  #auth: PromiseWithResolvers<void> | null = Promise.withResolvers<void>();
  #authBy: number;
  /** While authenticating: when to take a step even if the socket stays quiet, and the backoff. */
  #authPokeAt = Infinity;
  #authRetry = 0;
  /** The earliest deadline of a pending call (maybe of one settled since: then a spare check). */
  #sweepAt = Infinity;
  #closedResolve!: (reason: Error | null) => void;
  /** Called with what a signal handler threw. */
  onError: (error: unknown) => void;
  /** Resolves when the connection has ended: `null` after `close()`, else the error that ended it. */
  readonly closed: Promise<Error | null>;

  private constructor(
    lib: DBusLib,
    reactor: Reactor,
    conn: Deno.PointerObject,
    fd: number,
    address: string,
    options: OpenOptions,
  ) {
    this.#lib = lib;
    this.#reactor = reactor;
    this.#conn = conn;
    this.#address = address;
    this.#spinMicros = options.spinMicros ?? 200;
    this.#authBy = performance.now() + DEFAULT_TIMEOUT;
    this.onError = options.onError ?? reportHandlerError;
    this.closed = new Promise((resolve) => this.#closedResolve = resolve);
    this.#signals = new SignalRouter(this, options.bus ?? true);
    this.#objects = new ObjectRegistry(this, lib);
    // What the reactor sees of this connection (kept off the public surface).
    this.#source = {
      fd,
      spinMicros: this.#spinMicros,
      needsInput: () =>
        this.#state === "authenticating" || this.#pending.size > 0 || this.#signals.active ||
        this.#objects.active,
      calling: () => this.#state === "authenticating" || this.#pending.size > 0,
      deadline: () =>
        this.#state === "authenticating"
          ? Math.min(this.#authBy, this.#authPokeAt, this.#sweepAt)
          : this.#sweepAt,
      sweep: (now) => this.#sweep(now),
      pump: (until) => this.#pump(until),
      wantsWrite: () =>
        // While authenticating, libdbus has Hello queued but writes only the handshake: waiting
        // for a writable socket then would spin.
        this.#state === "open" && this.#lib.dbus_connection_has_messages_to_send(this.#conn) !== 0,
    };
  }

  /**
   * Opens a connection to any D-Bus address libdbus supports (`unix:path=`,
   * `unix:abstract=`, `tcp:`, `unixexec:`...).
   *
   * A local socket (`unix:`) connects and authenticates on the main thread
   * without blocking; other transports connect on Deno's thread pool (a name
   * lookup or `ssh` may take long).
   *
   * @param address The D-Bus address.
   * @param options `bus: false` for a peer-to-peer connection (no `Hello`).
   * @returns The open connection.
   * @example A bus by its address
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.open(Deno.env.get("DBUS_SESSION_BUS_ADDRESS")!);
   * assert.notEqual(bus.uniqueName, null);
   * ```
   *
   * @example Upstart's private socket (peer-to-peer: needs a running Upstart)
   * ```ts ignore
   * import { Connection } from "@upstart/upstart/dbus";
   * await using upstart = await Connection.open("unix:abstract=/com/ubuntu/upstart", { bus: false });
   * ```
   */
  static async open(address: string, options: OpenOptions = {}): Promise<Connection> {
    if (typeof address !== "string" || address === "" || address.includes("\0")) {
      throw new TypeError(`Invalid D-Bus address: ${JSON.stringify(address)}`);
    }
    if (options.onError !== undefined && typeof options.onError !== "function") {
      throw new TypeError("onError must be a function");
    }
    const lib = loadDBus();
    const reactor = theReactor();
    const error = newDBusError(lib);
    const addressBytes = cstr(address);
    let ptr: Deno.PointerValue;
    try {
      ptr = isLocalSocket(address)
        ? lib.dbus_connection_open_private(addressBytes, error)
        : await lib.dbus_connection_open_private_async(addressBytes, error);
      throwIfSet(error);
    } finally {
      freeDBusError(lib, error);
    }
    if (ptr === null) throw new DBusError("org.freedesktop.DBus.Error.Failed", "Cannot connect");
    const fdOut = new Int32Array(1);
    let connection: Connection;
    try {
      if (!lib.dbus_connection_get_unix_fd(ptr, fdOut)) {
        throw new DBusError(
          "org.freedesktop.DBus.Error.NotSupported",
          `The transport of ${describeAddress(address)} has no file descriptor to wait on`,
        );
      }
      connection = new Connection(lib, reactor, ptr, fdOut[0], address, options);
      const source = reactor.add(connection.#source);
      dropped.register(
        connection,
        { lib, conn: ptr, reactor, fd: fdOut[0], source },
        connection.#source,
      );
    } catch (e) {
      lib.dbus_connection_close(ptr);
      lib.dbus_connection_unref(ptr);
      throw e;
    }
    // Hello waits in libdbus's queue until the handshake is done: one round trip saved.
    const hello = (options.bus ?? true)
      ? connection.call({ ...BUS, interface: BUS_INTERFACE, member: "Hello" })
      : null;
    hello?.catch(() => {}); // an authentication failure rejects it too: reported once, below
    const authenticated = connection.#auth!.promise;
    try {
      connection.#pump(Infinity); // the first step: libdbus sends its credentials byte and AUTH
      connection.#reactor.update(connection.#source);
      await authenticated;
      if (hello) connection.#uniqueName = (await hello)[0] as string;
    } catch (e) {
      await connection.close();
      throw e;
    }
    return connection;
  }

  /**
   * Opens the session bus (`$DBUS_SESSION_BUS_ADDRESS`).
   *
   * @param options As for {@linkcode Connection.open}.
   * @returns The open connection.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * assert.notEqual(bus.uniqueName, null);
   * ```
   */
  static session(options: Omit<OpenOptions, "bus"> = {}): Promise<Connection> {
    const address = Deno.env.get("DBUS_SESSION_BUS_ADDRESS");
    if (!address) {
      return Promise.reject(
        new DBusError(
          "org.freedesktop.DBus.Error.NoServer",
          "No session bus: DBUS_SESSION_BUS_ADDRESS is not set",
        ),
      );
    }
    return Connection.open(address, options);
  }

  /**
   * Opens the system bus (`$DBUS_SYSTEM_BUS_ADDRESS`, else
   * `unix:path=/var/run/dbus/system_bus_socket`).
   *
   * @param options As for {@linkcode Connection.open}.
   * @returns The open connection.
   * @example The system bus (needs one: where Upstart is)
   * ```ts ignore
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.system();
   * ```
   */
  static system(options: Omit<OpenOptions, "bus"> = {}): Promise<Connection> {
    const address = Deno.env.get("DBUS_SYSTEM_BUS_ADDRESS") ||
      "unix:path=/var/run/dbus/system_bus_socket";
    return Connection.open(address, options);
  }

  /** The unique name the bus gave this connection (`:1.42`), or `null` on a peer-to-peer connection. */
  get uniqueName(): string | null {
    return this.#uniqueName;
  }

  /** Whether this is a connection to a message bus (as opposed to a peer). */
  get isBus(): boolean {
    return this.#signals.isBus;
  }

  /** Whether the connection is still open. */
  get isOpen(): boolean {
    return this.#state === "open";
  }

  /**
   * Whether file descriptors (`h`) can be sent on this connection.
   *
   * @returns `true` on a Unix socket transport that negotiated fd passing.
   */
  canPassFds(): boolean {
    return this.#state === "open" &&
      this.#lib.dbus_connection_can_send_type(this.#conn, DBUS_TYPE_UNIX_FD) !== 0;
  }

  /**
   * Calls a method and resolves to the values of its reply.
   *
   * @param options The call: destination, path, interface, member, signature, body, timeout, and
   *   a `signal` that stops waiting for the reply when it aborts.
   * @returns The reply's values, decoded per its signature.
   * @throws {DBusError} for an error reply; {TimeoutError}, {DisconnectedError} or
   * {ConnectionClosedError} when no reply can come; `TypeError` for invalid arguments.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const [names] = await bus.call({
   *   destination: "org.freedesktop.DBus",
   *   path: "/org/freedesktop/DBus",
   *   interface: "org.freedesktop.DBus",
   *   member: "ListNames",
   * });
   * assert.ok((names as string[]).includes(bus.uniqueName!));
   * ```
   */
  call(options: CallOptions): Promise<unknown[]> {
    if (this.#state === "closed") {
      return Promise.reject(new ConnectionClosedError("The connection is closed"));
    }
    let msg: Deno.PointerObject;
    try {
      msg = newMethodCall(this.#lib, options);
    } catch (e) {
      return Promise.reject(e);
    }
    if (options.noReply) {
      this.#lib.dbus_message_set_no_reply(msg, 1);
      this.#sendAndUnref(msg);
      return Promise.resolve([]);
    }
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    if (!(timeout >= 0)) {
      this.#lib.dbus_message_unref(msg);
      return Promise.reject(
        new RangeError(
          `Invalid timeout ${timeout}: expected milliseconds (0 or more, or Infinity)`,
        ),
      );
    }
    const signal = options.signal;
    if (signal?.aborted) {
      this.#lib.dbus_message_unref(msg);
      return Promise.reject(signal.reason);
    }
    const serial = this.#sendAndUnref(msg, false);
    const { promise, resolve, reject } = Promise.withResolvers<unknown[]>();
    const deadline = Number.isFinite(timeout) ? performance.now() + timeout : Infinity;
    if (signal) {
      const abort = () => {
        // The entry goes, so the reactor stops waiting for it (and a late reply is dropped).
        if (!this.#pending.delete(serial)) return;
        reject(signal.reason);
        this.#reactor.update(this.#source);
      };
      signal.addEventListener("abort", abort, { once: true });
      const forget = () => signal.removeEventListener("abort", abort);
      promise.then(forget, forget);
    }
    this.#pending.set(serial, { resolve, reject, deadline, options, timeout });
    if (deadline < this.#sweepAt) this.#sweepAt = deadline;
    this.#reactor.update(this.#source);
    return promise;
  }

  /**
   * Rejects the calls whose deadline has passed (and an authentication that has run out).
   * Deadlines are kept by the reactor (it runs whenever a call is pending, and bounds its wait
   * by the earliest deadline), not by a timer: the first timer of a Deno process loads the timers
   * module, several milliseconds of a short-lived client's run.
   */
  #sweep(now: number): void {
    if (this.#state === "authenticating") {
      if (this.#authBy <= now) {
        this.#shutdown(
          new DBusError(
            "org.freedesktop.DBus.Error.AuthFailed",
            `No authentication with ${describeAddress(this.#address)} in time`,
          ),
        );
        return;
      }
      if (this.#authPokeAt <= now) {
        this.#pump(Infinity);
        this.wantInput();
      }
    }
    this.#sweepAt = Infinity;
    let next = Infinity;
    for (const [serial, pending] of this.#pending) {
      if (pending.deadline <= now) {
        this.#pending.delete(serial);
        pending.reject(
          new TimeoutError(
            `No reply to ${callName(pending.options)} within ${Math.round(pending.timeout)} ms`,
          ),
        );
      } else if (pending.deadline < next) next = pending.deadline;
    }
    this.#sweepAt = next;
  }

  /**
   * Reads one property through `org.freedesktop.DBus.Properties.Get`.
   *
   * @param address Where the property is, and its `name`.
   * @returns The property's value, unwrapped from its variant.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const interfaces = await bus.getProperty({
   *   destination: "org.freedesktop.DBus",
   *   path: "/org/freedesktop/DBus",
   *   interface: "org.freedesktop.DBus",
   *   name: "Interfaces",
   * });
   * assert.ok(Array.isArray(interfaces)); // the bus's optional interfaces
   * ```
   */
  async getProperty(address: PropertyAddress & { readonly name: string }): Promise<unknown> {
    const [value] = await this.call({
      destination: address.destination,
      path: address.path,
      interface: PROPERTIES,
      member: "Get",
      signature: "ss",
      body: [address.interface, address.name],
    });
    return value instanceof Variant ? value.value : value;
  }

  /**
   * Reads every property of an interface through `Properties.GetAll`.
   *
   * @param address Where the properties are.
   * @returns The properties by name, unwrapped from their variants.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const props = await bus.getAllProperties({
   *   destination: "org.freedesktop.DBus",
   *   path: "/org/freedesktop/DBus",
   *   interface: "org.freedesktop.DBus",
   * });
   * assert.ok("Features" in props && "Interfaces" in props);
   * ```
   */
  async getAllProperties(address: PropertyAddress): Promise<Record<string, unknown>> {
    const [dict] = await this.call({
      destination: address.destination,
      path: address.path,
      interface: PROPERTIES,
      member: "GetAll",
      signature: "s",
      body: [address.interface],
    });
    const out: Record<string, unknown> = {};
    for (const [key, value] of dict as Map<string, unknown>) {
      out[key] = value instanceof Variant ? value.value : value;
    }
    return out;
  }

  /**
   * Writes one property through `Properties.Set`.
   *
   * @param address Where the property is, its `name`, and the `value` with its `signature`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * let level = "message"; // a property this connection serves, to have one to set
   * const log = { path: "/org/example/Log", interface: "org.example.Log" };
   * bus.export(log.path, [{
   *   name: log.interface,
   *   properties: {
   *     level: {
   *       signature: "s",
   *       access: "readwrite",
   *       get: () => level,
   *       set: (value) => {
   *         level = value as string;
   *       },
   *     },
   *   },
   * }]);
   * await bus.setProperty({
   *   destination: bus.uniqueName!,
   *   ...log,
   *   name: "level",
   *   signature: "s",
   *   value: "info",
   * });
   * assert.equal(level, "info");
   * ```
   */
  async setProperty(
    address: PropertyAddress & {
      readonly name: string;
      readonly signature: string;
      readonly value: unknown;
    },
  ): Promise<void> {
    await this.call({
      destination: address.destination,
      path: address.path,
      interface: PROPERTIES,
      member: "Set",
      signature: "ssv",
      body: [address.interface, address.name, new Variant(address.signature, address.value)],
    });
  }

  /**
   * Calls a method of the bus daemon itself (`org.freedesktop.DBus`).
   *
   * @param member The method, e.g. `GetNameOwner`.
   * @param signature The arguments' signature.
   * @param body The arguments.
   * @returns The reply's values.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const [owner] = await bus.callBus("GetNameOwner", "s", ["org.freedesktop.DBus"]);
   * assert.equal(owner, "org.freedesktop.DBus");
   * ```
   */
  callBus(member: string, signature = "", body: readonly unknown[] = []): Promise<unknown[]> {
    return this.call({ ...BUS, interface: BUS_INTERFACE, member, signature, body });
  }

  /**
   * Asks the bus for a well-known name.
   *
   * @param name The name, e.g. `com.ubuntu.Upstart`.
   * @param flags `DBUS_NAME_FLAG_*` bits (1: allow replacement, 2: replace existing, 4: do not queue).
   * @returns What the bus did.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * assert.equal(await bus.requestName("org.example.Request"), "primary");
   * assert.equal(await bus.requestName("org.example.Request"), "already");
   * ```
   */
  async requestName(name: string, flags = 4): Promise<RequestNameReply> {
    assertBusName(name, "name");
    const [code] = await this.callBus("RequestName", "su", [name, flags]);
    return (["primary", "queued", "exists", "already"] as const)[(code as number) - 1] ?? "exists";
  }

  /**
   * Gives a well-known name back to the bus.
   *
   * @param name The name.
   * @returns `true` if it was ours.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await bus.requestName("org.example.Release");
   * assert.equal(await bus.releaseName("org.example.Release"), true);
   * assert.equal(await bus.releaseName("org.example.Release"), false);
   * ```
   */
  async releaseName(name: string): Promise<boolean> {
    assertBusName(name, "name");
    const [code] = await this.callBus("ReleaseName", "s", [name]);
    return code === 1;
  }

  /**
   * Calls `handler` for every signal that matches `rule`; on a bus, the match
   * rule is added first (the promise resolves once it is active).
   *
   * @param rule Which signals: any of `sender`, `path`, `pathNamespace`, `interface`, `member`.
   * @param handler Called with each matching signal.
   * @param onEnd Called once if the subscription ends because the connection did (with the
   *   disconnection's error, or `null` when it was closed here); not on `unsubscribe()`.
   * @returns The subscription; `unsubscribe()` removes the rule.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const taken = Promise.withResolvers<unknown[]>();
   * await using _sub = await bus.subscribe(
   *   { interface: "org.freedesktop.DBus", member: "NameOwnerChanged" },
   *   (signal) => signal.body[0] === "org.example.Subscribe" && taken.resolve(signal.body),
   * );
   * await bus.requestName("org.example.Subscribe");
   * assert.deepEqual(await taken.promise, ["org.example.Subscribe", "", bus.uniqueName]);
   * ```
   */
  subscribe(
    rule: MatchRule,
    handler: SignalHandler,
    onEnd?: (reason: Error | null) => void,
  ): Promise<Subscription> {
    if (this.#state === "closed") {
      return Promise.reject(new ConnectionClosedError("The connection is closed"));
    }
    if (onEnd !== undefined && typeof onEnd !== "function") {
      return Promise.reject(new TypeError("onEnd must be a function"));
    }
    return this.#signals.subscribe(rule, handler, onEnd);
  }

  /**
   * Subscribes and returns the signals as an async iterator; leaving a
   * `for await` loop (or disposing it) unsubscribes.
   *
   * Signals wait in a bounded queue until read: when a consumer falls
   * `maxQueued` signals behind, the stream unsubscribes, and once the queued
   * signals are read it ends with a {@linkcode SignalOverflowError}. Nothing is
   * dropped silently.
   *
   * @param rule Which signals, as for {@linkcode Connection.subscribe}.
   * @param options `maxQueued`: how many unread signals to keep (default 10,000).
   * @returns An iterator of signals, already subscribed.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await using signals = await bus.signals({ member: "NameOwnerChanged" });
   * await bus.requestName("org.example.Signals");
   * for await (const signal of signals) {
   *   if (signal.body[0] !== "org.example.Signals") continue; // another client's name
   *   assert.equal(signal.body[2], bus.uniqueName);
   *   break;
   * }
   * ```
   */
  signals(
    rule: MatchRule,
    options: StreamOptions = {},
  ): Promise<AsyncIterableIterator<SignalMessage> & AsyncDisposable> {
    if (this.#state === "closed") {
      return Promise.reject(new ConnectionClosedError("The connection is closed"));
    }
    return this.#signals.stream(rule, options);
  }

  /**
   * Serves objects: `interfaces` at `path` answer method calls, property
   * reads and `Introspect`.
   *
   * @param path The object path.
   * @param interfaces What the object implements.
   * @returns A handle whose `unexport()` takes the object away.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await bus.requestName("org.example.Export");
   * bus.export("/org/example/Demo", [{
   *   name: "org.example.Demo",
   *   methods: { Add: { in: "ii", out: "i", handler: ([a, b]) => [(a as number) + (b as number)] } },
   * }]);
   * const [sum] = await bus.call({
   *   destination: "org.example.Export",
   *   path: "/org/example/Demo",
   *   interface: "org.example.Demo",
   *   member: "Add",
   *   signature: "ii",
   *   body: [2, 3],
   * });
   * assert.equal(sum, 5);
   * ```
   */
  export(path: string, interfaces: readonly InterfaceDef[]): ExportedObject {
    this.#assertOpen();
    const handle = this.#objects.export(path, interfaces);
    this.wantInput();
    return handle;
  }

  /**
   * Serves every object below `prefix` through a resolver called per call.
   *
   * @param prefix The path prefix (the prefix itself is included).
   * @param resolve Returns the interfaces of the object at a path, or `null` if there is none.
   * @param children Optional: the child node names of a path, for `Introspect`.
   * @returns A handle whose `unexport()` removes the subtree.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const item = { name: "org.example.Item", methods: { Name: { out: "s", handler: () => ["a"] } } };
   * bus.exportSubtree("/org/example/items", (path) => path.endsWith("/a") ? [item] : null);
   * const name = (path: string) =>
   *   bus.call({ destination: bus.uniqueName!, path, interface: "org.example.Item", member: "Name" });
   * assert.deepEqual(await name("/org/example/items/a"), ["a"]);
   * await assert.rejects(name("/org/example/items/b")); // no object there
   * ```
   */
  exportSubtree(
    prefix: string,
    resolve: SubtreeResolver,
    children?: (path: string) => string[],
  ): ExportedObject {
    this.#assertOpen();
    const handle = this.#objects.exportSubtree(prefix, resolve, children);
    this.wantInput();
    return handle;
  }

  /**
   * Sends a signal.
   *
   * @param signal Path, interface, member, signature, body and optional destination.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const ping = { path: "/org/example/Demo", interface: "org.example.Demo", member: "Ping" };
   * const heard = Promise.withResolvers<unknown[]>();
   * await using _sub = await bus.subscribe(ping, (signal) => heard.resolve(signal.body));
   * bus.emitSignal({ ...ping, signature: "s", body: ["hello"] });
   * assert.deepEqual(await heard.promise, ["hello"]); // the bus sends it to us too: we listen
   * ```
   */
  emitSignal(signal: SignalEmission): void {
    this.#assertOpen();
    this.#sendAndUnref(newSignal(this.#lib, signal));
  }

  /**
   * Closes the connection: pending calls reject with `ConnectionClosedError`,
   * subscriptions end, and every libdbus object is released. Idempotent.
   *
   * @returns Resolves once everything is released.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Connection, ConnectionClosedError } from "@upstart/upstart/dbus";
   * const bus = await Connection.session();
   * await bus.close();
   * await assert.rejects(bus.callBus("GetId"), ConnectionClosedError);
   * ```
   */
  close(): Promise<void> {
    this.#shutdown(null);
    return Promise.resolve();
  }

  /** Closes the connection (see {@linkcode Connection.close}). */
  [Symbol.dispose](): void {
    this.#shutdown(null);
  }

  /** Closes the connection (see {@linkcode Connection.close}). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals shared with signals.ts and serve.ts ----

  /** @internal Sends a message we own and unrefs it; returns its serial. */
  sendOwned(msg: Deno.PointerObject): number {
    // An async method handler may finish after close(): the connection is freed by then.
    if (this.#state === "closed") {
      this.#lib.dbus_message_unref(msg);
      throw new ConnectionClosedError("The connection is closed");
    }
    return this.#sendAndUnref(msg);
  }

  /** @internal The routing fields and body of a message, for the routers. */
  get lib(): DBusLib {
    return this.#lib;
  }

  /** @internal Called when the routers gain or lose reasons to read. */
  wantInput(): void {
    if (this.#state !== "closed") this.#reactor.update(this.#source);
  }

  /** @internal Reports what a signal handler threw, without ending anything. */
  reportError(error: unknown): void {
    try {
      this.onError(error);
    } catch (e) {
      reportHandlerError(e);
    }
  }

  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #assertOpen(): void {
    if (this.#state === "closed") throw new ConnectionClosedError("The connection is closed");
  }

  /** Sends `msg` and unrefs it; tells the reactor (bytes may be left to write) unless `update` is false. */
  #sendAndUnref(msg: Deno.PointerObject, update = true): number {
    try {
      if (!this.#lib.dbus_connection_send(this.#conn, msg, this.#serial)) {
        throw new RangeError("libdbus is out of memory");
      }
      if (!this.#lib.dbus_connection_get_is_connected(this.#conn)) {
        // The write failed and libdbus closed the socket: the reactor will never see it ready, so
        // read the Disconnected message it queued ourselves (after the caller has registered).
        queueMicrotask(() => this.#pump(Infinity));
      } else if (update) {
        // A large message is written a few KiB at a time: the reactor must wait for the socket
        // to be writable too, or the rest stays queued.
        this.#reactor.update(this.#source);
      }
      return this.#serial[0];
    } finally {
      this.#lib.dbus_message_unref(msg);
    }
  }

  /**
   * Reads and writes what the socket allows, then dispatches queued messages until `until`;
   * `true` if some are left (the reactor comes back for them).
   */
  #pump(until: number): boolean {
    if (this.#state === "closed") return false;
    let connected = this.#lib.dbus_connection_read_write(this.#conn, 0) !== 0;
    if (this.#state === "authenticating") {
      if (until !== Infinity) this.#authRetry = 0; // the socket was ready: a fresh backoff
      // libdbus decides what to wait for before it reads: the answer to what it just read is
      // written by the next step, not this one. Nothing else would make the socket readable.
      if (connected && !this.#lib.dbus_connection_get_is_authenticated(this.#conn)) {
        connected = this.#lib.dbus_connection_read_write(this.#conn, 0) !== 0;
      }
      if (!this.#lib.dbus_connection_get_is_authenticated(this.#conn)) {
        // If an answer came in during the second step, its reply waits for a step nothing
        // would trigger: come back soon anyway (1 ms, backing off to 64 ms).
        this.#authRetry = this.#authRetry === 0 ? 1 : Math.min(this.#authRetry * 2, 64);
        this.#authPokeAt = performance.now() + this.#authRetry;
        if (!connected) {
          this.#shutdown(
            new DBusError(
              "org.freedesktop.DBus.Error.AuthFailed",
              `Cannot authenticate to ${describeAddress(this.#address)}`,
            ),
          );
        }
        return false;
      }
      this.#state = "open";
      this.#auth!.resolve();
      this.#auth = null;
      // Hello (or a first call) was queued behind the handshake: out with it now.
      connected = this.#lib.dbus_connection_read_write(this.#conn, 0) !== 0;
    }
    for (let n = 1;; n++) {
      if (this.#isClosed()) return false; // a handler closed it
      const msg = this.#lib.dbus_connection_pop_message(this.#conn);
      if (msg === null) break;
      try {
        this.#dispatch(msg);
      } catch (e) {
        // Our own failure on a message (not a handler's: those are reported): end cleanly.
        this.#shutdown(e instanceof Error ? e : new Error(String(e)));
      } finally {
        this.#lib.dbus_message_unref(msg);
      }
      if (n % CLOCK_EVERY === 0 && performance.now() > until) return !this.#isClosed();
    }
    if (!connected) this.#shutdown(new DisconnectedError("The D-Bus peer closed the connection"));
    return false;
  }

  #dispatch(msg: Deno.PointerObject): void {
    const header = readHeader(this.#lib, msg);
    switch (header.type) {
      case MessageType.METHOD_RETURN:
      case MessageType.ERROR:
        this.#settle(header, msg);
        return;
      case MessageType.SIGNAL:
        if (
          header.interface === "org.freedesktop.DBus.Local" && header.member === "Disconnected"
        ) {
          this.#shutdown(new DisconnectedError("The D-Bus peer closed the connection"));
          return;
        }
        this.#signals.dispatch(header, msg);
        return;
      case MessageType.METHOD_CALL:
        this.#objects.dispatch(header, msg);
        return;
    }
  }

  #settle(header: MessageHeader, msg: Deno.PointerObject): void {
    const pending = this.#pending.get(header.replySerial);
    if (!pending) return; // timed out already, or not ours: its body (and any fd) is never read
    this.#pending.delete(header.replySerial);
    if (this.#pending.size === 0) this.#sweepAt = Infinity;
    let body: unknown[];
    try {
      body = readBody(this.#lib, msg, header);
    } catch (e) {
      pending.reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (header.type === MessageType.ERROR) {
      closeUnixFds(header.signature, body);
      const text = typeof body[0] === "string" ? body[0] : "";
      pending.reject(new DBusError(header.errorName ?? "", text, body.slice(1)));
      return;
    }
    const expected = pending.options.replySignature;
    const actual = header.signature;
    if (expected !== undefined && actual !== expected) {
      closeUnixFds(actual, body);
      pending.reject(
        new DBusError(
          "org.freedesktop.DBus.Error.InvalidSignature",
          `The reply to ${
            callName(pending.options)
          } has signature "${actual}", expected "${expected}"`,
        ),
      );
      return;
    }
    pending.resolve(body);
  }

  /** Ends the connection once: rejects what waits, ends subscriptions, releases libdbus's objects. */
  #shutdown(reason: Error | null): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    const error = reason ?? new ConnectionClosedError("The connection was closed");
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#sweepAt = Infinity;
    this.#auth?.reject(error);
    this.#auth = null;
    dropped.unregister(this.#source);
    // The reactor lets go of the fd before libdbus closes it (its wait holds only the epoll fd).
    this.#reactor.remove(this.#source);
    this.#lib.dbus_connection_close(this.#conn);
    this.#lib.dbus_connection_unref(this.#conn);
    this.#signals.end(reason);
    this.#objects.clear();
    this.#closedResolve(reason);
  }
}

/**
 * An address as messages name it: a command (`unixexec:`, e.g. ssh with a whole bridge script as
 * its argument, kilobytes once escaped) by its program, anything else cut to a readable length.
 */
function describeAddress(address: string): string {
  const exec = /^unixexec:(?:[^;]*,)?path=([^,;]*)/.exec(address);
  if (exec) {
    let program = exec[1];
    try {
      program = decodeURIComponent(program);
    } catch { /* shown as escaped */ }
    return `the command ${program} (unixexec)`;
  }
  return address.length > 120 ? `${address.slice(0, 117)}...` : address;
}

/** `INTERFACE.Member` of a call, for messages. */
function callName(call: CallOptions): string {
  return `${call.interface ?? ""}.${call.member}`;
}

/** Whether every address of `address` is a local socket (`unix:`): it connects at once. */
function isLocalSocket(address: string): boolean {
  return address.split(";").every((entry) => entry === "" || entry.startsWith("unix:"));
}

function reportHandlerError(error: unknown): void {
  console.error("A D-Bus signal handler threw (the connection goes on):", error);
}
