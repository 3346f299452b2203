/**
 * One instance of a job (`/com/ubuntu/Upstart/jobs/JOB/INSTANCE`): its goal,
 * state and processes, its controls, and `waitFor`, built on the
 * `StateChanged`/`GoalChanged` signals and subscribed before anything is done.
 *
 * @module
 */

import type { SignalMessage, Subscription } from "../ffi/mod.ts";
import { type Client, clientOf, isNoSuchObject } from "./_client.ts";
import { JobFailedError, UnknownInstanceError, WaitTimeoutError } from "./errors.ts";
import type { Job } from "./job.ts";
import { escapePathElement, INSTANCE_INTERFACE, JOB_INTERFACE } from "./names.ts";

import { type Goal, type State, STATES } from "./states.ts";

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
}

/** Options of {@linkcode Instance.waitFor}. */
export interface WaitOptions {
  /** Milliseconds to wait (default: no limit). */
  readonly timeout?: number;
  /** Run once subscribed (so no transition it causes is missed), e.g. `() => inst.restart({ wait: false })`. */
  readonly trigger?: () => unknown;
}

/** Turns a `GetAll` dictionary into an {@linkcode InstanceStatus}. */
export function toInstanceStatus(props: Record<string, unknown>): InstanceStatus {
  const processes = (props.processes as [string, number][] | undefined) ?? [];
  return {
    name: String(props.name ?? ""),
    goal: String(props.goal ?? "stop") as Goal,
    state: String(props.state ?? "waiting") as State,
    processes: processes.map(([type, pid]) => ({ type, pid })),
  };
}

/**
 * Reads the status of the instance at `path` (`GetAll`), or `null` when the object no longer
 * exists: the instance stopped in between. `run` wraps the call (a limiter, in `statusAll`).
 */
export async function readInstanceStatus(
  client: Client,
  path: string,
  run: (call: () => Promise<Record<string, unknown>>) => Promise<Record<string, unknown>> = (
    call,
  ) => call(),
): Promise<InstanceStatus | null> {
  try {
    return toInstanceStatus(await run(() => client.getAll(path, INSTANCE_INTERFACE)));
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
 * ```ts no-eval
 * import { System } from "@upstart/upstart";
 * await using system = await System.connect();
 * const inst = await (await system.job("ssh")).instance();
 * await inst.waitFor("running", { timeout: 10_000, trigger: () => inst.restart({ wait: false }) });
 * console.log(inst.state, inst.processes);
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
   * ```ts no-eval
   * import { Instance, System } from "@upstart/upstart";
   * await using system = await System.connect();
   * const inst = new Instance(await system.job("tty"), "tty1");
   * console.log(await inst.status());
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
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * const inst = await (await system.job("cron")).instance();
   * console.log((await inst.status()).processes);
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

  async #control(member: string, options: ControlOptions): Promise<void> {
    const wait = options.wait ?? true;
    if (typeof wait !== "boolean") throw new TypeError("Invalid wait option: expected a boolean");
    try {
      await clientOf(this.job.system).control(
        this.path,
        INSTANCE_INTERFACE,
        member,
        "b",
        [wait],
        wait,
        options.timeout,
      );
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
   * @param options `wait` (default `true`) and `timeout`.
   * @throws {AlreadyStartedError} when it is already started; {JobFailedError} when a waited start fails.
   * @example
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * const inst = await (await system.job("tty")).instance("tty1");
   * await inst.start();
   * ```
   */
  start(options: ControlOptions = {}): Promise<void> {
    return this.#control("Start", options);
  }

  /**
   * Sets the goal to stop (`Instance.Stop`).
   *
   * @param options `wait` (default `true`) and `timeout`.
   * @throws {AlreadyStoppedError} when it is already stopping; {UnknownInstanceError} when it is gone.
   * @example
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await (await (await system.job("tty")).instance("tty1")).stop();
   * ```
   */
  stop(options: ControlOptions = {}): Promise<void> {
    return this.#control("Stop", options);
  }

  /**
   * Stops and starts again (`Instance.Restart`).
   *
   * @param options `wait` (default `true`) and `timeout`.
   * @example
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await (await (await system.job("cron")).instance()).restart();
   * ```
   */
  restart(options: ControlOptions = {}): Promise<void> {
    return this.#control("Restart", options);
  }

  /**
   * Sends the job's reload signal (SIGHUP unless `reload signal` says otherwise)
   * to the main process (`Instance.Reload`, Upstart 1.10 and later).
   *
   * @throws {NotRunningError} when it is not running; {UnsupportedError} on older daemons.
   * @example
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * await (await (await system.job("rsyslog")).instance()).reload();
   * ```
   */
  async reload(): Promise<void> {
    const client = clientOf(this.job.system);
    client.require("instance.Reload");
    try {
      await client.call(this.path, INSTANCE_INTERFACE, "Reload");
    } catch (e) {
      throw this.#gone(e);
    }
  }

  /**
   * Waits until the instance reaches a state, or until `predicate` holds.
   * Subscribes to `GoalChanged`/`StateChanged` first, then runs `trigger` (if
   * given; else reads the current status), so no transition is missed.
   *
   * @param target A state (`"running"`), or a predicate of the status.
   * @param options `timeout` in milliseconds and a `trigger` to run once subscribed.
   * @returns The status that satisfied the target.
   * @throws {WaitTimeoutError} after `timeout`; {JobFailedError} or
   * {UnknownInstanceError} when the instance goes away (fails or stops) first.
   * @example
   * ```ts no-eval
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * const job = await system.job("web");
   * const inst = await job.start({ wait: false });
   * await inst.waitFor("running", { timeout: 5000 });
   * ```
   */
  async waitFor(
    target: State | ((status: InstanceStatus) => boolean),
    options: WaitOptions = {},
  ): Promise<InstanceStatus> {
    if (typeof target === "string") {
      if (!(STATES as readonly string[]).includes(target)) {
        throw new RangeError(
          `Invalid state ${JSON.stringify(target)}: expected one of ${STATES.join(", ")}`,
        );
      }
    } else if (typeof target !== "function") {
      throw new TypeError("Invalid target: expected a state or a predicate");
    }
    const { timeout, trigger } = options;
    if (timeout !== undefined && !(timeout >= 0)) {
      throw new RangeError(`Invalid timeout ${timeout}: expected milliseconds (0 or more)`);
    }
    const client = clientOf(this.job.system);
    client.require("instance.StateChanged");
    const test = typeof target === "function" ? target : (s: InstanceStatus) => s.state === target;
    const describeTarget = typeof target === "function"
      ? "the awaited status"
      : `state "${target}"`;
    let settle!: { resolve(s: InstanceStatus): void; reject(e: unknown): void };
    const done = new Promise<InstanceStatus>((resolve, reject) => settle = { resolve, reject });
    let finished = false;
    let failedStatus: number | null = null;
    const check = (status: InstanceStatus) => {
      if (finished) return;
      this.#status = status;
      let ok: boolean;
      try {
        ok = test(status);
      } catch (e) {
        finished = true;
        settle.reject(e);
        return;
      }
      if (ok) {
        finished = true;
        settle.resolve(status);
      }
    };
    const refresh = () => {
      if (finished) return;
      this.#read().then(({ status, gone }) => {
        check(status);
        // Gone already (a fast failure, or stopped before we looked): nothing more will come.
        if (gone) removed();
      }, (e) => {
        if (!finished) (finished = true, settle.reject(e));
      });
    };
    const onInstance = (signal: SignalMessage) => {
      if (signal.member === "GoalChanged") {
        const status = { ...this.#status, goal: signal.body[0] as Goal };
        // A state target is judged on state changes only: right after GoalChanged the old state
        // still shows, and `waitFor("running", { trigger: restart })` must not settle on it.
        if (typeof target === "function") check(status);
        else this.#status = status;
      } else if (signal.member === "StateChanged") {
        check({ ...this.#status, state: signal.body[0] as State });
        // An instance reaches waiting only to be destroyed, and Upstart sends no InstanceRemoved
        // when its job's file was deleted or replaced meanwhile: waiting is the end either way.
        if (signal.body[0] === "waiting") return removed();
        // A predicate may look at the processes: fetch them after each transition.
        if (typeof target === "function") refresh();
      } else if (signal.member === "Failed") {
        failedStatus = signal.body[0] as number;
      }
    };
    const onRemoved = (signal: SignalMessage) => {
      if (signal.body[0] !== this.path || finished) return;
      check(stopped(this.name));
      removed();
    };
    const removed = () => {
      if (finished) return;
      finished = true;
      const where = `Instance ${JSON.stringify(this.name)} of job ${JSON.stringify(this.job.name)}`;
      settle.reject(
        failedStatus !== null
          ? new JobFailedError(
            `${where} failed (${failureText(failedStatus)}) before reaching ${describeTarget}`,
          )
          : new UnknownInstanceError(`${where} stopped before reaching ${describeTarget}`),
      );
    };
    const subs: Subscription[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      subs.push(
        await client.subscribe({ path: this.path, interface: INSTANCE_INTERFACE }, onInstance),
        await client.subscribe(
          { path: this.job.path, interface: JOB_INTERFACE, member: "InstanceRemoved" },
          onRemoved,
        ),
      );
      if (timeout !== undefined && timeout !== Infinity) {
        timer = setTimeout(() => {
          if (finished) return;
          finished = true;
          settle.reject(
            new WaitTimeoutError(
              `Timed out after ${timeout} ms waiting for instance ${
                JSON.stringify(this.name)
              } of job ${JSON.stringify(this.job.name)} to reach ${describeTarget} ` +
                `(last seen: goal ${this.#status.goal}, state ${this.#status.state})`,
            ),
          );
        }, timeout);
      }
      if (trigger) {
        // The trigger's own failure (AlreadyStarted...) is the caller's answer.
        await Promise.race([Promise.resolve(trigger()), done]);
      }
      refresh();
      return await done;
    } finally {
      finished = true;
      clearTimeout(timer);
      await Promise.all(subs.map((s) => s.unsubscribe().catch(() => {})));
    }
  }

  /**
   * What `JSON.stringify` shows: the job and instance names, the path, and the goal, state and
   * processes as last seen (not the connection).
   *
   * @returns A plain object.
   * @example
   * ```ts ignore
   * import { System } from "@upstart/upstart";
   * await using system = await System.connect();
   * const inst = await (await system.job("cron")).instance();
   * console.log(JSON.stringify(inst)); // {"job":"cron","name":"","path":...,"goal":"start",...}
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

/**
 * Explains the status of a `Failed` signal: -1, an exit status, a signal << 8, or 0 when
 * the job was respawning too fast (`respawn limit`: no process failed, the job gave up).
 *
 * @param status The signal's value.
 * @returns `could not be spawned`, `respawning too fast`, `exit status N` or `killed by signal N`.
 *
 * @example
 * ```ts
 * import { failureText } from "@upstart/upstart";
 * console.assert(failureText(256) === "killed by signal 1");
 * ```
 */
export function failureText(status: number): string {
  if (status === -1) return "could not be spawned";
  if (status === 0) return "respawning too fast";
  if (status >= 256 && status % 256 === 0) return `killed by signal ${status >> 8}`;
  return `exit status ${status}`;
}
