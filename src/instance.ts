/**
 * One instance of a job (`/com/ubuntu/Upstart/jobs/JOB/INSTANCE`): its goal,
 * state and processes, its controls, and `waitFor`, built on the
 * `StateChanged`/`GoalChanged` signals and subscribed before anything is done.
 *
 * @module
 */

import {
  ConnectionClosedError,
  type SignalMessage,
  signalProcess,
  type Subscription,
} from "../ffi/mod.ts";
import {
  assertSignal,
  type Client,
  clientOf,
  isNoSuchObject,
  oneOf,
  signalValues,
} from "./_client.ts";
import {
  JobFailedError,
  NotRunningError,
  UnknownInstanceError,
  WaitTimeoutError,
} from "./errors.ts";
import type { Properties } from "./interface.ts";
import { hasFeature } from "./versions.ts";
import type { Job } from "./job.ts";
import { escapePathElement, INSTANCE_INTERFACE, JOB_INTERFACE } from "./names.ts";

import { type Goal, GOALS, type State, STATES } from "./states.ts";

/** SIGHUP's number on Linux, where Upstart runs. */
const SIGHUP = 1;

/** A process of an instance. */
export interface ProcessInfo {
  /** `main`, `pre-start`, `post-start`, `pre-stop` or `post-stop`. */
  readonly type: string;
  /** Its pid. */
  readonly pid: number;
}

/** What Upstart says about an instance. */
export interface InstanceStatus {
  /** The instance name (`""` for a job without `instance`). */
  readonly name: string;
  /** `start` or `stop` (`respawn` briefly, while respawning). */
  readonly goal: Goal;
  /** The state. */
  readonly state: State;
  /** The running processes. */
  readonly processes: readonly ProcessInfo[];
}

/** Options of start, stop and restart. */
export interface ControlOptions {
  /** Wait until the instance has reached its goal (default `true`, as initctl). */
  readonly wait?: boolean;
  /**
   * Milliseconds the call may take: with `wait`, no limit by default (as initctl) and a
   * `WaitTimeoutError` when it runs out; without, the connection's timeout.
   */
  readonly timeout?: number;
  /**
   * Stops waiting when it aborts: the call rejects with `signal.reason`. Upstart goes on with
   * the job (as when initctl is interrupted).
   */
  readonly signal?: AbortSignal;
}

/** Options of {@linkcode Instance.waitFor}. */
export interface WaitOptions {
  /** Milliseconds to wait (default: no limit). */
  readonly timeout?: number;
  /** Run once subscribed (so no transition it causes is missed), e.g. `() => inst.restart({ wait: false })`. */
  readonly trigger?: () => unknown;
  /** Stops waiting when it aborts: `waitFor` rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
}

/** Turns the properties `GetAll` read into an {@linkcode InstanceStatus}. */
export function toInstanceStatus(props: Properties<"instance">): InstanceStatus {
  return {
    name: props.name ?? "",
    goal: oneOf(GOALS, props.goal ?? "stop", "goal"),
    state: oneOf(STATES, props.state ?? "waiting", "state"),
    processes: (props.processes ?? []).map(([type, pid]) => ({ type, pid })),
  };
}

/**
 * Reads the status of the instance at `path` (`GetAll`), or `null` when the object no longer
 * exists: the instance stopped in between. `run` wraps the call (a limiter, in `statusAll`).
 */
export async function readInstanceStatus(
  client: Client,
  path: string,
  run: (call: () => Promise<Properties<"instance">>) => Promise<Properties<"instance">> = (
    call,
  ) => call(),
): Promise<InstanceStatus | null> {
  try {
    return toInstanceStatus(await run(() => client.getAll("instance", path)));
  } catch (e) {
    if (isNoSuchObject(e)) return null;
    throw e;
  }
}

function stopped(name: string): InstanceStatus {
  return { name, goal: "stop", state: "waiting", processes: [] };
}

/**
 * An instance of a job. Get one from {@linkcode Job.instance},
 * {@linkcode Job.instances}, {@linkcode Job.instanceFor} or {@linkcode Job.start}.
 *
 * @example Restart an instance and wait until it runs again
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
 * const restart = () => inst.restart({ wait: false });
 * const status = await inst.waitFor("running", { timeout: 10_000, trigger: restart });
 * assert.equal(status.state, "running");
 * await Deno.remove(jobDir, { recursive: true });
 * ```
 */
export class Instance {
  /** The job. */
  readonly job: Job;
  /** The instance name (`""` for a job without `instance`). */
  readonly name: string;
  /** Its object path. */
  readonly path: string;
  #status: InstanceStatus;

  /**
   * Makes the handle of an instance; no call is made.
   *
   * @param job The job.
   * @param name The instance name.
   * @param status What is known of it (default: unknown, shown as stopped).
   * @param path Its object path (default: built from the job's path).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Instance, System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/tty.conf`, "instance $TTY\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const tty = await system.job("tty");
   * await tty.start({ env: { TTY: "tty1" } });
   * const tty1 = new Instance(tty, "tty1");
   * assert.equal(tty1.state, "waiting"); // nothing read yet
   * assert.equal((await tty1.status()).state, "running");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  constructor(job: Job, name: string, status?: InstanceStatus, path?: string) {
    this.job = job;
    this.name = name;
    this.path = path ?? `${job.path}/${escapePathElement(name)}`;
    this.#status = status ?? stopped(name);
  }

  /** The goal, as last seen. */
  get goal(): Goal {
    return this.#status.goal;
  }

  /** The state, as last seen. */
  get state(): State {
    return this.#status.state;
  }

  /** The processes, as last seen. */
  get processes(): readonly ProcessInfo[] {
    return this.#status.processes;
  }

  /**
   * Reads the instance's goal, state and processes (and remembers them).
   * An instance that no longer exists has stopped: goal `stop`, state `waiting`.
   *
   * @returns The status.
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
   * const inst = await web.start();
   * assert.equal((await inst.status()).processes[0].type, "main");
   * await web.stop();
   * assert.equal((await inst.status()).state, "waiting"); // gone: it has stopped
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async status(): Promise<InstanceStatus> {
    return (await this.#read()).status;
  }

  /** Reads the status; `gone` when the instance object no longer exists. */
  async #read(): Promise<{ status: InstanceStatus; gone: boolean }> {
    const status = await readInstanceStatus(clientOf(this.job.system), this.path);
    this.#status = status ?? stopped(this.name);
    return { status: this.#status, gone: status === null };
  }

  async #control(member: "Start" | "Stop" | "Restart", options: ControlOptions): Promise<void> {
    const wait = options.wait ?? true;
    if (typeof wait !== "boolean") throw new TypeError("Invalid wait option: expected a boolean");
    try {
      await clientOf(this.job.system).invoke("instance", this.path, member, [wait], {
        wait,
        timeout: options.timeout,
        signal: options.signal,
      });
    } catch (e) {
      throw this.#gone(e);
    }
    await this.status();
  }

  #gone(e: unknown): unknown {
    return isNoSuchObject(e)
      ? new UnknownInstanceError(`Unknown instance: ${this.name}`, { cause: e })
      : e;
  }

  /**
   * Sets the goal to start (`Instance.Start`).
   *
   * @param options `wait` (default `true`), `timeout` and `signal` (stops waiting when it aborts).
   * @throws {AlreadyStartedError} when it is already started; {JobFailedError} when a waited start fails.
   * @example Take back a stop while pre-stop runs
   * ```ts
   * import assert from "node:assert/strict";
   * import { System } from "@upstart/upstart";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "pre-stop exec sleep 1\nexec sleep 60\n");
   * await using bus = await startPrivateBus();
   * await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   * await using system = await System.connect({ address: bus.address });
   *
   * const inst = await (await system.job("web")).start();
   * await inst.stop({ wait: false }); // goal stop: pre-stop runs for a second
   * await inst.start(); // goal start again: it keeps running
   * assert.equal(inst.state, "running");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  start(options: ControlOptions = {}): Promise<void> {
    return this.#control("Start", options);
  }

  /**
   * Sets the goal to stop (`Instance.Stop`).
   *
   * @param options `wait` (default `true`), `timeout` and `signal` (stops waiting when it aborts).
   * @throws {AlreadyStoppedError} when it is already stopping; {UnknownInstanceError} when it is gone.
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
   * await inst.stop();
   * assert.equal(inst.state, "waiting");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  stop(options: ControlOptions = {}): Promise<void> {
    return this.#control("Stop", options);
  }

  /**
   * Stops and starts again (`Instance.Restart`).
   *
   * @param options `wait` (default `true`), `timeout` and `signal` (stops waiting when it aborts).
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
   * const inst = await (await system.job("web")).start();
   * const before = inst.processes[0].pid;
   * await inst.restart();
   * assert.notEqual(inst.processes[0].pid, before);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  restart(options: ControlOptions = {}): Promise<void> {
    return this.#control("Restart", options);
  }

  /**
   * Sends the job's reload signal (SIGHUP unless `reload signal` says otherwise)
   * to the main process (`Instance.Reload`, Upstart 1.10 and later). Before 1.10 Upstart has no
   * `Reload`: as initctl does then, SIGHUP is sent to the main process directly, which needs a
   * daemon on this machine and the right to signal the process.
   *
   * @throws {NotRunningError} when it is not running (or, before 1.10, its main process cannot
   * be signalled); {UnsupportedError} before 1.10 on a daemon reached over ssh.
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
   * const inst = await (await system.job("web")).start();
   * const { pid } = inst.processes[0];
   * await inst.reload();
   * assert.deepEqual((await inst.status()).processes, [{ type: "main", pid }]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async reload(): Promise<void> {
    const client = clientOf(this.job.system);
    if (!hasFeature(client.version, "instance.Reload") && !client.remote) {
      return await this.#hangUp();
    }
    client.require("instance.Reload");
    try {
      await client.invoke("instance", this.path, "Reload", []);
    } catch (e) {
      throw this.#gone(e);
    }
  }

  /** initctl's reload before Upstart 1.10: SIGHUP to the main process, from here. */
  async #hangUp(): Promise<void> {
    const main = (await this.status()).processes[0];
    // initctl's own message (reload_action, Upstart 1.9).
    if (main?.type !== "main") throw new NotRunningError("Not running");
    if (!signalProcess(main.pid, SIGHUP)) {
      throw new NotRunningError(
        `Cannot send SIGHUP to process ${main.pid}: it has gone or is not ours`,
      );
    }
  }

  /**
   * Waits until the instance reaches a state, or until `predicate` holds.
   * Subscribes to `GoalChanged`/`StateChanged` first, then runs `trigger` (if
   * given; else reads the current status), so no transition is missed.
   *
   * @param target A state (`"running"`), or a predicate of the status.
   * @param options `timeout` in milliseconds, a `trigger` to run once subscribed, and a `signal`
   * that stops the wait when it aborts.
   * @returns The status that satisfied the target.
   * @throws {WaitTimeoutError} after `timeout`; `signal.reason` when it aborts; {JobFailedError} or
   * {UnknownInstanceError} when the instance goes away (fails or stops) first.
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
   * const inst = await (await system.job("web")).start({ wait: false });
   * const status = await inst.waitFor("running", { timeout: 5000 });
   * assert.equal(status.processes[0].type, "main");
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  async waitFor(
    target: State | ((status: InstanceStatus) => boolean),
    options: WaitOptions = {},
  ): Promise<InstanceStatus> {
    if (typeof target === "string") {
      if (!STATES.some((s) => s === target)) {
        throw new RangeError(
          `Invalid state ${JSON.stringify(target)}: expected one of ${STATES.join(", ")}`,
        );
      }
    } else if (typeof target !== "function") {
      throw new TypeError("Invalid target: expected a state or a predicate");
    }
    const { timeout, trigger, signal } = options;
    if (timeout !== undefined && !(timeout >= 0)) {
      throw new RangeError(`Invalid timeout ${timeout}: expected milliseconds (0 or more)`);
    }
    assertSignal(signal);
    signal?.throwIfAborted();
    const client = clientOf(this.job.system);
    client.require("instance.StateChanged");
    const goal = typeof target === "function" ? "the awaited status" : `state "${target}"`;
    // Subscribed before anything happens (the trigger, the first read): no transition is missed.
    await using inbox = await this.#subscribe(client);
    signal?.throwIfAborted(); // aborted while subscribing: the trigger does not run
    const timer = timeout === undefined || timeout === Infinity
      ? undefined
      : setTimeout(() => inbox.stop(this.#timedOut(timeout, goal)), timeout);
    const abort = () => inbox.stop(signal?.reason);
    signal?.addEventListener("abort", abort, { once: true });
    try {
      // The trigger's own failure (AlreadyStarted...) is the caller's answer.
      if (trigger) await Promise.race([trigger(), inbox.stopped]);
      return await this.#follow(inbox, target, goal);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
    }
  }

  /** This instance's signals, and its removal, queued as they arrive. */
  async #subscribe(client: Client): Promise<Inbox<Update>> {
    const inbox = new Inbox<Update>();
    // The connection gone: nothing more can come, so the wait ends rather than hangs.
    const ended = (reason: Error | null) =>
      inbox.stop(reason ?? new ConnectionClosedError("The connection was closed during the wait"));
    try {
      inbox.hold(
        await client.subscribe(
          { path: this.path, interface: INSTANCE_INTERFACE },
          (signal) => inbox.push({ signal }),
          ended,
        ),
      );
      inbox.hold(
        await client.subscribe(
          { path: this.job.path, interface: JOB_INTERFACE, member: "InstanceRemoved" },
          (signal) => {
            if (signalValues("job", "InstanceRemoved", signal)?.[0] === this.path) {
              inbox.push({ signal });
            }
          },
        ),
      );
    } catch (e) {
      await inbox[Symbol.asyncDispose]();
      throw e;
    }
    return inbox;
  }

  /**
   * Follows the instance until `target` holds. Each update is a signal, or a fresh read of the
   * status (at the start, and after each transition when the target is a predicate, which may
   * look at the processes), taken in the order they arrive.
   */
  async #follow(
    inbox: Inbox<Update>,
    target: State | ((status: InstanceStatus) => boolean),
    goal: string,
  ): Promise<InstanceStatus> {
    const predicate = typeof target === "function";
    const reached = predicate ? target : (s: InstanceStatus) => s.state === target;
    let failed: number | null = null;
    const refresh = () => {
      this.#read().then((read) => inbox.push({ read }), (error) => inbox.push({ error }));
    };
    refresh();
    for (;;) {
      const update = await inbox.next();
      if ("error" in update) throw update.error;
      if ("read" in update) {
        if (reached(update.read.status)) return update.read.status;
        // Gone already (a fast failure, or stopped before we looked): nothing more will come.
        if (update.read.gone) throw this.#ended(failed, goal);
        continue;
      }
      const { signal } = update;
      const goalChanged = signalValues("instance", "GoalChanged", signal);
      const stateChanged = signalValues("instance", "StateChanged", signal);
      const failure = signalValues("instance", "Failed", signal);
      if (goalChanged) {
        this.#status = { ...this.#status, goal: oneOf(GOALS, goalChanged[0], "goal") };
        // A state target is judged on state changes only: right after GoalChanged the old
        // state still shows, and `waitFor("running", { trigger: restart })` must not settle on it.
        if (predicate && reached(this.#status)) return this.#status;
      } else if (stateChanged) {
        this.#status = { ...this.#status, state: oneOf(STATES, stateChanged[0], "state") };
        if (reached(this.#status)) return this.#status;
        // An instance reaches waiting only to be destroyed, and Upstart sends no InstanceRemoved
        // when its job's file was deleted or replaced meanwhile: waiting is the end either way.
        if (this.#status.state === "waiting") throw this.#ended(failed, goal);
        if (predicate) refresh();
      } else if (failure) {
        failed = failure[0];
      } else if (signalValues("job", "InstanceRemoved", signal)) {
        this.#status = stopped(this.name);
        if (reached(this.#status)) return this.#status;
        throw this.#ended(failed, goal);
      }
    }
  }

  /** Why a wait ended without reaching its goal: the instance failed, or it stopped. */
  #ended(failed: number | null, goal: string): Error {
    const where = `Instance ${JSON.stringify(this.name)} of job ${JSON.stringify(this.job.name)}`;
    return failed !== null
      ? new JobFailedError(`${where} failed (${failureText(failed)}) before reaching ${goal}`)
      : new UnknownInstanceError(`${where} stopped before reaching ${goal}`);
  }

  #timedOut(timeout: number, goal: string): Error {
    return new WaitTimeoutError(
      `Timed out after ${timeout} ms waiting for instance ${JSON.stringify(this.name)} of job ${
        JSON.stringify(this.job.name)
      } to reach ${goal} (last seen: goal ${this.#status.goal}, state ${this.#status.state})`,
    );
  }

  /**
   * What `JSON.stringify` shows: the job and instance names, the path, and the goal, state and
   * processes as last seen (not the connection).
   *
   * @returns A plain object.
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
   * const { job, name, state } = JSON.parse(JSON.stringify(inst));
   * assert.deepEqual([job, name, state], ["web", "", "running"]);
   * await Deno.remove(jobDir, { recursive: true });
   * ```
   */
  toJSON(): InstanceStatus & { readonly job: string; readonly path: string } {
    const { goal, state, processes } = this.#status;
    return { job: this.job.name, name: this.name, path: this.path, goal, state, processes };
  }

  /**
   * What `console.log` shows: `Instance { job, name, path, goal, state, processes }`.
   *
   * @param inspect Deno's inspector.
   * @param options Its options (depth, colors...).
   * @returns The text.
   */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options?: unknown) => string,
    options?: unknown,
  ): string {
    return `Instance ${inspect(this.toJSON(), options)}`;
  }
}

/** What `waitFor` follows: a signal, a status read, or a failed read. */
type Update =
  | { readonly signal: SignalMessage }
  | { readonly read: { readonly status: InstanceStatus; readonly gone: boolean } }
  | { readonly error: unknown };

/**
 * A queue of what arrived, read one at a time; `stop(reason)` ends the reading with `reason`
 * (a timeout, an abort). Disposing it ends its subscriptions.
 */
class Inbox<T> implements AsyncDisposable {
  readonly #items: T[] = [];
  readonly #subscriptions: Subscription[] = [];
  #wake: (() => void) | null = null;
  #stop: { reason: unknown } | null = null;
  readonly #stopped = Promise.withResolvers<never>();

  constructor() {
    this.#stopped.promise.catch(() => {}); // read by whoever races it
  }

  /** Rejects with the stop reason once stopped. */
  get stopped(): Promise<never> {
    return this.#stopped.promise;
  }

  /** Ends `subscription` with the inbox. */
  hold(subscription: Subscription): void {
    this.#subscriptions.push(subscription);
  }

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  stop(reason: unknown): void {
    if (this.#stop) return;
    this.#stop = { reason };
    this.#stopped.reject(reason);
    this.#wake?.();
  }

  /** The next item; rejects with the stop reason once stopped. */
  async next(): Promise<T> {
    for (;;) {
      if (this.#stop) throw this.#stop.reason;
      const item = this.#items.shift();
      if (item !== undefined) return item;
      await new Promise<void>((resolve) => this.#wake = resolve);
      this.#wake = null;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#subscriptions.map((s) => s.unsubscribe().catch(() => {})));
  }
}

/**
 * Explains the status of a `Failed` signal: -1, an exit status, a signal << 8, or 0 when
 * the job was respawning too fast (`respawn limit`: no process failed, the job gave up).
 *
 * @param status The signal's value.
 * @returns `could not be spawned`, `respawning too fast`, `exit status N` or `killed by signal N`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureText } from "@upstart/upstart";
 * assert.equal(failureText(256), "killed by signal 1");
 * assert.equal(failureText(1), "exit status 1");
 * assert.equal(failureText(-1), "could not be spawned");
 * ```
 */
export function failureText(status: number): string {
  if (status === -1) return "could not be spawned";
  if (status === 0) return "respawning too fast";
  if (status >= 256 && status % 256 === 0) return `killed by signal ${status >> 8}`;
  return `exit status ${status}`;
}
