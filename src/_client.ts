/**
 * The shared plumbing of System, Job and Instance: one connection, the
 * destination, the daemon's version, a cap on calls in flight (a bus daemon
 * refuses more than 128 pending replies per connection by default), and the
 * mapping of D-Bus errors to typed ones.
 *
 * @module
 */

import {
  type CallOptions,
  type Connection,
  DBusError,
  type MatchRule,
  type SignalMessage,
  TimeoutError,
  Variant,
} from "../ffi/mod.ts";
import { toUpstartError, WaitTimeoutError } from "./errors.ts";
import {
  argsSignature,
  inSignature,
  INTERFACES,
  type MethodArgs,
  type MethodName,
  type MethodReply,
  outSignature,
  type Properties,
  type PropertyName,
  type PropertyValue,
  type SignalName,
  type SignalValues,
  type UpstartObject,
} from "./interface.ts";
import { requireFeature, type UpstartVersion } from "./versions.ts";

const PROPERTIES = "org.freedesktop.DBus.Properties";

/** How a call goes: its time limit, whether Upstart is to wait for jobs, and cancellation. */
export interface InvokeOptions {
  /** Milliseconds (default: the connection's; with `wait`, no limit). */
  readonly timeout?: number;
  /**
   * The call waits for jobs (Start, Stop, Restart, EmitEvent with `wait`): like initctl, it has
   * no time limit unless one is given, and running out of it is a WaitTimeoutError.
   */
  readonly wait?: boolean;
  /** Stops waiting for the reply when it aborts (rejecting with its reason). */
  readonly signal?: AbortSignal;
}

/** Waits for a free slot before each call; releases it when the call settles. */
export class Limiter {
  readonly limit: number;
  #active = 0;
  readonly #queue: (() => void)[] = [];

  constructor(limit: number) {
    if (!(limit >= 1)) throw new RangeError(`Invalid concurrency ${limit}: expected 1 or more`);
    this.limit = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // A released slot passes straight to the next waiter, so nobody can slip in between.
    if (this.#active >= this.limit) await new Promise<void>((r) => this.#queue.push(r));
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/** Whether an error says the object (job or instance) does not exist (any more). */
export function isNoSuchObject(error: unknown): boolean {
  return error instanceof DBusError &&
    /\.(UnknownMethod|UnknownObject|UnknownInterface)$/.test(error.name);
}

/** One Upstart connection as the API layers use it. */
export class Client {
  readonly connection: Connection;
  readonly dest: string | undefined;
  readonly version: UpstartVersion | null;
  readonly timeout: number | undefined;
  readonly limiter: Limiter;
  /** The daemon runs on another machine (reached over ssh): its processes are not ours to signal. */
  readonly remote: boolean;

  constructor(
    connection: Connection,
    dest: string | undefined,
    version: UpstartVersion | null,
    timeout: number | undefined,
    maxPending: number,
    remote = false,
  ) {
    this.connection = connection;
    this.dest = dest;
    this.version = version;
    this.timeout = timeout;
    this.limiter = new Limiter(maxPending);
    this.remote = remote;
  }

  /** Throws UnsupportedError when the daemon lacks a feature (a key of FEATURES). */
  require(feature: string): void {
    requireFeature(this.version, feature);
  }

  /**
   * Calls a method of Upstart's interface for `object` (see `UPSTART_API`): the arguments and the
   * reply are typed from its declaration, and a reply of another signature is refused. D-Bus
   * errors come back typed (`toUpstartError`), except "no such object".
   */
  async invoke<O extends UpstartObject, M extends MethodName<O>>(
    object: O,
    path: string,
    member: M,
    args: MethodArgs<O, M>,
    options: InvokeOptions = {},
  ): Promise<MethodReply<O, M>> {
    const iface = INTERFACES[object];
    const method = iface.methods[member];
    const { wait = false, timeout, signal } = options;
    assertSignal(signal);
    let reply: unknown[];
    try {
      reply = await this.#send({
        path,
        interface: iface.name,
        member,
        signature: inSignature(method),
        body: args,
        timeout: timeout ?? (wait ? Infinity : this.timeout),
        replySignature: outSignature(method),
        noReply: method.noReply,
        signal,
      });
    } catch (e) {
      if (!wait || !(e instanceof TimeoutError)) throw e;
      throw new WaitTimeoutError(`${member} did not finish within ${timeout} ms`, { cause: e });
    }
    // The connection checked the reply's signature against the declaration's.
    return reply as MethodReply<O, M>;
  }

  /** Reads a property of `object`'s interface; a value of another type than declared is refused. */
  async get<O extends UpstartObject, P extends PropertyName<O>>(
    object: O,
    path: string,
    name: P,
  ): Promise<PropertyValue<O, P>> {
    const iface = INTERFACES[object];
    const [value] = await this.#send({
      path,
      interface: PROPERTIES,
      member: "Get",
      signature: "ss",
      body: [iface.name, name],
      timeout: this.timeout,
      replySignature: "v",
    });
    const type = iface.properties[name].type;
    if (!(value instanceof Variant) || value.signature !== type) {
      throw toUpstartError(badProperty(iface.name, name, value, type));
    }
    // Checked just above against the declared type.
    return value.value as PropertyValue<O, P>;
  }

  /**
   * Reads every property of `object`'s interface (`GetAll`); one the daemon lacks (an older
   * release) or sends with another type than declared is left out.
   */
  async getAll<O extends UpstartObject>(object: O, path: string): Promise<Properties<O>> {
    const iface = INTERFACES[object];
    const [dict] = await this.#send({
      path,
      interface: PROPERTIES,
      member: "GetAll",
      signature: "s",
      body: [iface.name],
      timeout: this.timeout,
      replySignature: "a{sv}",
    });
    const out: Record<string, unknown> = {};
    if (dict instanceof Map) {
      for (const [key, value] of dict) {
        const decl = Object.hasOwn(iface.properties, key) ? iface.properties[key] : undefined;
        if (decl && value instanceof Variant && value.signature === decl.type) {
          out[key] = value.value;
        }
      }
    }
    // Only declared properties of their declared types were kept.
    return out as Properties<O>;
  }

  /** Writes a property of `object`'s interface, typed by its declaration. */
  async set<O extends UpstartObject, P extends PropertyName<O>>(
    object: O,
    path: string,
    name: P,
    value: PropertyValue<O, P>,
  ): Promise<void> {
    const iface = INTERFACES[object];
    await this.#send({
      path,
      interface: PROPERTIES,
      member: "Set",
      signature: "ssv",
      body: [iface.name, name, new Variant(iface.properties[name].type, value)],
      timeout: this.timeout,
      replySignature: "",
    });
  }

  /** Sends one call through the limiter. */
  async #send(call: Omit<CallOptions, "destination">): Promise<unknown[]> {
    try {
      return await this.limiter.run(() =>
        this.connection.call({ destination: this.dest, ...call })
      );
    } catch (e) {
      throw isNoSuchObject(e) ? e : toUpstartError(e);
    }
  }

  /** Subscribes to Upstart's signals matching `rule` (sender added on a bus). */
  subscribe(
    rule: MatchRule,
    handler: (signal: SignalMessage) => void,
    onEnd?: (reason: Error | null) => void,
  ) {
    return this.connection.subscribe(this.#rule(rule), handler, onEnd);
  }

  signals(rule: MatchRule) {
    return this.connection.signals(this.#rule(rule));
  }

  #rule(rule: MatchRule): MatchRule {
    return this.dest === undefined ? rule : { sender: this.dest, ...rule };
  }
}

function badProperty(iface: string, name: string, value: unknown, type: string): DBusError {
  const got = value instanceof Variant ? `"${value.signature}"` : "no variant";
  return new DBusError(
    "org.freedesktop.DBus.Error.InvalidSignature",
    `The ${iface} property ${name} has type ${got}, expected "${type}"`,
  );
}

const CLIENTS = new WeakMap<object, Client>();

/** Ties a client to its public owner (a System). */
export function registerClient(owner: object, client: Client): void {
  CLIENTS.set(owner, client);
}

const SYSTEM_OWNERS = new WeakSet<object>();

/** Makes closing `job` close its System too (`System.openJob`: the connection is the job's). */
export function giveSystemTo(job: object): void {
  SYSTEM_OWNERS.add(job);
}

/** Whether closing `job` closes its System. */
export function ownsSystem(job: object): boolean {
  return SYSTEM_OWNERS.has(job);
}

/** The client of a System. */
export function clientOf(owner: object): Client {
  const client = CLIENTS.get(owner);
  if (!client) throw new TypeError("Not a System made by System.connect()");
  return client;
}

/** Throws a TypeError for a `signal` option that is not an AbortSignal. */
export function assertSignal(signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError("Invalid signal option: expected an AbortSignal");
  }
}

/**
 * The values of one of Upstart's signals, typed by the declaration, or `null` when `message` is
 * not that signal (another member, or a body of another signature).
 */
export function signalValues<O extends UpstartObject, S extends SignalName<O>>(
  object: O,
  member: S,
  message: SignalMessage,
): SignalValues<O, S> | null {
  const iface = INTERFACES[object];
  if (message.interface !== iface.name || message.member !== member) return null;
  if (message.signature !== argsSignature(iface.signals[member].args)) return null;
  // Its signature is the declared one.
  return message.body as SignalValues<O, S>;
}

/**
 * `value` as one of `values` (a goal, state or log priority the daemon sent); another value is
 * refused as a reply this client cannot understand.
 */
export function oneOf<T extends string>(values: readonly T[], value: string, what: string): T {
  const found = values.find((v) => v === value);
  if (found === undefined) {
    throw toUpstartError(
      new DBusError(
        "org.freedesktop.DBus.Error.Failed",
        `Upstart sent an unknown ${what} ${JSON.stringify(value)}: expected one of ${
          values.join(", ")
        }`,
      ),
    );
  }
  return found;
}
