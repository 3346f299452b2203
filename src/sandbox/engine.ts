/**
 * The sandbox's init: job classes, instances, the event queue and the session environment, with
 * Upstart's semantics (`init/event.c`, `init/job_class.c`, `init/control.c`). No D-Bus here: the
 * adapter turns hooks into signals and these methods into replies.
 *
 * @module
 */

import {
  envAdd,
  envAllValid,
  envAppend,
  envExpand,
  envGet,
  envSet,
  ExpandError,
} from "./environ.ts";
import { invalidArgs, upstartError } from "./errors.ts";
import { type Blocked, SandboxEvent } from "./events.ts";
import { type JobHooks, type JobHost, JobInstance } from "./job.ts";
import type { JobClass } from "./job_class.ts";
import type { Goal } from "../states.ts";
import { activeEvents, type EventRefs, handle, reset } from "./operator.ts";
import { nihHashOrder } from "./nih_hash.ts";
import { spawnJobProcess } from "./process.ts";

/** Everything the engine reports. */
export interface EngineHooks extends JobHooks {
  /** `JobAdded`. */
  jobAdded(cls: JobClass): void;
  /** `JobRemoved`. */
  jobRemoved(cls: JobClass): void;
  /** `InstanceAdded`. */
  instanceAdded(job: JobInstance): void;
  /** `InstanceRemoved`. */
  instanceRemoved(job: JobInstance): void;
  /** `EventEmitted` (sent when the event has finished). */
  eventEmitted(event: SandboxEvent): void;
}

/** Options of {@linkcode Engine}. */
export interface EngineOptions {
  /** Signals and log lines. */
  readonly hooks: EngineHooks;
  /** Directory for `console log` output (`null`: output is discarded). */
  readonly logDir?: string | null;
  /** Start the session environment from our whole environment (default: only PATH and TERM). */
  readonly inheritEnv?: boolean;
  /** Do not respawn (Upstart's `--no-respawn`). */
  readonly disableRespawn?: boolean;
}

/** What a start/stop/restart call gives back: the instance, and when waiting, its outcome. */
export interface Outcome {
  /** The instance acted on. */
  readonly job: JobInstance;
  /** With wait: settles when the goal is reached; rejects with `JobFailed`. */
  readonly done: Promise<void> | null;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The engine: what Upstart's `init` holds in memory. */
export class Engine implements JobHost, EventRefs {
  /** Signals and log lines. */
  readonly hooks: EngineHooks;
  /** Respawn is disabled. */
  readonly disableRespawn: boolean;
  /** Where `console log` output goes. */
  readonly logDir: string | null;
  /** Spawns job processes (replaceable for instrumentation). */
  spawn: typeof spawnJobProcess = spawnJobProcess;
  readonly #registered = new Map<string, JobClass>();
  readonly #best = new Map<string, JobClass>();
  readonly #events: SandboxEvent[] = [];
  #environ: string[] = [];
  readonly #inheritEnv: boolean;
  #pollScheduled = false;
  #closed = false;

  /** Makes an engine with no jobs. */
  constructor(options: EngineOptions) {
    this.hooks = options.hooks;
    this.logDir = options.logDir ?? null;
    this.disableRespawn = options.disableRespawn ?? false;
    this.#inheritEnv = options.inheritEnv ?? false;
    this.resetEnvironment();
  }

  // ---- classes ------------------------------------------------------------------------------

  /** The registered classes, in the order Upstart walks its table (`GetAllJobs`, events). */
  get classes(): JobClass[] {
    return nihHashOrder(this.#registered.values());
  }

  /** The registered class called `name`. */
  getClass(name: string): JobClass | undefined {
    return this.#registered.get(name);
  }

  /**
   * Sets (or with `null` removes) the current definition of a job, as a file change does: the
   * registered class is replaced at once when it has no instances, else when its last one stops.
   */
  define(name: string, cls: JobClass | null): void {
    const old = this.#best.get(name);
    // conf_file_destroy: a replaced definition (file changed, removed or reloaded) is deleted,
    // and goes with its last instance without an InstanceRemoved.
    if (old && old !== cls) old.deleted = true;
    if (cls) this.#best.set(name, cls);
    else this.#best.delete(name);
    this.#consider(name);
  }

  /** The current definitions (registered or waiting to replace a running one). */
  definitions(): Map<string, JobClass> {
    return new Map(this.#best);
  }

  #consider(name: string): void {
    const best = this.#best.get(name) ?? null;
    const registered = this.#registered.get(name) ?? null;
    if (registered === best) return;
    if (registered && !this.#remove(registered)) return;
    this.#add(best);
  }

  /** `job_class_reconsider`: whether the class is now unused. */
  #reconsider(cls: JobClass): boolean {
    const best = this.#best.get(cls.name) ?? null;
    if (this.#registered.get(cls.name) !== cls) return true;
    if (cls === best) return false;
    if (!this.#remove(cls)) return false;
    this.#add(best);
    return true;
  }

  #remove(cls: JobClass): boolean {
    if (cls.instances.size > 0) return false;
    this.#registered.delete(cls.name);
    if (cls.startOn) reset(cls.startOn, this);
    this.hooks.jobRemoved(cls);
    return true;
  }

  #add(cls: JobClass | null): void {
    if (!cls) return;
    this.#registered.set(cls.name, cls);
    this.hooks.jobAdded(cls);
  }

  // ---- instances ----------------------------------------------------------------------------

  /** The environment a new instance starts from (`job_class_environment`). */
  classEnvironment(cls: JobClass): string[] {
    const env = [...this.#environ];
    return envAppend(env, cls.config.env, true);
  }

  #newJob(cls: JobClass, name: string): JobInstance {
    const job = new JobInstance(cls, name, this);
    cls.instances.set(name, job);
    this.hooks.instanceAdded(job);
    return job;
  }

  /** Called by a job reaching `waiting`. */
  instanceGone(job: JobInstance): void {
    job.cls.instances.delete(job.name);
    const unused = this.#reconsider(job.cls);
    if (!(job.cls.deleted && unused)) this.hooks.instanceRemoved(job);
  }

  /** The log file of a job under `console log` (`/` in names becomes `_`). */
  logPath(job: JobInstance): string | null {
    if (this.logDir === null) return null;
    const cls = job.cls.name.replaceAll("/", "_");
    const inst = job.name.replaceAll("/", "_");
    return `${this.logDir}/${job.name === "" ? cls : `${cls}-${inst}`}.log`;
  }

  #instanceName(cls: JobClass, env: readonly string[], withUsage: boolean): string {
    try {
      return envExpand(cls.config.instance ?? "", env);
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      const usage = withUsage && cls.config.usage !== null ? `\nUsage: ${cls.config.usage}` : "";
      throw invalidArgs(e.message + usage);
    }
  }

  #checkEnv(env: readonly string[]): void {
    if (!envAllValid(env)) throw invalidArgs("Env must be KEY=VALUE pairs");
  }

  #methodWait(job: JobInstance, failMessage: string): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const blocked: Blocked = {
      kind: "method",
      done: (failed) => failed ? reject(upstartError("JobFailed", failMessage)) : resolve(),
    };
    job.blocking.push(blocked);
    return promise;
  }

  /** `Job.Start(env, wait)`: finds or makes the instance and sets its goal to start. */
  startJob(cls: JobClass, env: readonly string[], wait: boolean): Outcome {
    this.#checkEnv(env);
    const startEnv = envAppend(this.classEnvironment(cls), env, true);
    const name = this.#instanceName(cls, startEnv, true);
    return this.startInstance(cls.instances.get(name) ?? this.#newJob(cls, name), wait, startEnv);
  }

  /** The instance `env` names (`withUsage`: its error adds the job's usage, as Start does). */
  #findInstance(cls: JobClass, env: readonly string[], withUsage: boolean): JobInstance {
    this.#checkEnv(env);
    const full = envAppend(this.classEnvironment(cls), env, true);
    const name = this.#instanceName(cls, full, withUsage);
    const job = cls.instances.get(name);
    if (!job) throw upstartError("UnknownInstance", `Unknown instance: ${name}`);
    return job;
  }

  /** `Job.Stop(env, wait)`: the environment reaches the `stopping` event and pre-stop. */
  stopJob(cls: JobClass, env: readonly string[], wait: boolean): Outcome {
    return this.stopInstance(this.#findInstance(cls, env, false), wait, [...env]);
  }

  /** `Job.Restart(env, wait)`. */
  restartJob(cls: JobClass, env: readonly string[], wait: boolean): Outcome {
    const job = this.#findInstance(cls, env, false);
    const startEnv = envAppend(this.classEnvironment(cls), env, true);
    // Upstart names the instance alone here (job->name), not "job (instance)".
    return this.restartInstance(job, wait, startEnv, job.name);
  }

  /** `Job.GetInstance(env)`. */
  getInstance(cls: JobClass, env: readonly string[]): JobInstance {
    return this.#findInstance(cls, env, true);
  }

  /** `Instance.Start(wait)` (and `Job.Start`, with the environment it made). */
  startInstance(job: JobInstance, wait: boolean, startEnv: string[] | null = null): Outcome {
    if (job.goal === "start") {
      throw upstartError("AlreadyStarted", `Job is already running: ${job.displayName}`);
    }
    job.startEnv = startEnv;
    return this.#changeGoals(job, ["start"], wait, "Job failed to start");
  }

  /** `Instance.Stop(wait)` (and `Job.Stop`, with its environment). */
  stopInstance(job: JobInstance, wait: boolean, stopEnv: string[] | null = null): Outcome {
    if (job.goal === "stop") {
      throw upstartError("AlreadyStopped", `Job has already been stopped: ${job.displayName}`);
    }
    job.stopEnv = stopEnv;
    return this.#changeGoals(job, ["stop"], wait, "Job failed while stopping");
  }

  /** `Instance.Restart(wait)` (and `Job.Restart`, with the environment it made). */
  restartInstance(
    job: JobInstance,
    wait: boolean,
    startEnv: string[] | null = null,
    name = job.displayName,
  ): Outcome {
    if (job.goal === "stop") {
      throw upstartError("AlreadyStopped", `Job has already been stopped: ${name}`);
    }
    job.startEnv = startEnv;
    job.stopEnv = null;
    return this.#changeGoals(job, ["stop", "start"], wait, "Job failed to restart");
  }

  #changeGoals(job: JobInstance, goals: Goal[], wait: boolean, failMessage: string): Outcome {
    job.finished(false);
    const done = wait ? this.#methodWait(job, failMessage) : null;
    for (const goal of goals) job.changeGoal(goal);
    return { job, done };
  }

  /** `Instance.Reload()`. */
  reloadInstance(job: JobInstance): void {
    if (!job.reload()) throw upstartError("NotRunning", `Job is not running: ${job.displayName}`);
  }

  // ---- events -------------------------------------------------------------------------------

  /** Queues an event (handled on the next poll). */
  emit(name: string, env: readonly string[]): SandboxEvent {
    const event = new SandboxEvent(name, env);
    this.#events.push(event);
    this.#schedulePoll();
    return event;
  }

  /**
   * `EmitEvent(name, env, wait)`: queues the event; with wait, the promise settles when it has
   * finished, rejecting with `EventFailed` when a job it started or stopped failed.
   */
  emitEvent(name: string, env: readonly string[], wait: boolean): Promise<void> | null {
    if (name === "") throw invalidArgs("Name may not be empty string");
    this.#checkEnv(env);
    const event = this.emit(name, env);
    if (!wait) return null;
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    event.blocking.push({
      kind: "method",
      done: (failed) => failed ? reject(upstartError("EventFailed", "Event failed")) : resolve(),
    });
    return promise;
  }

  /** Events not finished yet. */
  get pendingEvents(): readonly SandboxEvent[] {
    return this.#events;
  }

  /** One more holder of `event`. */
  block(event: SandboxEvent): void {
    event.blockers++;
  }

  /** One holder fewer; the queue is polled soon. */
  unblock(event: SandboxEvent): void {
    event.blockers--;
    this.#schedulePoll();
  }

  #schedulePoll(): void {
    if (this.#pollScheduled || this.#closed) return;
    this.#pollScheduled = true;
    queueMicrotask(() => {
      this.#pollScheduled = false;
      this.poll();
    });
  }

  /** `event_poll`: handles pending events and finishes unblocked ones until nothing changes. */
  poll(): void {
    let again: boolean;
    do {
      again = false;
      // NIH_LIST_FOREACH_SAFE walks the live list: an event queued while walking (appended, such
      // as the `stopped` of a task that finished) is reached in this same pass, before an
      // earlier event it unblocked finishes in the next one. A real Upstart sends
      // EventEmitted(stopped) for that task before the event that started it (observed with
      // tests/support/compare_upstart.ts, "events").
      for (let i = 0; i < this.#events.length;) {
        const event = this.#events[i];
        if (event.progress === "pending") {
          event.progress = "handling";
          this.hooks.log("info", `Handling ${event.name} event`);
          this.#handleJobs(event);
          again = true;
        }
        if (event.progress === "handling") {
          if (event.blockers > 0) {
            i++;
            continue;
          }
          event.progress = "finished";
        }
        this.#finished(event); // takes it out of the list: the next one is at `i` now
        again = true;
      }
    } while (again);
  }

  /** `event_pending_handle_jobs`: stop on first, then start on, class by class. */
  #handleJobs(event: SandboxEvent): void {
    for (const cls of this.classes) {
      for (const job of cls.orderedInstances()) {
        if (job.stopOn && handle(job.stopOn, event, job.env, this) && job.stopOn.value) {
          if (job.goal !== "stop") {
            job.stopEnv = this.#operatorEnv(job.stopEvents(), "UPSTART_STOP_EVENTS", []);
            job.finished(false);
            for (const e of job.stopEvents()) {
              job.blocking.push({ kind: "event", event: e });
              this.block(e);
            }
            job.changeGoal("stop");
          }
          reset(job.stopOn, this);
        }
      }
      if (cls.startOn && handle(cls.startOn, event, null, this) && cls.startOn.value) {
        if (!this.#induct(cls)) return;
      }
    }
  }

  #operatorEnv(events: SandboxEvent[], key: string, base: string[]): string[] {
    const env = base;
    for (const e of events) envAppend(env, e.env, true);
    envSet(env, `${key}=${events.map((e) => e.name).join(" ")}`); // environ_add(replace=TRUE)
    return env;
  }

  /** `job_class_induct_job`: an instance started by the class's `start on`. */
  #induct(cls: JobClass): boolean {
    const startOn = cls.startOn!;
    const events = activeEvents(startOn);
    const env = this.#operatorEnv(events, "UPSTART_EVENTS", this.classEnvironment(cls));
    let name: string;
    try {
      name = envExpand(cls.config.instance ?? "", env);
    } catch (e) {
      if (!(e instanceof ExpandError)) throw e;
      this.hooks.log("warn", `Failed to obtain ${cls.name} instance: ${e.message}`);
      reset(startOn, this);
      return false;
    }
    const job = cls.instances.get(name) ?? this.#newJob(cls, name);
    if (job.goal !== "start") {
      job.startEnv = env;
      job.finished(false);
      for (const e of events) {
        job.blocking.push({ kind: "event", event: e });
        this.block(e);
      }
      job.changeGoal("start");
    }
    reset(startOn, this);
    return true;
  }

  /** `event_finished`: releases blocked jobs and emitters, then `EventEmitted`. */
  #finished(event: SandboxEvent): void {
    const i = this.#events.indexOf(event);
    if (i >= 0) this.#events.splice(i, 1);
    const blocking = event.blocking.splice(0);
    for (const b of blocking) {
      if (b.kind === "job") {
        b.job.blocker = null;
        b.job.changeState(b.job.nextState());
      } else if (b.kind === "method") {
        b.done(event.failed);
      }
    }
    if (event.failed && !event.name.endsWith("/failed")) {
      this.emit(`${event.name}/failed`, event.env);
    }
    this.hooks.eventEmitted(event);
  }

  // ---- session environment ------------------------------------------------------------------

  /** Resets the session environment (`ResetEnv` with no job). */
  resetEnvironment(): void {
    const env: string[] = [];
    if (this.#inheritEnv) {
      for (const [k, v] of Object.entries(Deno.env.toObject())) env.push(`${k}=${v}`);
    }
    envAdd(env, "PATH", true);
    if (envGet(env, "PATH") === undefined) env.push(`PATH=${DEFAULT_PATH}`);
    envAdd(env, "TERM", true);
    this.#environ = env;
  }

  /** The session environment (a copy). */
  get environment(): string[] {
    return [...this.#environ];
  }

  /** Resolves `job_details` (`[]`, or `[job, instance]`) to an instance or the session. */
  resolveDetails(details: readonly string[]): JobInstance | null {
    if (details.length === 0) return null;
    const [jobName, instance] = details;
    if (jobName === "") throw invalidArgs("Job may not be empty string");
    const cls = this.#registered.get(jobName);
    if (!cls) throw upstartError("UnknownJob", `Unknown job: ${jobName}`);
    const job = instance === undefined ? undefined : cls.instances.get(instance);
    if (!job) {
      throw upstartError(
        "UnknownJobInstance",
        `Unknown instance: ${instance ?? "(null)"} of job ${jobName}`,
      );
    }
    return job;
  }

  /** `ListEnv`. */
  listEnv(details: readonly string[]): string[] {
    const job = this.resolveDetails(details);
    return job ? [...(job.env ?? [])] : this.environment;
  }

  /** `GetEnv`. */
  getEnv(details: readonly string[], name: string): string {
    if (name === "") throw invalidArgs("Variable may not be empty string");
    const job = this.resolveDetails(details);
    const value = envGet(job ? job.env ?? [] : this.#environ, name);
    if (value === undefined) throw invalidArgs(`No such variable: ${name}`);
    return value;
  }

  /** `SetEnvList` (`SetEnv` is a list of one). */
  setEnv(details: readonly string[], vars: readonly string[], replace: boolean): void {
    const job = this.resolveDetails(details);
    for (const v of vars) {
      const entry = v.includes("=") ? v : `${v}=`;
      if (job) {
        job.env ??= [];
        envAdd(job.env, entry, replace);
      } else {
        envAdd(this.#environ, entry, replace);
        for (const cls of this.#registered.values()) {
          for (const j of cls.instances.values()) envAdd(j.env ??= [], entry, replace);
        }
      }
    }
  }

  /** `UnsetEnvList` (`UnsetEnv` is a list of one). */
  unsetEnv(details: readonly string[], names: readonly string[]): void {
    const job = this.resolveDetails(details);
    for (const name of names) {
      const ok = job ? removeLikeUpstart(job.env ??= [], name) : this.#unsetSession(name);
      if (!ok) throw invalidArgs(`No such variable: ${name}`);
    }
  }

  #unsetSession(name: string): boolean {
    if (!removeLikeUpstart(this.#environ, name)) return false;
    for (const cls of this.#registered.values()) {
      for (const j of cls.instances.values()) {
        if (!removeLikeUpstart(j.env ??= [], name)) return false;
      }
    }
    return true;
  }

  /** `ResetEnv`. */
  resetEnv(details: readonly string[]): void {
    const job = this.resolveDetails(details);
    if (job) job.env = this.classEnvironment(job.cls);
    else this.resetEnvironment();
  }

  // ---- shutdown -----------------------------------------------------------------------------

  /** Every live instance. */
  instances(): JobInstance[] {
    const out = new Set<JobInstance>();
    for (const cls of [...this.#registered.values(), ...this.#best.values()]) {
      for (const j of cls.instances.values()) out.add(j);
    }
    return [...out];
  }

  /** Kills every job process (SIGKILL to each process group) and stops handling events. */
  killAll(): void {
    this.#closed = true;
    for (const job of this.instances()) job.killAll();
  }
}

/**
 * `environ_remove`, quirks included: fails only on an empty table, and removes every entry whose
 * key is a prefix of `name`.
 */
function removeLikeUpstart(env: string[], name: string): boolean {
  if (env.length < 1) return false;
  for (let i = env.length - 1; i >= 0; i--) {
    const eq = env[i].indexOf("=");
    const key = eq < 0 ? env[i] : env[i].slice(0, eq);
    if (name.startsWith(key)) env.splice(i, 1);
  }
  return true;
}
