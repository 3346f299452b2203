/**
 * The Upstart daemon (`/com/ubuntu/Upstart`): connecting, version, log
 * priority, jobs, events, the session environment, notifications, the
 * pipelined `statusAll()`, and `watch()`.
 *
 * @module
 */

import type { Connection } from "../ffi/mod.ts";
import { Client, giveSystemTo, isNoSuchObject, Limiter, oneOf, registerClient } from "./_client.ts";
import { type ConnectOptions, connectUpstart, type Target } from "./connect.ts";
import { type Env, type EnvScope, fromEnvList, jobDetails, toEnvList } from "./env.ts";
import { InvalidArgumentError, UnknownJobError } from "./errors.ts";
import type { EventStream, WatchOptions } from "./events.ts";
import { watchEvents } from "./_watch.ts";
import { type InstanceStatus, readInstanceStatus } from "./instance.ts";
import type { MethodArgs, MethodName } from "./interface.ts";
import { Job, toJobInfo } from "./job.ts";
import {
  assertJobName,
  isLossyPathElement,
  splitUpstartPath,
  unescapePathElement,
  UPSTART_PATH,
} from "./names.ts";
import { hasFeature, parseVersion, type UpstartVersion } from "./versions.ts";

import { LOG_PRIORITIES, type LogPriority } from "./states.ts";

/** Options of {@linkcode System.connect}. */
export interface SystemOptions extends ConnectOptions {
  /**
   * Most calls in flight at once (default 100 on a bus, whose daemon refuses
   * more than 128 pending replies per connection by default; no limit on a peer).
   */
  readonly maxPendingCalls?: number;
}

/** Options of {@linkcode System.emit}. */
export interface EmitOptions {
  /** Wait until every job the event started or stopped is done (default `true`). */
  readonly wait?: boolean;
  /**
   * Milliseconds the call may take: with `wait`, no limit by default (as initctl) and a
   * `WaitTimeoutError` when it runs out; without, the connection's timeout.
   */
  readonly timeout?: number;
  /**
   * Stops waiting when it aborts: the call rejects with `signal.reason`. Upstart goes on with
   * the event (as when initctl is interrupted).
   */
  readonly signal?: AbortSignal;
}

/** A job with all its instances, from {@linkcode System.statusAll}. */
export interface JobStatus {
  /** The job name. */
  readonly name: string;
  /** The job's object path. */
  readonly path: string;
  /** Its instances (`[]` when stopped). */
  readonly instances: readonly InstanceStatus[];
}

/** Options of {@linkcode System.statusAll}. */
export interface StatusAllOptions extends JobsOptions {
  /** Most calls in flight at once (default: as many as the connection allows); 1 is one at a time. */
  readonly concurrency?: number;
}

/** Options of {@linkcode System.jobs}. */
export interface JobsOptions {
  /**
   * `"name"` (default): sorted by name; `"daemon"`: in the order Upstart lists them
   * (`GetAllJobs`, its hash-table order, as initctl's `list` prints them).
   */
  readonly order?: "name" | "daemon";
}

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/**
 * A connection to an Upstart daemon.
 *
 * @example Start a job in a sandbox, then read every job's status
 * ```ts
 * import assert from "node:assert/strict";
 * import { System } from "@upstart/upstart";
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * const jobDir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
 * await using bus = await startPrivateBus();
 * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
 * await using system = await System.connect({ address: bus.address });
 *
 * await (await system.job("web")).start();
 * const [web] = await system.statusAll();
 * assert.equal(web.name, "web");
 * assert.equal(web.instances[0].state, "running");
 * await Deno.remove(jobDir, { recursive: true });
 * ```
 */
export class System implements AsyncDisposable {
  /** The D-Bus connection (for calls this API does not wrap). */
  readonly connection: Connection;
  /** What answered: the bus, socket or host. */
  readonly target: Target;
  /** The daemon's version, parsed when connecting (`null` when it names no version). */
  readonly versionInfo: UpstartVersion | null;
  readonly #client: Client;

  private constructor(client: Client, target: Target) {
    this.#client = client;
    this.connection = client.connection;
    this.target = target;
    this.versionInfo = client.version;
    registerClient(this, client);
  }

  /**
   * The bus name calls are sent to (`com.ubuntu.Upstart`, or `--dest`'s), or `undefined` on a
   * peer-to-peer connection, which has no bus and so no names.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * assert.equal(system.dest, "com.ubuntu.Upstart");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  get dest(): string | undefined {
    return this.#client.dest;
  }

  /**
   * Whether this is a peer-to-peer connection (Upstart's private socket, a user session), as
   * opposed to one through a message bus.
   *
   * @example On a bus
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * assert.equal(system.isPeer, false);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   *
   * @example On Upstart's private socket (needs a real Upstart, as root)
   * ```ts ignore
   * import { PRIVATE_ADDRESS, System } from "@upstart/upstart";
   * await using system = await System.connect({ address: PRIVATE_ADDRESS, peer: true });
   * console.log(system.isPeer); // true
   * ```
   */
  get isPeer(): boolean {
    return this.#client.dest === undefined;
  }

  /**
   * Connects to Upstart: by default as `initctl` does (`$UPSTART_SESSION`; as
   * root the private socket, then the system bus; else the system bus).
   *
   * @param options `bus`, `address` (+ `peer`), or `host` (+ ssh options); `dest`, `timeout`, `maxPendingCalls`.
   * @returns The connected system.
   * @throws {UpstartNotRunningError} naming everything that was tried.
   * @example A sandbox, by the address of its bus
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   *
   * await using system = await System.connect({ address: bus.address });
   * assert.deepEqual(system.versionInfo?.numbers, [1, 13, 2]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   *
   * @example As initctl does, and a host over ssh (needs a real Upstart)
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using local = await System.connect();
   * await using remote = await System.connect({ host: "root@server" });
   * ```
   */
  static async connect(options: SystemOptions = {}): Promise<System> {
    const { connection, dest, target, version } = await connectUpstart(options);
    const max = options.maxPendingCalls ?? (dest === undefined ? Infinity : 100);
    try {
      const remote = options.host !== undefined;
      const client = new Client(
        connection,
        dest,
        parseVersion(version),
        options.timeout,
        max,
        remote,
      );
      return new System(client, target);
    } catch (e) {
      await connection.close();
      throw e;
    }
  }

  /**
   * Connects and finds a job in one step, like the Python library's `UpstartJob('ssh')`;
   * disposing the job closes its connection.
   *
   * @param name The job name.
   * @param options How to connect (see {@linkcode System.connect}).
   * @returns The job.
   * @throws {UnknownJobError} when there is no such job; {UpstartNotRunningError}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   *
   * await using web = await System.openJob("web", { address: bus.address });
   * assert.deepEqual(await web.status(), []); // stopped
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  static async openJob(name: string, options: SystemOptions = {}): Promise<Job> {
    const system = await System.connect(options);
    try {
      const job = await system.job(name);
      giveSystemTo(job);
      return job;
    } catch (e) {
      await system.close();
      throw e;
    }
  }

  /**
   * The daemon's version string.
   *
   * @returns E.g. `init (upstart 1.13.2)`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * // Upstart says "init (upstart 1.13.2)"; the sandbox adds its name
   * assert.equal(await system.version(), "init (upstart 1.13.2) sandbox");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async version(): Promise<string> {
    return await this.#client.get("manager", UPSTART_PATH, "version");
  }

  /**
   * The daemon's log priority.
   *
   * @returns One of {@linkcode LOG_PRIORITIES}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * assert.equal(await system.logPriority(), "message"); // Upstart's default
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async logPriority(): Promise<LogPriority> {
    const priority = await this.#client.get("manager", UPSTART_PATH, "log_priority");
    return oneOf(LOG_PRIORITIES, priority, "log priority");
  }

  /**
   * Sets the daemon's log priority.
   *
   * @param priority One of {@linkcode LOG_PRIORITIES}.
   * @throws {RangeError} for another value; {PermissionDeniedError} when not allowed.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.setLogPriority("debug");
   * assert.equal(await system.logPriority(), "debug");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async setLogPriority(priority: LogPriority): Promise<void> {
    if (!LOG_PRIORITIES.some((p) => p === priority)) {
      throw new RangeError(
        `Invalid log priority ${JSON.stringify(priority)}: expected one of ${
          LOG_PRIORITIES.join(", ")
        }`,
      );
    }
    await this.#client.set("manager", UPSTART_PATH, "log_priority", priority);
  }

  /** Calls a manager method. */
  #call<M extends MethodName<"manager">>(member: M, args: MethodArgs<"manager", M>) {
    return this.#client.invoke("manager", UPSTART_PATH, member, args);
  }

  /** Job object paths with their decoded names (exact, via `name`, for lossy paths). */
  async #jobPaths(order: "name" | "daemon" = "name"): Promise<{ name: string; path: string }[]> {
    if (order !== "name" && order !== "daemon") {
      throw new TypeError(`Invalid order ${JSON.stringify(order)}: expected "name" or "daemon"`);
    }
    const [paths] = await this.#call("GetAllJobs", []);
    const jobs = await Promise.all(paths.map(async (path) => {
      const element = splitUpstartPath(path)?.job ?? path.slice(path.lastIndexOf("/") + 1);
      if (!isLossyPathElement(element)) return { name: unescapePathElement(element), path };
      try {
        return { name: await this.#client.get("job", path, "name"), path };
      } catch (e) {
        if (isNoSuchObject(e)) return null;
        throw e;
      }
    }));
    const found = jobs.filter((j) => j !== null);
    return order === "daemon" ? found : found.sort(byName);
  }

  /**
   * The names of all jobs, decoded (`avahi-daemon`, not `avahi_2ddaemon`), sorted.
   *
   * @returns The names.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * for (const name of ["cron", "avahi-daemon"]) {
   *   await Deno.writeTextFile(`${jobDir}/${name}.conf`, "exec sleep 60\n");
   * }
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * assert.deepEqual(await system.jobNames(), ["avahi-daemon", "cron"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async jobNames(): Promise<string[]> {
    return (await this.#jobPaths()).map((j) => j.name);
  }

  /**
   * A job by name (`GetJobByName`, then its properties).
   *
   * @param name The job name.
   * @returns The job.
   * @throws {UnknownJobError} when there is no such job; `TypeError` for a name no job can have.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, 'description "A web server"\nexec sleep 60\n');
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const web = await system.job("web");
   * assert.equal(web.description, "A web server");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async job(name: string): Promise<Job> {
    assertJobName(name);
    const [path] = await this.#call("GetJobByName", [name]);
    return await this.#jobAt(path, name);
  }

  async #jobAt(path: string, name: string): Promise<Job> {
    try {
      return new Job(this, path, toJobInfo(await this.#client.getAll("job", path), name));
    } catch (e) {
      if (isNoSuchObject(e)) throw new UnknownJobError(`Unknown job: ${name}`, { cause: e });
      throw e;
    }
  }

  /**
   * Every job, with its properties (pipelined).
   *
   * @param options `order`: `"name"` (default) or `"daemon"` (Upstart's own order).
   * @returns The jobs, sorted by name unless `order` is `"daemon"`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * for (const name of ["web", "db"]) {
   *   const text = `description "The ${name}"\nexec sleep 60\n`;
   *   await Deno.writeTextFile(`${jobDir}/${name}.conf`, text);
   * }
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const jobs = await system.jobs();
   * assert.deepEqual(jobs.map((job) => job.description), ["The db", "The web"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async jobs(options: JobsOptions = {}): Promise<Job[]> {
    const found = await Promise.all(
      (await this.#jobPaths(options.order)).map(({ name, path }) =>
        this.#jobAt(path, name).catch((e) => {
          if (e instanceof UnknownJobError) return null; // removed in between
          throw e;
        })
      ),
    );
    return found.filter((j) => j !== null);
  }

  /**
   * Every job with every instance's goal, state and processes. All calls are
   * pipelined (`GetAllJobs`, then each job's `GetAllInstances`, then each
   * instance's `GetAll`, many in flight at once), so hundreds of jobs take a
   * few round trips.
   *
   * @param options `concurrency`: most calls in flight (1: one at a time); `order`: `"name"`
   *   (default) or `"daemon"` (Upstart's own order, as initctl lists them).
   * @returns The jobs, sorted by name unless `order` is `"daemon"`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * for (const name of ["web", "db"]) {
   *   await Deno.writeTextFile(`${jobDir}/${name}.conf`, "exec sleep 60\n");
   * }
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await (await system.job("web")).start();
   * const status = await system.statusAll();
   * const states = status.map((job) => `${job.name} ${job.instances[0]?.state ?? "stopped"}`);
   * assert.deepEqual(states, ["db stopped", "web running"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async statusAll(options: StatusAllOptions = {}): Promise<JobStatus[]> {
    const limiter = new Limiter(options.concurrency ?? Infinity);
    const jobs = await limiter.run(() => this.#jobPaths(options.order));
    const result = await Promise.all(jobs.map(async ({ name, path }) => {
      let paths: string[];
      try {
        [paths] = await limiter.run(() => this.#client.invoke("job", path, "GetAllInstances", []));
      } catch (e) {
        if (isNoSuchObject(e)) return null; // the job went away meanwhile
        throw e;
      }
      const instances = await Promise.all(
        paths.map((p) => readInstanceStatus(this.#client, p, (call) => limiter.run(call))),
      );
      return {
        name,
        path,
        instances: instances.filter((i) => i !== null), // the daemon's order, as initctl lists them
      };
    }));
    return result.filter((j) => j !== null);
  }

  /**
   * Emits an event (`EmitEvent`).
   *
   * @param name The event name.
   * @param env Its environment: `{ KEY: "v" }` or `["KEY=v"]`.
   * @param options `wait` (default `true`: until every job it affects is done), `timeout`, and a
   *   `signal` that stops waiting when it aborts (rejecting with `signal.reason`).
   * @throws {EventFailedError} when a waited event made a job fail; {InvalidArgumentError} from
   * Upstart for an empty name or an env entry it refuses; `TypeError` for a name or env libdbus
   * cannot carry.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "start on my-event\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.emit("my-event", { KEY: "value" }); // returns once the jobs it starts run
   * const [web] = await (await system.job("web")).status();
   * assert.equal(web.state, "running");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async emit(name: string, env: Env = {}, options: EmitOptions = {}): Promise<void> {
    // What libdbus cannot carry is refused here; an empty name is Upstart's to refuse
    // (InvalidArgumentError "Name may not be empty string"), as initctl shows it.
    if (typeof name !== "string" || name.includes("\0") || !name.isWellFormed()) {
      throw new TypeError(
        `Invalid event name ${JSON.stringify(name)}: expected a string without NUL`,
      );
    }
    const wait = options.wait ?? true;
    if (typeof wait !== "boolean") throw new TypeError("Invalid wait option: expected a boolean");
    await this.#client.invoke("manager", UPSTART_PATH, "EmitEvent", [name, toEnvList(env), wait], {
      wait,
      timeout: options.timeout,
      signal: options.signal,
    });
  }

  /**
   * Re-reads every job file (`ReloadConfiguration`, like `initctl reload-configuration`).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await system.reloadConfiguration();
   * assert.deepEqual(await system.jobNames(), ["web"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async reloadConfiguration(): Promise<void> {
    await this.#call("ReloadConfiguration", []);
  }

  /**
   * A variable of the session (or a job's) environment (`GetEnv`, Upstart 1.7+).
   *
   * @param name The variable.
   * @param scope `{ job, instance }` for a job's environment; default the global one.
   * @returns Its value, or `undefined` when it is not set.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * assert.match((await system.getEnv("PATH"))!, /\/usr\/bin/);
   * assert.equal(await system.getEnv("NOT_SET"), undefined);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async getEnv(name: string, scope: EnvScope = {}): Promise<string | undefined> {
    this.#client.require("manager.GetEnv");
    const details = jobDetails(scope);
    try {
      const [value] = await this.#call("GetEnv", [details, assertVar(name)]);
      return value;
    } catch (e) {
      if (e instanceof InvalidArgumentError && /^No such variable/.test(e.message)) {
        return undefined;
      }
      throw e;
    }
  }

  /**
   * Sets variables of the session (or a job's) environment (`SetEnv`; several
   * at once with `SetEnvList` on Upstart 1.13).
   *
   * @param vars `{ KEY: "v" }` or `["KEY=v"]`.
   * @param options `replace` (default `true`: overwrite an existing value), and `job`/`instance`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.setEnv({ LANG: "C.UTF-8" });
   * assert.equal(await system.getEnv("LANG"), "C.UTF-8");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async setEnv(vars: Env, options: EnvScope & { readonly replace?: boolean } = {}): Promise<void> {
    this.#client.require("manager.SetEnv");
    const list = toEnvList(vars);
    const details = jobDetails(options);
    const replace = options.replace ?? true;
    if (typeof replace !== "boolean") {
      throw new TypeError("Invalid replace option: expected a boolean");
    }
    if (list.length > 1 && hasFeature(this.#client.version, "manager.SetEnvList")) {
      await this.#call("SetEnvList", [details, list, replace]);
      return;
    }
    for (const item of list) await this.#call("SetEnv", [details, item, replace]);
  }

  /**
   * Removes variables from the session (or a job's) environment (`UnsetEnv`).
   *
   * @param names One name or several.
   * @param scope `{ job, instance }`, or the global environment.
   * @throws {InvalidArgumentError} `No such variable: NAME` only when the environment is empty
   * (Upstart removes an absent variable without complaint otherwise).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.setEnv({ LANG: "C.UTF-8" });
   * await system.unsetEnv("LANG");
   * assert.equal(await system.getEnv("LANG"), undefined);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async unsetEnv(names: string | readonly string[], scope: EnvScope = {}): Promise<void> {
    this.#client.require("manager.UnsetEnv");
    const list = (typeof names === "string" ? [names] : [...names]).map(assertVar);
    const details = jobDetails(scope);
    if (list.length > 1 && hasFeature(this.#client.version, "manager.UnsetEnvList")) {
      await this.#call("UnsetEnvList", [details, list]);
      return;
    }
    for (const name of list) await this.#call("UnsetEnv", [details, name]);
  }

  /**
   * The whole session (or a job's) environment (`ListEnv`).
   *
   * @param scope `{ job, instance }`, or the global environment.
   * @returns The variables.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.setEnv({ LANG: "C.UTF-8" });
   * assert.equal((await system.listEnv()).LANG, "C.UTF-8");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async listEnv(scope: EnvScope = {}): Promise<Record<string, string>> {
    this.#client.require("manager.ListEnv");
    const [list] = await this.#call("ListEnv", [jobDetails(scope)]);
    return fromEnvList(list);
  }

  /**
   * Resets the session (or a job's) environment to Upstart's defaults (`ResetEnv`).
   *
   * @param scope `{ job, instance }`, or the global environment.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await system.setEnv({ LANG: "C.UTF-8" });
   * await system.resetEnv();
   * assert.equal(await system.getEnv("LANG"), undefined);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async resetEnv(scope: EnvScope = {}): Promise<void> {
    this.#client.require("manager.ResetEnv");
    await this.#call("ResetEnv", [jobDetails(scope)]);
  }

  /**
   * Tells Upstart the log disk is writable, so it flushes buffered job logs
   * (`NotifyDiskWriteable`, Upstart 1.5+).
   *
   * @example Needs a real Upstart (the sandbox keeps no logs to flush)
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await system.notifyDiskWriteable();
   * ```
   */
  async notifyDiskWriteable(): Promise<void> {
    this.#client.require("manager.NotifyDiskWriteable");
    await this.#call("NotifyDiskWriteable", []);
  }

  /**
   * Tells a user session's Upstart the D-Bus address to connect to
   * (`NotifyDBusAddress`, Upstart 1.11+).
   *
   * @param address A D-Bus address.
   * @example Needs a real `init --user` session
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await system.notifyDBusAddress(Deno.env.get("DBUS_SESSION_BUS_ADDRESS")!);
   * ```
   */
  async notifyDBusAddress(address: string): Promise<void> {
    await this.#notifyAddress("NotifyDBusAddress", address);
  }

  /**
   * Tells Upstart the address of the cgroup manager, so that jobs with `cgroup`
   * stanzas can run (`NotifyCGroupManagerAddress`, Upstart 1.13+).
   *
   * @param address A D-Bus address (cgmanager's `unix:path=/sys/fs/cgroup/cgmanager/sock`).
   * @throws {UnsupportedError} before 1.13; `TypeError` for an empty address.
   * @example Needs a real Upstart and cgmanager
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await system.notifyCGroupManagerAddress("unix:path=/sys/fs/cgroup/cgmanager/sock");
   * ```
   */
  async notifyCGroupManagerAddress(address: string): Promise<void> {
    await this.#notifyAddress("NotifyCGroupManagerAddress", address);
  }

  async #notifyAddress(
    member: "NotifyDBusAddress" | "NotifyCGroupManagerAddress",
    address: string,
  ): Promise<void> {
    this.#client.require(`manager.${member}`);
    if (typeof address !== "string" || address === "" || address.includes("\0")) {
      throw new TypeError(`Invalid D-Bus address ${JSON.stringify(address)}`);
    }
    await this.#call(member, [address]);
  }

  /**
   * Makes Upstart re-execute itself, keeping its state (`Restart`, Upstart
   * 1.6.1+; what `telinit u` does). Upstart sends no reply: this returns once
   * the request is sent, and the connection drops when the daemon re-executes
   * (its private socket and user sessions), so connect again afterwards.
   *
   * @throws {UnsupportedError} before 1.6.1.
   * @example On a bus the connection stays, and Upstart says when it is back
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await using restarts = system.watch({ types: ["Restarted"] });
   * await restarts.ready; // subscribed first, so the signal cannot be missed
   * await system.reexec();
   * assert.equal((await restarts.next()).value?.type, "Restarted");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async reexec(): Promise<void> {
    this.#client.require("manager.Restart");
    // Declared without a reply: the request is only sent.
    await this.#call("Restart", []);
  }

  /**
   * Upstart's whole internal state as it serialises it for a re-exec (`GetState`, Upstart
   * 1.6.1+): a JSON text of jobs, instances, events and environment, for debugging. Its shape is
   * Upstart's own and changes between versions (the sandbox gives a smaller summary).
   *
   * @returns The JSON text.
   * @throws {UnsupportedError} before 1.6.1.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const state = JSON.parse(await system.getState());
   * assert.equal(state.job_classes[0].name, "web");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async getState(): Promise<string> {
    this.#client.require("manager.GetState");
    const [state] = await this.#call("GetState", []);
    return state;
  }

  /**
   * Ends a user session (`EndSession`, Upstart 1.7+).
   *
   * @example Needs a real `init --user` session
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await system.endSession();
   * ```
   */
  async endSession(): Promise<void> {
    this.#client.require("manager.EndSession");
    await this.#call("EndSession", []);
  }

  /**
   * Watches Upstart's signals as typed events; leaving the `for await` loop
   * unsubscribes. The stream subscribes on first use (the first `next()`, or
   * reading `ready`), so one never used holds nothing and does not keep the
   * process alive: `await stream.ready` before acting to be sure to see what the
   * action causes.
   *
   * @param options `types` and `job` filters, and a `signal` that ends the stream
   *   (`next()` then rejects with `signal.reason`).
   * @returns The event stream.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * await using events = system.watch({ types: ["StateChanged"], job: "web" });
   * await events.ready; // subscribed first, so no state is missed
   * await (await system.job("web")).start({ wait: false });
   * const states: string[] = [];
   * for await (const ev of events) {
   *   if (ev.type !== "StateChanged") continue;
   *   states.push(ev.state);
   *   if (ev.state === "running") break;
   * }
   * assert.equal(states[0], "starting"); // then pre-start, spawned, post-start...
   * assert.equal(states.at(-1), "running");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  watch(options: WatchOptions = {}): EventStream {
    return watchEvents(this.#client, options);
  }

  /**
   * Closes the connection.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { ConnectionClosedError } from "@upstart/upstart/dbus";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   *
   * const system = await System.connect({ address: bus.address });
   * await system.close();
   * await assert.rejects(system.version(), ConnectionClosedError);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    await this.connection.close();
  }

  /** Same as {@linkcode System.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function assertVar(name: string): string {
  if (typeof name !== "string" || name === "" || name.includes("\0") || name.includes("=")) {
    throw new TypeError(
      `Invalid variable name ${JSON.stringify(name)}: expected a non-empty name without "=" or NUL`,
    );
  }
  return name;
}
