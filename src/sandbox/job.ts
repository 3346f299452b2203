/**
 * One job instance and Upstart's state machine (`init/job.c`: `job_change_goal`,
 * `job_change_state`, `job_next_state`, `job_failed`, `job_finished`, `job_emit_event`;
 * `init/job_process.c`: `job_process_terminated`, `job_process_kill`, respawn limits).
 *
 * @module
 */

import type { ProcessType } from "../jobfile/mod.ts";
import { envAppend, envSet } from "./environ.ts";
import type { Blocked, SandboxEvent } from "./events.ts";
import type { JobClass } from "./job_class.ts";
import { activeEvents, type EventRefs, type Operator, operatorFrom } from "./operator.ts";
import { type RunningProcess, SpawnError, type spawnJobProcess } from "./process.ts";
import { nihHashBin } from "./nih_hash.ts";
import { signalGroup, signalName, signalPid } from "./signals.ts";
import { type Goal, PROCESS_ORDER, type State } from "../states.ts";

/** What a job needs from the engine that runs it. */
export interface JobHost extends EventRefs {
  /** Queues a new event. */
  emit(name: string, env: readonly string[]): SandboxEvent;
  /** Signals and log lines. */
  readonly hooks: JobHooks;
  /** The log file of a job process under `console log`, or `null`. */
  logPath(job: JobInstance): string | null;
  /** Called when an instance reached `waiting` and left its class. */
  instanceGone(job: JobInstance): void;
  /** Spawns a process (the engine may decorate it). */
  spawn: typeof spawnJobProcess;
  /** Respawn is disabled (Upstart's `--no-respawn`). */
  readonly disableRespawn: boolean;
}

/** Things a job reports as they happen. */
export interface JobHooks {
  /** `GoalChanged`. */
  goalChanged(job: JobInstance): void;
  /** `StateChanged`. */
  stateChanged(job: JobInstance): void;
  /** `Failed(status)`. */
  failed(job: JobInstance, status: number): void;
  /** A log line, as Upstart would log it. */
  log(level: "info" | "warn", message: string): void;
}

/** One instance of a job. */
export class JobInstance {
  /** Its class (the definition it was started with, kept until it stops). */
  readonly cls: JobClass;
  /** The instance name (`""` for a job without `instance`). */
  readonly name: string;
  /** Its bin in its class's table of instances (which fixes where it comes in walks). */
  readonly hashBin: number;
  /** Goal. */
  goal: Goal = "stop";
  /** State. */
  state: State = "waiting";
  /** The environment its processes get. */
  env: string[] | null = null;
  /** Environment for the next start. */
  startEnv: string[] | null = null;
  /** Environment of what stopped it (given to pre-stop and post-stop). */
  stopEnv: string[] | null = null;
  /** Its own copy of the class's `stop on`. */
  readonly stopOn: Operator | null;
  /** Pids of running processes (0: none). */
  readonly pids: Record<ProcessType, number> = {
    "main": 0,
    "pre-start": 0,
    "post-start": 0,
    "pre-stop": 0,
    "post-stop": 0,
  };
  /** The event that holds this job (its `starting`/`stopping` event). */
  blocker: SandboxEvent | null = null;
  /** What waits for this job to reach its goal. */
  blocking: Blocked[] = [];
  /** A process failed. */
  failed = false;
  /** Which process failed (`null`: a respawn limit). */
  failedProcess: ProcessType | null = null;
  /** Its status (-1: could not spawn). */
  exitStatus = 0;
  #killTimer: ReturnType<typeof setTimeout> | null = null;
  #respawnTime = -Infinity; // no respawn yet: the first one opens the window
  #respawnCount = 0;
  readonly #host: JobHost;

  /** Makes an instance (the class registers it). */
  constructor(cls: JobClass, name: string, host: JobHost) {
    this.cls = cls;
    this.name = name;
    this.hashBin = nihHashBin(name);
    this.#host = host;
    this.stopOn = cls.config.stopOn ? operatorFrom(cls.config.stopOn) : null;
  }

  /** `job_name`: `svc`, or `svc (inst)`. */
  get displayName(): string {
    return this.name === "" ? this.cls.name : `${this.cls.name} (${this.name})`;
  }

  /** Running processes in Upstart's order, for the `processes` property. */
  processes(): [string, number][] {
    return PROCESS_ORDER.filter((p) => this.pids[p] > 0).map((p) => [p, this.pids[p]]);
  }

  #has(p: ProcessType): boolean {
    return this.cls.config.processes[p] !== undefined;
  }

  /** `job_change_goal`. */
  changeGoal(goal: Goal): void {
    if (this.goal === goal) return;
    this.#host.hooks.log("info", `${this.displayName} goal changed from ${this.goal} to ${goal}`);
    this.goal = goal;
    this.#host.hooks.goalChanged(this);
    if (goal === "start" && this.state === "waiting") this.changeState(this.nextState());
    else if (goal === "stop" && this.state === "running") this.changeState(this.nextState());
  }

  /** `job_change_state`: walks states until one needs to wait for something. */
  changeState(target: State): void {
    let state = target;
    while (this.state !== state) {
      if (this.blocker) return;
      this.#host.hooks.log(
        "info",
        `${this.displayName} state changed from ${this.state} to ${state}`,
      );
      const old = this.state;
      this.state = state;
      this.#host.hooks.stateChanged(this);
      switch (state) {
        case "starting":
          if (this.startEnv) {
            this.env = this.startEnv;
            this.startEnv = null;
          }
          this.stopEnv = null;
          this.failed = false;
          this.failedProcess = null;
          this.exitStatus = 0;
          this.blocker = this.#emitEvent();
          break;
        case "security-spawning":
          // AppArmor is not applied in the sandbox: the security process never runs.
          state = this.nextState();
          break;
        case "security":
          state = this.nextState();
          break;
        case "pre-starting":
          if (this.#has("pre-start")) this.#startProcess("pre-start");
          state = this.nextState();
          break;
        case "pre-start":
          if (!this.#has("pre-start")) state = this.nextState();
          break;
        case "spawning":
          if (this.#has("main")) this.#startProcess("main");
          state = this.nextState();
          break;
        case "spawned":
          if (!this.#has("main")) state = this.nextState();
          break;
        case "post-starting":
          if (this.#has("post-start")) this.#startProcess("post-start");
          state = this.nextState();
          break;
        case "post-start":
          if (!this.#has("post-start")) state = this.nextState();
          break;
        case "running":
          if (old === "pre-stop") {
            this.stopEnv = null;
            this.finished(false);
          } else {
            this.#emitEvent();
            if (!this.cls.config.task) this.finished(false);
          }
          break;
        case "pre-stopping":
          if (this.#has("pre-stop")) this.#startProcess("pre-stop");
          state = this.nextState();
          break;
        case "pre-stop":
          if (!this.#has("pre-stop")) state = this.nextState();
          break;
        case "stopping":
          this.blocker = this.#emitEvent();
          break;
        case "killed":
          if (this.#has("main") && this.pids.main > 0) this.#kill("main");
          else state = this.nextState();
          break;
        case "post-stopping":
          if (this.#has("post-stop")) this.#startProcess("post-stop");
          state = this.nextState();
          break;
        case "post-stop":
          if (!this.#has("post-stop")) state = this.nextState();
          break;
        case "waiting":
          this.#emitEvent();
          this.finished(false);
          this.#host.instanceGone(this);
          return;
      }
    }
  }

  /** `job_next_state`: where the goal leads from the current state. */
  nextState(): State {
    const start = this.goal !== "stop";
    switch (this.state) {
      case "waiting":
        return "starting";
      case "starting":
        return start ? "security-spawning" : "stopping";
      case "security-spawning":
        return start ? "security" : "stopping";
      case "security":
        return start ? "pre-starting" : "stopping";
      case "pre-starting":
        return start ? "pre-start" : "stopping";
      case "pre-start":
        return start ? "spawning" : "stopping";
      case "spawning":
        return start ? "spawned" : "stopping";
      case "spawned":
        return start ? "post-starting" : "stopping";
      case "post-starting":
        return start ? "post-start" : "stopping";
      case "post-start":
        if (this.goal === "respawn") {
          this.changeGoal("start");
          return "stopping";
        }
        return start ? "running" : "stopping";
      case "running":
        if (this.goal === "stop") {
          return this.#has("main") && this.pids.main > 0 ? "pre-stopping" : "stopping";
        }
        return "stopping";
      case "pre-stopping":
        return "pre-stop";
      case "pre-stop":
        if (this.goal === "respawn") {
          this.changeGoal("start");
          return "stopping";
        }
        return start ? "running" : "stopping";
      case "stopping":
        return "killed";
      case "killed":
        return "post-stopping";
      case "post-stopping":
        return "post-stop";
      case "post-stop":
        return start ? "starting" : "waiting";
    }
  }

  /** `job_failed`: records the first failure and sends `Failed`. */
  fail(process: ProcessType | null, status: number): void {
    if (this.failed) return;
    this.failed = true;
    this.failedProcess = process;
    this.exitStatus = status;
    this.#host.hooks.failed(this, status);
    this.finished(true);
  }

  /** `job_finished`: releases what waits for this job (events, method calls). */
  finished(failed: boolean): void {
    const blocking = this.blocking;
    this.blocking = [];
    for (const b of blocking) {
      if (b.kind === "event") {
        if (failed) b.event.failed = true;
        this.#host.unblock(b.event);
      } else if (b.kind === "method") {
        b.done(failed);
      }
    }
  }

  /** `job_emit_event`: `starting`/`started`/`stopping`/`stopped` with Upstart's variables. */
  #emitEvent(): SandboxEvent {
    const names: Partial<Record<State, [string, boolean, boolean]>> = {
      starting: ["starting", true, false],
      running: ["started", false, false],
      stopping: ["stopping", true, true],
      waiting: ["stopped", false, true],
    };
    const [name, block, stop] = names[this.state]!;
    const env: string[] = [];
    envSet(env, `JOB=${this.cls.name}`);
    envSet(env, `INSTANCE=${this.name}`);
    if (stop && this.failed) {
      env.push("RESULT=failed");
      if (this.failedProcess !== null && this.exitStatus !== -1) {
        envSet(env, `PROCESS=${this.failedProcess}`);
        if (this.exitStatus & ~0xff) {
          const sig = this.exitStatus >> 8;
          envSet(env, `EXIT_SIGNAL=${signalName(sig) ?? sig}`);
        } else {
          envSet(env, `EXIT_STATUS=${this.exitStatus}`);
        }
      } else if (this.failedProcess !== null) {
        envSet(env, `PROCESS=${this.failedProcess}`);
      } else {
        env.push("PROCESS=respawn");
      }
    } else if (stop) {
      env.push("RESULT=ok");
    }
    for (const name of this.cls.config.export) {
      const found = (this.env ?? []).find((e) => e.startsWith(`${name}=`));
      if (found !== undefined) envAppend(env, [found], false);
    }
    const event = this.#host.emit(name, env);
    if (block) event.blocking.push({ kind: "job", job: this });
    return event;
  }

  /** `job_process_start`: spawns one process; its result arrives asynchronously, as in Upstart. */
  #startProcess(type: ProcessType): void {
    const def = this.cls.config.processes[type]!;
    const env = [...(this.env ?? [])];
    if (this.stopEnv && (type === "pre-stop" || type === "post-stop")) {
      for (const e of this.stopEnv) envSet(env, e);
    }
    envSet(env, `UPSTART_JOB=${this.cls.name}`);
    envSet(env, `UPSTART_INSTANCE=${this.name}`);
    let proc: RunningProcess;
    try {
      proc = this.#host.spawn({
        def,
        config: this.cls.config,
        env,
        logPath: this.cls.config.console === "log" ? this.#host.logPath(this) : null,
        allowedLimits: this.cls.allowedLimits,
        canRaisePriority: this.cls.canRaisePriority,
      });
    } catch (e) {
      if (!(e instanceof SpawnError)) throw e;
      this.#host.hooks.log(
        "warn",
        `Failed to spawn ${this.displayName} ${type} process: ${e.message}`,
      );
      queueMicrotask(() => this.#childError(type));
      return;
    }
    this.pids[type] = proc.pid;
    this.#host.hooks.log("info", `${this.displayName} ${type} process (${proc.pid})`);
    // Upstart learns that the exec worked from a pipe closing, after the state walk went on.
    queueMicrotask(() => this.#spawned(type));
    proc.exit.then((exit) => {
      if (this.pids[type] !== proc.pid) return;
      this.#logExit(type, proc.pid, exit.status);
      this.#terminated(type, exit.status);
    });
  }

  /** `job_process_close_handler`: the exec worked. */
  #spawned(type: ProcessType): void {
    // With `expect fork`/`daemon`/`stop` Upstart would wait for the fork or the SIGSTOP; that
    // needs ptrace, which the sandbox does not do: the process it started is the main one.
    if (this.state === "spawned" && type === "main") this.changeState(this.nextState());
  }

  /** `job_child_error_handler`: the process could not be spawned. */
  #childError(type: ProcessType): void {
    this.pids[type] = 0;
    switch (type) {
      case "pre-start":
      case "main":
      case "post-stop":
        this.fail(type, -1);
        this.changeGoal("stop");
        this.changeState(this.nextState());
        break;
      case "post-start":
      case "pre-stop":
        this.changeState(this.nextState());
        break;
    }
  }

  #logExit(type: ProcessType, pid: number, status: number): void {
    // `job_process_handler` picks the priority by comparing the raw wait status (for a signal:
    // its bare number) with `normal exit`, which stores signals shifted left by 8, so a death
    // by a signal is a warning even when `normal exit` names that signal. Kept as Upstart has it.
    const raw = status & ~0xff ? status >> 8 : status;
    const normal = this.#isNormalExit(raw);
    if (status & ~0xff) {
      const name = signalName(raw);
      this.#host.hooks.log(
        normal && name !== null ? "info" : "warn",
        name === null
          ? `${this.displayName} ${type} process (${pid}) killed by signal ${raw}`
          : `${this.displayName} ${type} process (${pid}) killed by ${name} signal`,
      );
    } else if (status) {
      this.#host.hooks.log(
        normal ? "info" : "warn",
        `${this.displayName} ${type} process (${pid}) terminated with status ${status}`,
      );
    } else {
      this.#host.hooks.log("info", `${this.displayName} ${type} process (${pid}) exited normally`);
    }
  }

  #isNormalExit(status: number): boolean {
    return this.cls.normalExit.includes(status);
  }

  /** `job_process_terminated`. */
  #terminated(type: ProcessType, status: number): void {
    let failed = false, stop = false, state = true;
    switch (type) {
      case "main": {
        if (this.state === "post-start" && this.#has("post-start") && this.pids["post-start"] > 0) {
          state = false;
        } else if (
          this.state === "pre-stop" && this.#has("pre-stop") && this.pids["pre-stop"] > 0
        ) {
          state = false;
        }
        if (this.state === "killed") break;
        if (this.state === "stopping") {
          state = false;
          break;
        }
        const config = this.cls.config;
        if ((status || (config.respawn && !config.task)) && this.goal === "start") {
          failed = !this.#isNormalExit(status);
          if (failed && config.respawn && !this.#host.disableRespawn) {
            if (this.#catchRunaway()) {
              this.#host.hooks.log("warn", `${this.displayName} respawning too fast, stopped`);
              failed = false;
              this.fail(null, 0);
            } else {
              this.#host.hooks.log("warn", `${this.displayName} ${type} process ended, respawning`);
              failed = false;
              if (!state) this.changeGoal("respawn");
              break;
            }
          }
        }
        stop = true;
        break;
      }
      case "pre-start":
      case "post-stop":
        if (status) failed = stop = true;
        break;
      default:
        break;
    }
    if (this.#killTimer !== null) {
      clearTimeout(this.#killTimer);
      this.#killTimer = null;
    }
    this.pids[type] = 0;
    if (failed) this.fail(type, status);
    if (stop) {
      if (this.state === "running") state = false;
      this.changeGoal("stop");
    }
    if (state) this.changeState(this.nextState());
  }

  /** `job_process_catch_runaway`: more than COUNT respawns within INTERVAL seconds. */
  #catchRunaway(): boolean {
    const limit = this.cls.config.respawnLimit;
    if (limit === "unlimited" || !limit.count || !limit.interval) return false;
    const now = Math.floor(performance.now() / 1000);
    if (now - this.#respawnTime < limit.interval) {
      this.#respawnCount++;
      if (this.#respawnCount > limit.count) return true;
    } else {
      this.#respawnTime = now;
      this.#respawnCount = 1;
    }
    return false;
  }

  /** `job_process_kill`: the kill signal to the process group, then SIGKILL after the timeout. */
  #kill(type: ProcessType): void {
    const pid = this.pids[type];
    const sig = this.cls.config.killSignal;
    this.#host.hooks.log(
      "info",
      `Sending ${sig.name} signal to ${this.displayName} ${type} process (${pid})`,
    );
    if (!signalGroup(pid, sig.number)) return;
    this.#killTimer = setTimeout(() => {
      this.#killTimer = null;
      if (this.pids[type] !== pid) return;
      this.#host.hooks.log(
        "info",
        `Sending KILL signal to ${this.displayName} ${type} process (${pid})`,
      );
      signalGroup(pid, 9);
    }, this.cls.config.killTimeout * 1000);
  }

  /**
   * Sends the reload signal to the main process; `false` when there is none. Only to that
   * process, not its group: `job_reload` calls `kill (pid, reload_signal)`, and a real Upstart
   * leaves the children of a `script` main process alone on `Reload`.
   */
  reload(): boolean {
    if (this.pids.main <= 0) return false;
    signalPid(this.pids.main, this.cls.config.reloadSignal.number);
    return true;
  }

  /** The events that took part in a stop (for `UPSTART_STOP_EVENTS`). */
  stopEvents(): SandboxEvent[] {
    return this.stopOn ? activeEvents(this.stopOn) : [];
  }

  /** Kills every process of this instance at once (sandbox shutdown). */
  killAll(): void {
    for (const p of PROCESS_ORDER) if (this.pids[p] > 0) signalGroup(this.pids[p], 9);
    if (this.#killTimer !== null) clearTimeout(this.#killTimer);
    this.#killTimer = null;
  }
}
