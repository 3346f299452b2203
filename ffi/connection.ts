/**
 * A D-Bus connection: opening, method calls, and the I/O loop.
 *
 * How waiting works (the design that keeps calls fast without holding the
 * event loop): libdbus is touched only from the main thread. Sending is a
 * direct call (libdbus writes at once on its non-blocking socket). Replies
 * are read by a loop that, while calls are pending, first spins briefly on a
 * zero-timeout `poll()` (a reply to a local call usually arrives within
 * microseconds, and waking a parked thread costs more than that), then parks
 * on a `nonblocking: true` libc `poll()` of the connection's fd and an
 * eventfd used to wake it on close. Each wake-up reads and dispatches every
 * message that has arrived, so 256 pipelined replies cost one thread hop.
 * The loop runs only while something waits for input (a pending call, a
 * subscription, an exported object), so an idle connection never keeps the
 * process alive. Call timeouts need no timer: the loop runs while any call is
 * pending, bounds its `poll()` by the earliest deadline, and rejects expired
 * calls after each read (a call with an earlier deadline wakes a parked poll).
 *
 * @module
 */

import type { DBusLib, LibC } from "./symbols.ts";
import { cstr, loadDBus, loadLibC, newDBusError, readCString, throwIfSet } from "./library.ts";
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
import { type MatchRule, type SignalHandler, type SignalMessage, SignalRouter } from "./signals.ts";
import type { Subscription } from "./signals.ts";
import { type ExportedObject, type InterfaceDef, ObjectRegistry } from "./serve.ts";
import type { SubtreeResolver } from "./serve.ts";
import { Variant } from "./variant.ts";
import { assertBusName } from "./names.ts";

/** Options of a method call. */
export interface CallOptions extends MethodCall {
  /** Milliseconds to wait for the reply (default 25000, like libdbus); `Infinity` waits forever. */
  readonly timeout?: number;
  /** Send without expecting a reply; `call()` then resolves to `[]` at once. */
  readonly noReply?: boolean;
}

/** Options of `Connection.open`. */
export interface OpenOptions {
  /**
   * `true` (default) for a message bus: send `Hello` and get a unique name.
   * `false` for a peer-to-peer connection, such as Upstart's private socket.
   */
  readonly bus?: boolean;
  /**
   * Microseconds to spin on a ready-check before parking the I/O loop on a
   * thread while calls are pending (default 200; 0 never spins).
   */
  readonly spinMicros?: number;
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
  what: string;
}

const DEFAULT_TIMEOUT = 25_000;
/** The longest stretch the I/O loop holds the event loop while input keeps arriving. */
const MAX_SLICE_MS = 1;
const POLLIN = 0x1;
const POLLOUT = 0x4;
const EFD_NONBLOCK = 0x800;
const EFD_CLOEXEC = 0x80000;
const DBUS_TYPE_UNIX_FD = "h".charCodeAt(0);
const BUS = { destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus" } as const;
const BUS_INTERFACE = "org.freedesktop.DBus";
const PROPERTIES = "org.freedesktop.DBus.Properties";

/**
 * A connection to a D-Bus message bus or a peer.
 *
 * @example Calling a method on the session bus
 * ```ts no-eval
 * import { Connection } from "@upstart/upstart/dbus";
 * await using bus = await Connection.session();
 * const [id] = await bus.call({
 *   destination: "org.freedesktop.DBus",
 *   path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus",
 *   member: "GetId",
 * });
 * console.log(bus.uniqueName, id);
 * ```
 */
export class Connection implements Disposable, AsyncDisposable {
  readonly #lib: DBusLib;
  readonly #libc: LibC;
  readonly #conn: Deno.PointerObject;
  readonly #spinMicros: number;
  readonly #pollfds = new Uint8Array(16); // two struct pollfd { int fd; short events, revents; }
  readonly #pollview = new DataView(this.#pollfds.buffer);
  readonly #serial = new Uint32Array(1);
  readonly #wakeFd: number;
  readonly #pending = new Map<number, Pending>();
  readonly #signals: SignalRouter;
  readonly #objects: ObjectRegistry;
  #uniqueName: string | null = null;
  #state: "open" | "closing" | "closed" = "open";
  #parked = false;
  /** The earliest deadline of a pending call (maybe of one settled since: then a spare check). */
  #sweepAt = Infinity;
  /** While the loop waits in a blocking poll(): the deadline its timeout runs to; else -Infinity. */
  #pollUntil = -Infinity;
  #loopScheduled = false;
  #released = false;
  #closedResolve!: (reason: Error | null) => void;
  /** Settles when every libdbus object is released (after the loop has left poll()). */
  readonly #released$ = Promise.withResolvers<void>();
  /** Resolves when the connection has ended: `null` after `close()`, else the error that ended it. */
  readonly closed: Promise<Error | null>;

  private constructor(
    lib: DBusLib,
    libc: LibC,
    conn: Deno.PointerObject,
    fd: number,
    options: OpenOptions,
  ) {
    this.#lib = lib;
    this.#libc = libc;
    this.#conn = conn;
    this.#spinMicros = options.spinMicros ?? 200;
    this.#wakeFd = libc.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (this.#wakeFd < 0) throw new RangeError("Cannot create an eventfd: too many open files?");
    this.#pollview.setInt32(0, fd, true);
    this.#pollview.setInt32(8, this.#wakeFd, true);
    this.#pollview.setInt16(12, POLLIN, true);
    this.closed = new Promise((resolve) => this.#closedResolve = resolve);
    this.#signals = new SignalRouter(this, options.bus ?? true);
    this.#objects = new ObjectRegistry(this, lib);
  }

  /**
   * Opens a connection to any D-Bus address libdbus supports (`unix:path=`,
   * `unix:abstract=`, `tcp:`, `unixexec:`...).
   *
   * @param address The D-Bus address.
   * @param options `bus: false` for a peer-to-peer connection (no `Hello`).
   * @returns The open connection.
   * @example Upstart's private socket (peer-to-peer)
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using upstart = await Connection.open("unix:abstract=/com/ubuntu/upstart", { bus: false });
   * ```
   */
  static async open(address: string, options: OpenOptions = {}): Promise<Connection> {
    if (typeof address !== "string" || address === "" || address.includes("\0")) {
      throw new TypeError(`Invalid D-Bus address: ${JSON.stringify(address)}`);
    }
    const lib = loadDBus();
    const libc = loadLibC();
    const error = newDBusError(lib);
    const addressBytes = cstr(address);
    let ptr: Deno.PointerValue;
    try {
      // Connecting may take long (unixexec runs ssh): do it off the main thread.
      ptr = await lib.dbus_connection_open_private(addressBytes, error);
      throwIfSet(lib, error);
    } finally {
      lib.dbus_error_free(error);
    }
    if (ptr === null) throw new DBusError("org.freedesktop.DBus.Error.Failed", "Cannot connect");
    lib.dbus_connection_set_exit_on_disconnect(ptr, 0);
    const fdOut = new Int32Array(1);
    if (!lib.dbus_connection_get_unix_fd(ptr, fdOut)) {
      lib.dbus_connection_close(ptr);
      lib.dbus_connection_unref(ptr);
      throw new DBusError(
        "org.freedesktop.DBus.Error.NotSupported",
        `The transport of ${address} has no file descriptor to wait on`,
      );
    }
    // Authenticate here, still off the main thread: in the I/O loop the handshake would leave the
    // first message queued, and poll() for POLLOUT on an always-writable socket would spin.
    const authBy = performance.now() + DEFAULT_TIMEOUT;
    while (!lib.dbus_connection_get_is_authenticated(ptr)) {
      const left = Math.ceil(authBy - performance.now());
      if (left <= 0 || !(await lib.dbus_connection_read_write_async(ptr, Math.min(left, 1000)))) {
        lib.dbus_connection_close(ptr);
        lib.dbus_connection_unref(ptr);
        throw new DBusError(
          "org.freedesktop.DBus.Error.AuthFailed",
          left <= 0
            ? `No authentication with ${address} in time`
            : `Cannot authenticate to ${address}`,
        );
      }
    }
    let connection: Connection;
    try {
      connection = new Connection(lib, libc, ptr, fdOut[0], options);
    } catch (e) {
      lib.dbus_connection_close(ptr);
      lib.dbus_connection_unref(ptr);
      throw e;
    }
    if (options.bus ?? true) {
      try {
        const [name] = await connection.call({ ...BUS, interface: BUS_INTERFACE, member: "Hello" });
        connection.#uniqueName = name as string;
        lib.dbus_bus_set_unique_name(ptr, cstr(name as string));
      } catch (e) {
        await connection.close();
        throw e;
      }
    }
    return connection;
  }

  /**
   * Opens the session bus (`$DBUS_SESSION_BUS_ADDRESS`).
   *
   * @param options As for {@linkcode Connection.open}.
   * @returns The open connection.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
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
   * @example
   * ```ts no-eval
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
   * @param options The call: destination, path, interface, member, signature, body, timeout.
   * @returns The reply's values, decoded per its signature.
   * @throws {DBusError} for an error reply; {TimeoutError}, {DisconnectedError} or
   * {ConnectionClosedError} when no reply can come; `TypeError` for invalid arguments.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const [names] = await bus.call({
   *   destination: "org.freedesktop.DBus",
   *   path: "/org/freedesktop/DBus",
   *   interface: "org.freedesktop.DBus",
   *   member: "ListNames",
   * });
   * ```
   */
  call(options: CallOptions): Promise<unknown[]> {
    if (this.#state !== "open") {
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
    const serial = this.#sendAndUnref(msg);
    return new Promise<unknown[]>((resolve, reject) => {
      const deadline = Number.isFinite(timeout) ? performance.now() + timeout : Infinity;
      const what = `${options.interface ?? ""}.${options.member}`;
      this.#pending.set(serial, { resolve, reject, deadline, what, timeout });
      if (deadline < this.#sweepAt) {
        this.#sweepAt = deadline;
        // A loop waiting in poll() took its timeout from a later deadline: make it recompute.
        if (deadline < this.#pollUntil) this.#wake();
      }
      this.#wantInput();
    });
  }

  /**
   * Rejects the calls whose deadline has passed. Deadlines are kept by the I/O loop (it runs
   * whenever a call is pending, and bounds its poll() by the earliest deadline), not by a timer:
   * the first timer of a Deno process loads the timers module, several milliseconds of a
   * short-lived client's run.
   */
  #sweep(now: number): void {
    this.#sweepAt = Infinity;
    let next = Infinity;
    for (const [serial, pending] of this.#pending) {
      if (pending.deadline <= now) {
        this.#pending.delete(serial);
        pending.reject(
          new TimeoutError(`No reply to ${pending.what} within ${Math.round(pending.timeout)} ms`),
        );
      } else if (pending.deadline < next) next = pending.deadline;
    }
    this.#sweepAt = next;
  }

  /** Waits in poll() until input, a wake-up or the earliest deadline (-1: no deadline). */
  async #pollUntilDeadline(): Promise<void> {
    const until = this.#sweepAt;
    const timeout = until === Infinity
      ? -1
      : Math.min(2 ** 31 - 1, Math.max(0, Math.ceil(until - performance.now())));
    this.#pollUntil = until;
    try {
      await this.#libc.poll(this.#pollfds, 2n, timeout);
    } finally {
      this.#pollUntil = -Infinity;
    }
  }

  /**
   * Reads one property through `org.freedesktop.DBus.Properties.Get`.
   *
   * @param address Where the property is, and its `name`.
   * @returns The property's value, unwrapped from its variant.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.system();
   * const version = await bus.getProperty({
   *   destination: "com.ubuntu.Upstart",
   *   path: "/com/ubuntu/Upstart",
   *   interface: "com.ubuntu.Upstart0_6",
   *   name: "version",
   * });
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.system();
   * const props = await bus.getAllProperties({
   *   destination: "com.ubuntu.Upstart",
   *   path: "/com/ubuntu/Upstart/jobs/cron",
   *   interface: "com.ubuntu.Upstart0_6.Job",
   * });
   * console.log(props.description);
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.system();
   * await bus.setProperty({
   *   destination: "com.ubuntu.Upstart",
   *   path: "/com/ubuntu/Upstart",
   *   interface: "com.ubuntu.Upstart0_6",
   *   name: "log_priority",
   *   signature: "s",
   *   value: "info",
   * });
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * const [owner] = await bus.callBus("GetNameOwner", "s", ["org.freedesktop.DBus"]);
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * console.log(await bus.requestName("org.example.Demo"));   // "primary"
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await bus.requestName("org.example.Demo");
   * await bus.releaseName("org.example.Demo");
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
   * @returns The subscription; `unsubscribe()` removes the rule.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await using sub = await bus.subscribe(
   *   { interface: "org.freedesktop.DBus", member: "NameOwnerChanged" },
   *   (signal) => console.log(signal.body),
   * );
   * ```
   */
  subscribe(rule: MatchRule, handler: SignalHandler): Promise<Subscription> {
    if (this.#state !== "open") {
      return Promise.reject(new ConnectionClosedError("The connection is closed"));
    }
    return this.#signals.subscribe(rule, handler);
  }

  /**
   * Subscribes and returns the signals as an async iterator; leaving a
   * `for await` loop (or disposing it) unsubscribes.
   *
   * @param rule Which signals, as for {@linkcode Connection.subscribe}.
   * @returns An iterator of signals, already subscribed.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * for await (const signal of await bus.signals({ member: "NameOwnerChanged" })) {
   *   console.log(signal.body);
   *   break;
   * }
   * ```
   */
  signals(rule: MatchRule): Promise<AsyncIterableIterator<SignalMessage> & AsyncDisposable> {
    if (this.#state !== "open") {
      return Promise.reject(new ConnectionClosedError("The connection is closed"));
    }
    return this.#signals.stream(rule);
  }

  /**
   * Serves objects: `interfaces` at `path` answer method calls, property
   * reads and `Introspect`.
   *
   * @param path The object path.
   * @param interfaces What the object implements.
   * @returns A handle whose `unexport()` takes the object away.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * await bus.requestName("org.example.Demo");
   * bus.export("/org/example/Demo", [{
   *   name: "org.example.Demo",
   *   methods: { Add: { in: "ii", out: "i", handler: ([a, b]) => [(a as number) + (b as number)] } },
   * }]);
   * ```
   */
  export(path: string, interfaces: readonly InterfaceDef[]): ExportedObject {
    this.#assertOpen();
    const handle = this.#objects.export(path, interfaces);
    this.#wantInput();
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * bus.exportSubtree("/org/example/items", (path) => path.endsWith("/a") ? [] : null);
   * ```
   */
  exportSubtree(
    prefix: string,
    resolve: SubtreeResolver,
    children?: (path: string) => string[],
  ): ExportedObject {
    this.#assertOpen();
    const handle = this.#objects.exportSubtree(prefix, resolve, children);
    this.#wantInput();
    return handle;
  }

  /**
   * Sends a signal.
   *
   * @param signal Path, interface, member, signature, body and optional destination.
   * @example
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * await using bus = await Connection.session();
   * bus.emitSignal({ path: "/org/example/Demo", interface: "org.example.Demo", member: "Ping" });
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
   * ```ts no-eval
   * import { Connection } from "@upstart/upstart/dbus";
   * const bus = await Connection.session();
   * await bus.close();
   * ```
   */
  async close(): Promise<void> {
    this.#shutdown(null);
    await this.#released$.promise;
  }

  /** Closes the connection (see {@linkcode Connection.close}). */
  [Symbol.dispose](): void {
    this.#shutdown(null);
  }

  /** Closes the connection and waits until it is released. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals shared with signals.ts and serve.ts ----

  /** @internal Sends a message we own and unrefs it; returns its serial. */
  sendOwned(msg: Deno.PointerObject): number {
    // An async method handler may finish after close(): the connection is freed by then.
    if (this.#state !== "open") {
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
    this.#wantInput();
  }

  #assertOpen(): void {
    if (this.#state !== "open") throw new ConnectionClosedError("The connection is closed");
  }

  #sendAndUnref(msg: Deno.PointerObject): number {
    try {
      if (!this.#lib.dbus_connection_send(this.#conn, msg, this.#serial)) {
        throw new RangeError("libdbus is out of memory");
      }
      // A large message is written a few KiB at a time: a loop parked in poll() for input only
      // must come back and wait for POLLOUT too, or the rest stays queued.
      if (
        this.#pollUntil !== -Infinity && this.#lib.dbus_connection_has_messages_to_send(this.#conn)
      ) this.#wake();
      return this.#serial[0];
    } finally {
      this.#lib.dbus_message_unref(msg);
    }
  }

  #needsInput(): boolean {
    return this.#pending.size > 0 || this.#signals.active || this.#objects.active;
  }

  /** Starts the I/O loop after the current task, once, if something waits for input. */
  #wantInput(): void {
    // A loop parked in poll() for a reason that has gone (unexport, unsubscribe) must come back
    // and stop, or it keeps the process alive.
    if (this.#parked && this.#pollUntil !== -Infinity && !this.#needsInput()) this.#wake();
    if (this.#loopScheduled || this.#parked || this.#state !== "open") return;
    this.#loopScheduled = true;
    // A microtask: everything the caller sends synchronously goes out before we wait.
    queueMicrotask(() => this.#loop());
  }

  async #loop(): Promise<void> {
    this.#loopScheduled = false;
    if (this.#parked) return;
    this.#parked = true;
    let sliceStart = performance.now();
    try {
      while (this.#state === "open") {
        this.#pump();
        if (this.#state !== "open") break;
        const now = performance.now();
        if (now >= this.#sweepAt) this.#sweep(now);
        if (!this.#needsInput()) break;
        if (now - sliceStart > MAX_SLICE_MS) {
          // Input keeps coming: let timers and other tasks run before reading on. A zero-timeout
          // poll on the thread pool is the cheapest real yield (setTimeout(0) costs far more).
          this.#pollview.setInt16(4, POLLIN, true);
          await this.#libc.poll(this.#pollfds, 2n, 0);
          if (this.#pollview.getInt16(14, true) !== 0) this.#drainWake();
          sliceStart = performance.now();
          continue;
        }
        if (this.#pending.size > 0 && this.#spin()) continue;
        const wantWrite = this.#lib.dbus_connection_has_messages_to_send(this.#conn) !== 0;
        this.#pollview.setInt16(4, wantWrite ? POLLIN | POLLOUT : POLLIN, true);
        await this.#pollUntilDeadline();
        if (this.#pollview.getInt16(14, true) !== 0) this.#drainWake();
        sliceStart = performance.now();
      }
    } catch (e) {
      this.#shutdown(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.#parked = false;
    }
    if (this.#state === "closing") this.#release();
  }

  /** Spins on a zero-timeout poll for a while; `true` if input arrived. */
  #spin(): boolean {
    if (this.#spinMicros <= 0) return false;
    const deadline = performance.now() + this.#spinMicros / 1000;
    this.#pollview.setInt16(4, POLLIN, true);
    do {
      if (this.#libc.poll_now(this.#pollfds, 1n, 0) > 0) return true;
    } while (performance.now() < deadline);
    return false;
  }

  #drainWake(): void {
    this.#libc.read(this.#wakeFd, new Uint8Array(8), 8n);
  }

  #wake(): void {
    const one = new BigUint64Array([1n]);
    this.#libc.write(this.#wakeFd, new Uint8Array(one.buffer), 8n);
  }

  /** Reads and writes what the socket allows, then dispatches every queued message. */
  #pump(): void {
    const connected = this.#lib.dbus_connection_read_write(this.#conn, 0) !== 0;
    for (;;) {
      if (this.#state !== "open") return;
      const msg = this.#lib.dbus_connection_pop_message(this.#conn);
      if (msg === null) break;
      try {
        this.#dispatch(msg);
      } finally {
        this.#lib.dbus_message_unref(msg);
      }
    }
    if (!connected || this.#lib.dbus_connection_get_is_connected(this.#conn) === 0) {
      this.#shutdown(new DisconnectedError("The D-Bus peer closed the connection"));
    }
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
    if (!pending) return; // timed out already, or not ours
    this.#pending.delete(header.replySerial);
    if (this.#pending.size === 0) this.#sweepAt = Infinity;
    let body: unknown[];
    try {
      body = readBody(this.#lib, msg);
    } catch (e) {
      pending.reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (header.type === MessageType.ERROR) {
      const text = typeof body[0] === "string" ? body[0] : "";
      pending.reject(new DBusError(header.errorName ?? "", text, body.slice(1)));
    } else {
      pending.resolve(body);
    }
  }

  /** Ends the connection once: rejects what waits, then releases (now, or when the loop returns). */
  #shutdown(reason: Error | null): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    const error = reason ?? new ConnectionClosedError("The connection was closed");
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#sweepAt = Infinity;
    this.#signals.end(reason);
    this.#objects.clear();
    this.#closedResolve(reason);
    if (this.#parked) this.#wake();
    else this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#state = "closed";
    this.#lib.dbus_connection_close(this.#conn);
    this.#lib.dbus_connection_unref(this.#conn);
    this.#libc.close(this.#wakeFd);
    this.#released$.resolve();
  }
}

/** Reads a C string (re-exported for the routers). */
export { readCString };
