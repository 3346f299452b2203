/**
 * The shared plumbing of System, Job and Instance: one connection, the
 * destination, the daemon's version, a cap on calls in flight (a bus daemon
 * refuses more than 128 pending replies per connection by default), and the
 * mapping of D-Bus errors to typed ones.
 *
 * @module
 */

import {
  type Connection,
  DBusError,
  type MatchRule,
  type SignalMessage,
  TimeoutError,
  Variant,
} from "../ffi/mod.ts";
import { toUpstartError, WaitTimeoutError } from "./errors.ts";
import { requireFeature, type UpstartVersion } from "./versions.ts";

const PROPERTIES = "org.freedesktop.DBus.Properties";

/**
 * What Upstart replies to each method this client calls (every release alike). A reply of any
 * other shape is refused, and a file descriptor in it is closed at once: Upstart never sends one.
 */
const REPLY_SIGNATURES: Readonly<Record<string, string>> = {
  Get: "v",
  GetAll: "a{sv}",
  Set: "",
  GetJobByName: "o",
  GetAllJobs: "ao",
  GetInstance: "o",
  GetInstanceByName: "o",
  GetAllInstances: "ao",
  // Start and Restart: "o" from a job, "" from an instance (see call()).
  Stop: "",
  Reload: "",
  ReloadConfiguration: "",
  EmitEvent: "",
  GetEnv: "s",
  ListEnv: "as",
  SetEnv: "",
  SetEnvList: "",
  UnsetEnv: "",
  UnsetEnvList: "",
  ResetEnv: "",
  GetState: "s",
  NotifyDiskWriteable: "",
  NotifyDBusAddress: "",
  NotifyCGroupManagerAddress: "",
  EndSession: "",
};

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

  constructor(
    connection: Connection,
    dest: string | undefined,
    version: UpstartVersion | null,
    timeout: number | undefined,
    maxPending: number,
  ) {
    this.connection = connection;
    this.dest = dest;
    this.version = version;
    this.timeout = timeout;
    this.limiter = new Limiter(maxPending);
  }

  /** Throws UnsupportedError when the daemon lacks a feature (a key of FEATURES). */
  require(feature: string): void {
    requireFeature(this.version, feature);
  }

  /** Calls a method; D-Bus errors come back typed (`toUpstartError`), except "no such object". */
  async call(
    path: string,
    iface: string,
    member: string,
    signature = "",
    body: unknown[] = [],
    timeout = this.timeout,
  ): Promise<unknown[]> {
    try {
      return await this.limiter.run(() =>
        this.connection.call({
          destination: this.dest,
          path,
          interface: iface,
          member,
          signature,
          body,
          timeout,
          // Job.Start replies "o" but Instance.Start "": only a job's interface has the object.
          replySignature: member === "Start" || member === "Restart"
            ? (iface.endsWith(".Instance") ? "" : "o")
            : REPLY_SIGNATURES[member],
        })
      );
    } catch (e) {
      throw isNoSuchObject(e) ? e : toUpstartError(e);
    }
  }

  /**
   * Calls a method that may wait for jobs (Start, Stop, Restart, EmitEvent): like initctl, a
   * waited call has no time limit unless one is given, and running out of it is a
   * WaitTimeoutError.
   */
  async control(
    path: string,
    iface: string,
    member: string,
    signature: string,
    body: unknown[],
    wait: boolean,
    timeout?: number,
  ): Promise<unknown[]> {
    try {
      return await this.call(
        path,
        iface,
        member,
        signature,
        body,
        timeout ?? (wait ? Infinity : this.timeout),
      );
    } catch (e) {
      if (!wait || !(e instanceof TimeoutError)) throw e;
      throw new WaitTimeoutError(`${member} did not finish within ${timeout} ms`, { cause: e });
    }
  }

  async get(path: string, iface: string, name: string): Promise<unknown> {
    const [value] = await this.call(path, PROPERTIES, "Get", "ss", [iface, name]);
    return unwrap(value);
  }

  async getAll(path: string, iface: string): Promise<Record<string, unknown>> {
    const [dict] = await this.call(path, PROPERTIES, "GetAll", "s", [iface]);
    const out: Record<string, unknown> = {};
    for (const [key, value] of dict as Map<string, unknown>) out[key] = unwrap(value);
    return out;
  }

  async set(
    path: string,
    iface: string,
    name: string,
    signature: string,
    value: unknown,
  ): Promise<void> {
    await this.call(path, PROPERTIES, "Set", "ssv", [iface, name, new Variant(signature, value)]);
  }

  /** Subscribes to Upstart's signals matching `rule` (sender added on a bus). */
  subscribe(rule: MatchRule, handler: (signal: SignalMessage) => void) {
    return this.connection.subscribe(this.#rule(rule), handler);
  }

  signals(rule: MatchRule) {
    return this.connection.signals(this.#rule(rule));
  }

  #rule(rule: MatchRule): MatchRule {
    return this.dest === undefined ? rule : { sender: this.dest, ...rule };
  }
}

function unwrap(value: unknown): unknown {
  return value instanceof Variant ? value.value : value;
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
