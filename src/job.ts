/**
 * A job (`/com/ubuntu/Upstart/jobs/JOB`): its published configuration, its
 * instances and its controls.
 *
 * @module
 */

import { fromUpstartConditions } from "./jobfile/condition.ts";
import type { Condition } from "./jobfile/types.ts";
import { clientOf, type InvokeOptions, isNoSuchObject, ownsSystem } from "./_client.ts";
import type { MethodArgs, MethodName, MethodReply, Properties } from "./interface.ts";
import { type Env, toEnvList } from "./env.ts";
import { UnknownJobError } from "./errors.ts";
import {
  type ControlOptions,
  Instance,
  type InstanceStatus,
  readInstanceStatus,
} from "./instance.ts";
import { assertInstanceName, unescapePathElement } from "./names.ts";
// Only the type: system.ts imports this module (System.openJob makes a job that owns its system).
import type { System } from "./system.ts";

/** Options of {@linkcode Job.start}, {@linkcode Job.stop} and {@linkcode Job.restart}. */
export interface JobControlOptions extends ControlOptions {
  /** The environment (`{ KEY: "v" }` or `["KEY=v"]`); it also selects the instance of an instance job. */
  readonly env?: Env;
}

/** The job's properties as Upstart publishes them (`Job` interface). */
export interface JobInfo {
  /** The job name (its `.conf` path below the configuration directory). */
  readonly name: string;
  /** `description`, or `null`. */
  readonly description: string | null;
  /** `author`, or `null`. */
  readonly author: string | null;
  /** `version`, or `null`. */
  readonly version: string | null;
  /** `usage`, or `null` (always `null` before Upstart 1.5). */
  readonly usage: string | null;
  /** `emits` (empty before Upstart 0.6.7). */
  readonly emits: readonly string[];
}

function orNull(value: string | undefined): string | null {
  return value !== undefined && value !== "" ? value : null;
}

/** Turns a job's `GetAll` properties into {@linkcode JobInfo}. */
export function toJobInfo(props: Properties<"job">, fallbackName: string): JobInfo {
  return {
    name: props.name ?? fallbackName,
    description: orNull(props.description),
    author: orNull(props.author),
    version: orNull(props.version),
    usage: orNull(props.usage),
    emits: props.emits ?? [],
  };
}

/**
 * A job. Get one from {@linkcode System.job} or {@linkcode System.openJob}.
 *
 * @example Start an instance of a job, selected by its environment
 * ```ts
 * import assert from "node:assert/strict";
 * import { System } from "@upstart/upstart";
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * const jobDir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${jobDir}/web.conf`, "instance $PORT\nexec sleep 60\n");
 * await using bus = await startPrivateBus();
 * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
 * await using system = await System.connect({ address: bus.address });
 *
 * const web = await system.job("web");
 * const inst = await web.start({ env: { PORT: "8080" } });
 * assert.equal(inst.name, "8080");
 * assert.equal(inst.state, "running");
 * await Deno.remove(jobDir, { recursive: true });
 * ```
 */
export class Job implements AsyncDisposable {
  /** The connection this job was found on. */
  readonly system: System;
  /** Its object path. */
  readonly path: string;
  #info: JobInfo;

  /**
   * Makes the handle of a job from what `GetJobByName` and `GetAll` said;
   * use {@linkcode System.job} instead.
   *
   * @param system The connection.
   * @param path The job's object path.
   * @param info Its properties.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Job, System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const web = await system.job("web");
   * assert.ok(web instanceof Job);
   * assert.equal(web.path, "/com/ubuntu/Upstart/jobs/web");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  constructor(system: System, path: string, info: JobInfo) {
    this.system = system;
    this.path = path;
    this.#info = info;
  }

  /** The job name. */
  get name(): string {
    return this.#info.name;
  }
  /** `description`, or `null`. */
  get description(): string | null {
    return this.#info.description;
  }
  /** `author`, or `null`. */
  get author(): string | null {
    return this.#info.author;
  }
  /** `version`, or `null`. */
  get version(): string | null {
    return this.#info.version;
  }
  /** `usage`, or `null`. */
  get usage(): string | null {
    return this.#info.usage;
  }
  /** The events the job says it emits. */
  get emits(): readonly string[] {
    return this.#info.emits;
  }

  #gone(e: unknown): unknown {
    return isNoSuchObject(e) ? new UnknownJobError(`Unknown job: ${this.name}`, { cause: e }) : e;
  }

  async #call<M extends MethodName<"job">>(
    member: M,
    args: MethodArgs<"job", M>,
    options?: InvokeOptions,
  ): Promise<MethodReply<"job", M>> {
    try {
      return await clientOf(this.system).invoke("job", this.path, member, args, options);
    } catch (e) {
      throw this.#gone(e);
    }
  }

  /**
   * Re-reads the job's properties (after its file changed).
   *
   * @returns The properties.
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
   * const web = await system.job("web");
   * await Deno.writeTextFile(`${jobDir}/web.conf`, 'description "v2"\nexec sleep 60\n');
   * await system.reloadConfiguration();
   * assert.equal((await web.refresh()).description, "v2");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async refresh(): Promise<JobInfo> {
    try {
      this.#info = toJobInfo(await clientOf(this.system).getAll("job", this.path), this.name);
    } catch (e) {
      throw this.#gone(e);
    }
    return this.#info;
  }

  async #condition(property: "start_on" | "stop_on"): Promise<string[][]> {
    const client = clientOf(this.system);
    client.require(`job.${property}`);
    try {
      return await client.get("job", this.path, property);
    } catch (e) {
      throw this.#gone(e);
    }
  }

  /**
   * The `start on` condition as the job-file parser's tree, or `null` when none.
   *
   * @returns The condition.
   * @throws {UnsupportedError} before Upstart 0.6.7.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { conditionToString, System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, `
   * start on started db and runlevel [2345]
   * exec sleep 60
   * `);
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const start = await (await system.job("web")).startOn();
   * assert.equal(start?.type, "and");
   * assert.equal(conditionToString(start), "started db and runlevel [2345]");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async startOn(): Promise<Condition | null> {
    return fromUpstartConditions(await this.#condition("start_on"));
  }

  /**
   * The `stop on` condition as a tree, or `null` when none.
   *
   * @returns The condition.
   * @throws {UnsupportedError} before Upstart 0.6.7.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { conditionToString, System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "stop on runlevel [!2345]\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const stop = await (await system.job("web")).stopOn();
   * assert.equal(stop?.type, "event");
   * assert.equal(conditionToString(stop), "runlevel [!2345]");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async stopOn(): Promise<Condition | null> {
    return fromUpstartConditions(await this.#condition("stop_on"));
  }

  /**
   * The `start_on` property as Upstart sends it: postfix, one array per node.
   *
   * @returns E.g. `[["a"], ["b"], ["/AND"]]`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, `
   * start on started db and runlevel [2345]
   * exec sleep 60
   * `);
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const raw = await (await system.job("web")).startOnRaw();
   * assert.deepEqual(raw, [["started", "db"], ["runlevel", "[2345]"], ["/AND"]]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  startOnRaw(): Promise<string[][]> {
    return this.#condition("start_on");
  }

  /**
   * The `stop_on` property as Upstart sends it.
   *
   * @returns E.g. `[["runlevel", "[!2345]"]]`.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "stop on runlevel [!2345]\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const raw = await (await system.job("web")).stopOnRaw();
   * assert.deepEqual(raw, [["runlevel", "[!2345]"]]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  stopOnRaw(): Promise<string[][]> {
    return this.#condition("stop_on");
  }

  /**
   * The job's current instances.
   *
   * @returns One {@linkcode Instance} per instance, with its status read.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/tty.conf`, "instance $TTY\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const tty = await system.job("tty");
   * for (const TTY of ["tty1", "tty2"]) await tty.start({ env: { TTY } });
   * const names = (await tty.instances()).map((inst) => inst.name);
   * assert.deepEqual(names.sort(), ["tty1", "tty2"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async instances(): Promise<Instance[]> {
    const [paths] = await this.#call("GetAllInstances", []);
    const client = clientOf(this.system);
    const found = await Promise.all(
      paths.map(async (path) => {
        const status = await readInstanceStatus(client, path);
        return status && new Instance(this, status.name, status, path);
      }),
    );
    // The daemon's order, as initctl shows them; an instance that stopped in between is left out.
    return found.filter((i): i is Instance => i !== null);
  }

  /**
   * Each instance's name, goal, state and processes; `[]` when the job is stopped.
   *
   * @returns The statuses, by instance name.
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
   * const web = await system.job("web");
   * assert.deepEqual(await web.status(), []); // stopped
   * await web.start();
   * const [{ name, state, processes }] = await web.status();
   * assert.deepEqual([name, state, processes[0].type], ["", "running", "main"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async status(): Promise<InstanceStatus[]> {
    return (await this.instances()).map((i) => ({
      name: i.name,
      goal: i.goal,
      state: i.state,
      processes: i.processes,
    }));
  }

  /** The instance at `path`, its status read; named from the path when it has already gone. */
  async #instanceAt(path: string): Promise<Instance> {
    const status = await readInstanceStatus(clientOf(this.system), path);
    if (status) return new Instance(this, status.name, status, path);
    const name = unescapePathElement(path.slice(path.lastIndexOf("/") + 1));
    return new Instance(this, name, undefined, path);
  }

  /**
   * An instance by name (`GetInstanceByName`).
   *
   * @param name The instance name (default `""`: the instance of a job without `instance`).
   * @returns The instance, with its status read.
   * @throws {UnknownInstanceError} when there is no such instance (the job is stopped).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System, UnknownInstanceError } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/tty.conf`, "instance $TTY\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const tty = await system.job("tty");
   * await tty.start({ env: { TTY: "tty1" } });
   * assert.equal((await tty.instance("tty1")).state, "running");
   * await assert.rejects(tty.instance("tty2"), UnknownInstanceError);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async instance(name = ""): Promise<Instance> {
    assertInstanceName(name);
    const [path] = await this.#call("GetInstanceByName", [name]);
    const inst = await this.#instanceAt(path);
    return inst.name === name ? inst : new Instance(this, name, undefined, path);
  }

  /**
   * The instance an environment selects (`GetInstance`): for an instance job,
   * the one whose `instance` stanza expands to a name with that environment.
   *
   * @param env The environment.
   * @returns The instance, with its status read.
   * @throws {UnknownInstanceError} when it does not exist; {InvalidEnvError} for a bad environment.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/tty.conf`, "instance $TTY\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const tty = await system.job("tty");
   * await tty.start({ env: { TTY: "tty1" } });
   * const inst = await tty.instanceFor({ TTY: "tty1" }); // `instance $TTY` expands to tty1
   * assert.equal(inst.name, "tty1");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async instanceFor(env: Env = {}): Promise<Instance> {
    const [path] = await this.#call("GetInstance", [toEnvList(env)]);
    return await this.#instanceAt(path);
  }

  /** The arguments of Start, Stop or Restart, and how the call goes. */
  #control(options: JobControlOptions): [[string[], boolean], InvokeOptions] {
    const wait = options.wait ?? true;
    if (typeof wait !== "boolean") throw new TypeError("Invalid wait option: expected a boolean");
    return [[toEnvList(options.env), wait], {
      wait,
      timeout: options.timeout,
      signal: options.signal,
    }];
  }

  /**
   * Starts an instance (`Job.Start`), waiting until it runs unless `wait: false`.
   *
   * @param options `env`, `wait` (default `true`), `timeout` and `signal` (stops waiting when it aborts).
   * @returns The started instance.
   * @throws {AlreadyStartedError}; {JobFailedError} when a waited start fails; {InvalidEnvError}.
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
   * const inst = await (await system.job("web")).start();
   * assert.equal(inst.state, "running");
   * assert.equal(inst.processes[0].type, "main");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async start(options: JobControlOptions = {}): Promise<Instance> {
    const [path] = await this.#call("Start", ...this.#control(options));
    return await this.#instanceAt(path);
  }

  /**
   * Stops an instance (`Job.Stop`), waiting until it has stopped unless `wait: false`.
   *
   * @param options `env` (selects the instance), `wait` (default `true`), `timeout` and `signal`.
   * @throws {UnknownInstanceError} when it is not running; {AlreadyStoppedError} when already stopping.
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
   * const web = await system.job("web");
   * await web.start();
   * await web.stop();
   * assert.deepEqual(await web.status(), []);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async stop(options: JobControlOptions = {}): Promise<void> {
    await this.#call("Stop", ...this.#control(options));
  }

  /**
   * Restarts an instance (`Job.Restart`): stops it and starts it again.
   *
   * @param options `env`, `wait` (default `true`), `timeout` and `signal` (stops waiting when it aborts).
   * @returns The instance.
   * @throws {UnknownInstanceError} when it is not running.
   * @example A new main process
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
   * const web = await system.job("web");
   * const before = (await web.start()).processes[0].pid;
   * const after = (await web.restart()).processes[0].pid;
   * assert.notEqual(after, before);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async restart(options: JobControlOptions = {}): Promise<Instance> {
    const [path] = await this.#call("Restart", ...this.#control(options));
    return await this.#instanceAt(path);
  }

  /**
   * Sends the reload signal to the main process of the instance `env` selects
   * (`Instance.Reload`; before Upstart 1.10, SIGHUP sent from here, as initctl does), like
   * `initctl reload`.
   *
   * @param options `env` selects the instance.
   * @throws {UnknownInstanceError} when not running; {NotRunningError}; {UnsupportedError}
   * before 1.10 on a daemon reached over ssh.
   * @example A process that handles SIGHUP keeps running
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, `
   * script
   *   trap : HUP # reloads on SIGHUP, as a daemon does
   *   while sleep 1; do :; done
   * end script
   * `);
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const web = await system.job("web");
   * const { pid } = (await web.start()).processes[0];
   * await web.reload();
   * assert.equal((await web.status())[0].processes[0].pid, pid);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async reload(options: { readonly env?: Env } = {}): Promise<void> {
    // Over ssh, an old daemon's processes cannot be signalled from here: fail before any call.
    const client = clientOf(this.system);
    if (client.remote) client.require("instance.Reload");
    const inst = await this.instanceFor(options.env ?? {});
    await inst.reload();
  }

  /**
   * Closes the connection if it was made for this job ({@linkcode System.openJob}); otherwise
   * nothing.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { ConnectionClosedError } from "@upstart/upstart/dbus";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   *
   * const web = await System.openJob("web", { address: bus.address });
   * await web.close(); // closes the connection openJob made
   * await assert.rejects(web.status(), ConnectionClosedError);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async close(): Promise<void> {
    if (ownsSystem(this)) await this.system.close();
  }

  /** Same as {@linkcode Job.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * What `JSON.stringify` shows: the job's name, path and properties (not the connection).
   *
   * @returns A plain object.
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
   * const web = JSON.parse(JSON.stringify(await system.job("web")));
   * assert.equal(web.name, "web");
   * assert.equal(web.description, "A web server");
   * assert.equal(web.path, "/com/ubuntu/Upstart/jobs/web");
   * assert.equal(web.system, undefined); // not the connection
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  toJSON(): JobInfo & { readonly path: string } {
    return { ...this.#info, path: this.path };
  }

  /**
   * What `console.log` shows: `Job { name, path, description, ... }`.
   *
   * @param inspect Deno's inspector.
   * @param options Its options (depth, colors...).
   * @returns The text.
   */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return `Job ${inspect(this.toJSON(), options)}`;
  }
}
