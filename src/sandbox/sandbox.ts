/**
 * The sandbox: an Upstart 1.13-compatible service on a D-Bus bus, running the jobs of a
 * directory as real child processes of the current user.
 *
 * @module
 */

import { Connection } from "../../ffi/mod.ts";
import { INSTANCE_INTERFACE, JOB_INTERFACE, UPSTART_INTERFACE, UPSTART_PATH } from "../names.ts";
import { UPSTART_SERVICE } from "../names.ts";
import { type Goal, LOG_PRIORITIES, type State } from "../states.ts";
import { classPath, jobInstancePath, serveUpstart } from "./dbus.ts";
import { Engine, type EngineHooks } from "./engine.ts";
import type { JobInstance } from "./job.ts";
import { JobClass } from "./job_class.ts";
import { loadJob, scanJobDir, watchJobDir } from "./loader.ts";

/** The `version` property: parses as Upstart 1.13.2 (`init (upstart X.Y.Z)`) and says sandbox. */
export const SANDBOX_VERSION = "init (upstart 1.13.2) sandbox";

/** A log line of the sandbox (what Upstart would write to its log). */
export interface LogLine {
  /** Upstart's priority of the message. */
  readonly level: "info" | "warn" | "error";
  /** The message, without the `init: ` prefix. */
  readonly message: string;
}

/** An instance of a sandbox job, as {@linkcode Sandbox.status} reports it. */
export interface SandboxInstanceStatus {
  /** The instance name (`""` for a job without `instance`). */
  readonly name: string;
  /** Its goal. */
  readonly goal: Goal;
  /** Its state. */
  readonly state: State;
  /** Its running processes, in Upstart's order. */
  readonly processes: readonly { readonly type: string; readonly pid: number }[];
}

/** Options of {@linkcode Sandbox.start}. */
export interface SandboxOptions {
  /** The job directory (`.conf` and `.override` files, searched recursively). */
  readonly jobDir: string;
  /** The bus to serve on (it must let us own `com.ubuntu.Upstart`). */
  readonly address: string;
  /** Where `console log` output goes (default: a fresh temp directory, removed on close). */
  readonly logDir?: string;
  /** Called for each log line at or above `log_priority` (default: none). */
  readonly onLog?: (line: LogLine) => void;
  /** Watch the job directory (default `true`). */
  readonly watch?: boolean;
  /** Give jobs our whole environment, as `init --user` does (default: only PATH and TERM). */
  readonly inheritEnv?: boolean;
  /** The initial `log_priority` (default `message`, as Upstart's). */
  readonly logPriority?: string;
  /**
   * The event emitted once the jobs are loaded, as `init` emits `startup` (default: none, so
   * that tests start quiet; `deno task sandbox` emits `startup`).
   */
  readonly startupEvent?: string | null;
}

const RANK: Record<string, number> = {
  debug: 0,
  info: 1,
  message: 2,
  warn: 3,
  error: 4,
  fatal: 5,
};

/**
 * An Upstart-compatible sandbox serving `com.ubuntu.Upstart` on a bus.
 *
 * @example Serving a job directory on a private bus
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * const jobDir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
 * await Deno.writeTextFile(`${jobDir}/bad.conf`, "exec sleep 60\nbogus\n");
 * try {
 *   await using bus = await startPrivateBus();
 *   await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
 *   assert.deepEqual(sandbox.jobNames(), ["web"]);
 *   assert.deepEqual(sandbox.messages, [
 *     { level: "error", message: `${jobDir}/bad.conf:2: Unknown stanza` },
 *   ]);
 * } finally {
 *   await Deno.remove(jobDir, { recursive: true });
 * }
 * ```
 */
export class Sandbox implements AsyncDisposable {
  /**
   * The engine (job classes, instances, events): for this repository's tools and tests, not
   * part of the published API (use {@linkcode Sandbox.jobNames} and {@linkcode Sandbox.status}).
   *
   * @ignore
   */
  readonly engine: Engine;
  /** The connection it serves on. */
  readonly connection: Connection;
  /** The job directory. */
  readonly jobDir: string;
  /** Where `console log` output goes. */
  readonly logDir: string;
  /** Every log line so far (all priorities). */
  readonly messages: LogLine[] = [];
  /** `log_priority`. */
  logPriority = "message";
  readonly #onLog: (line: LogLine) => void;
  readonly #live = new Set<Promise<unknown>>();
  #loaded = new Map<string, string>();
  #unserve: () => void = () => {};
  #unwatch: () => void = () => {};
  #closed: Promise<void> | null = null;
  /** The temp log directory made because none was given: removed on close. */
  #ownLogDir: string | null = null;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  private constructor(opts: SandboxOptions, conn: Connection, logDir: string) {
    this.jobDir = opts.jobDir.replace(/\/+$/, "") || "/";
    this.connection = conn;
    this.logDir = logDir;
    this.#onLog = opts.onLog ?? (() => {});
    if (opts.logPriority !== undefined) this.logPriority = opts.logPriority;
    this.engine = new Engine({
      hooks: this.#hooks(),
      logDir,
      inheritEnv: opts.inheritEnv,
    });
    const spawn = this.engine.spawn;
    this.engine.spawn = (req) => {
      const p = spawn(req);
      const exit = p.exit.finally(() => this.#live.delete(exit));
      this.#live.add(exit);
      return p;
    };
  }

  /**
   * Connects to the bus, takes the name `com.ubuntu.Upstart`, loads the job directory and serves
   * Upstart's objects.
   *
   * @param opts The job directory, the bus address and options.
   * @returns The running sandbox; `close()` (or `await using`) stops it and kills every job.
   * @throws {RangeError} When `logPriority` is not one of Upstart's priorities.
   * @throws {Error} When the job directory cannot be read or the name is taken.
   */
  static async start(opts: SandboxOptions): Promise<Sandbox> {
    if (
      opts.logPriority !== undefined &&
      !(LOG_PRIORITIES as readonly string[]).includes(opts.logPriority)
    ) {
      throw new RangeError(`Unknown log priority: "${opts.logPriority}"`);
    }
    const st = await Deno.stat(opts.jobDir).catch(() => null);
    if (!st?.isDirectory) throw new Error(`Job directory not found: ${opts.jobDir}`);
    const logDir = opts.logDir ?? await Deno.makeTempDir({ prefix: "upstart-sandbox-log-" });
    await Deno.mkdir(logDir, { recursive: true });
    const conn = await Connection.open(opts.address);
    const sb = new Sandbox(opts, conn, logDir);
    if (opts.logDir === undefined) sb.#ownLogDir = logDir;
    try {
      sb.#unserve = serveUpstart(conn, sb.engine, {
        version: SANDBOX_VERSION,
        get logPriority() {
          return sb.logPriority;
        },
        set logPriority(v: string) {
          sb.logPriority = v;
        },
        reload: () => sb.reload(),
        restart: () => sb.#restart(),
        state: () => sb.stateJson(),
      });
      sb.#load(false);
      const reply = await conn.requestName(UPSTART_SERVICE);
      if (reply !== "primary" && reply !== "already") {
        throw new Error(`The name ${UPSTART_SERVICE} is already owned on ${opts.address}`);
      }
      if (opts.watch !== false) sb.#unwatch = watchJobDir(sb.jobDir, () => sb.#load(false));
      if (opts.startupEvent) sb.engine.emit(opts.startupEvent, []);
    } catch (e) {
      await sb.close();
      throw e;
    }
    return sb;
  }

  #log(level: LogLine["level"], message: string): void {
    const line = { level, message };
    this.messages.push(line);
    if (this.messages.length > 10000) this.messages.splice(0, 5000);
    if (RANK[level] >= (RANK[this.logPriority] ?? 2)) this.#onLog(line);
  }

  #signal(path: string, iface: string, member: string, signature: string, body: unknown[]) {
    if (this.#closed) return;
    try {
      this.connection.emitSignal({ path, interface: iface, member, signature, body });
    } catch { /* connection gone: nobody to tell */ }
  }

  #hooks(): EngineHooks {
    return {
      jobAdded: (cls) =>
        this.#signal(UPSTART_PATH, UPSTART_INTERFACE, "JobAdded", "o", [classPath(cls)]),
      jobRemoved: (cls) =>
        this.#signal(UPSTART_PATH, UPSTART_INTERFACE, "JobRemoved", "o", [classPath(cls)]),
      instanceAdded: (job) =>
        this.#signal(classPath(job.cls), JOB_INTERFACE, "InstanceAdded", "o", [
          jobInstancePath(job),
        ]),
      instanceRemoved: (job) =>
        this.#signal(classPath(job.cls), JOB_INTERFACE, "InstanceRemoved", "o", [
          jobInstancePath(job),
        ]),
      goalChanged: (job) =>
        this.#signal(jobInstancePath(job), INSTANCE_INTERFACE, "GoalChanged", "s", [job.goal]),
      stateChanged: (job) =>
        this.#signal(jobInstancePath(job), INSTANCE_INTERFACE, "StateChanged", "s", [job.state]),
      failed: (job, status) =>
        this.#signal(jobInstancePath(job), INSTANCE_INTERFACE, "Failed", "i", [status]),
      eventEmitted: (ev) =>
        this.#signal(UPSTART_PATH, UPSTART_INTERFACE, "EventEmitted", "sas", [ev.name, [
          ...ev.env,
        ]]),
      log: (level, message) => this.#log(level, message),
    };
  }

  /** Re-reads changed job files (`all`: every file, as `ReloadConfiguration` does). */
  #load(all: boolean): void {
    if (this.#closed) return;
    const found = scanJobDir(this.jobDir, (message) => this.#log("warn", message));
    const seen = new Set<string>();
    for (const f of found) {
      seen.add(f.name);
      if (!all && this.#loaded.get(f.name) === f.text) continue;
      this.#loaded.set(f.name, f.text);
      const loaded = loadJob(f);
      for (const e of loaded.errors) this.#log("error", e);
      if (!loaded.config) {
        this.engine.define(f.name, null);
        continue;
      }
      const cls = new JobClass(f.name, loaded.config, f.conf);
      if (cls.notEnforced.length > 0) {
        this.#log("warn", `${f.name}: not enforced by the sandbox: ${cls.notEnforced.join("; ")}`);
      }
      this.engine.define(f.name, cls);
    }
    for (const name of [...this.#loaded.keys()]) {
      if (!seen.has(name)) {
        this.#loaded.delete(name);
        this.engine.define(name, null);
      }
    }
  }

  /**
   * `Restart`: a re-exec keeps every job and re-reads the job files; nothing is re-executed here,
   * but changed files are applied and `Restarted` follows the reply, as after a real re-exec.
   */
  #restart(): void {
    this.#log("info", "Restarting");
    this.#restartTimer = setTimeout(() => {
      this.#load(false);
      this.#signal(UPSTART_PATH, UPSTART_INTERFACE, "Restarted", "", []);
    }, 0);
  }

  /** `ReloadConfiguration`: re-reads every job file now. */
  reload(): void {
    this.#log("info", "Reloading configuration");
    this.#load(true);
  }

  /** Applies pending file changes now (without waiting for the watcher). */
  rescan(): void {
    this.#load(false);
  }

  /**
   * The stanzas of a job that the sandbox loads and publishes but does not enforce.
   *
   * @param job The job name.
   * @returns One line per stanza (empty when everything is enforced, or no such job).
   */
  notEnforced(job: string): readonly string[] {
    return this.engine.definitions().get(job)?.notEnforced ?? [];
  }

  /**
   * The loaded jobs.
   *
   * @returns Their names, in the order `GetAllJobs` lists them.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * const jobDir = await Deno.makeTempDir();
   * try {
   *   await using bus = await startPrivateBus();
   *   await using sandbox = await Sandbox.start({ jobDir, address: bus.address, watch: false });
   *   assert.deepEqual(sandbox.jobNames(), []);
   *   await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   *   sandbox.rescan(); // what the watcher would do
   *   assert.deepEqual(sandbox.jobNames(), ["web"]);
   * } finally {
   *   await Deno.remove(jobDir, { recursive: true });
   * }
   * ```
   */
  jobNames(): string[] {
    return this.engine.classes.map((c) => c.name);
  }

  /**
   * The instances of a job, read directly (no D-Bus call).
   *
   * @param job The job name.
   * @returns Each instance's name, goal, state and processes (empty when none, or no such job).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
   * import { System } from "@upstart/upstart";
   * const jobDir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
   * try {
   *   await using bus = await startPrivateBus();
   *   await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
   *   await using system = await System.connect({ address: bus.address });
   *   assert.deepEqual(sandbox.status("web"), []);
   *   await (await system.job("web")).start();
   *   const [web] = sandbox.status("web");
   *   assert.deepEqual([web.goal, web.state, web.processes[0].type], ["start", "running", "main"]);
   * } finally {
   *   await Deno.remove(jobDir, { recursive: true });
   * }
   * ```
   */
  status(job: string): SandboxInstanceStatus[] {
    return (this.engine.getClass(job)?.orderedInstances() ?? []).map((j) => ({
      name: j.name,
      goal: j.goal,
      state: j.state,
      processes: j.processes().map(([type, pid]) => ({ type, pid })),
    }));
  }

  /** `GetState`: the sandbox's state as JSON (a simplified form of Upstart's). */
  stateJson(): string {
    const job = (j: JobInstance) => ({
      name: j.name,
      goal: j.goal,
      state: j.state,
      env: j.env ?? [],
      pid: Object.fromEntries(j.processes()),
    });
    return JSON.stringify({
      sandbox: SANDBOX_VERSION,
      events: this.engine.pendingEvents.map((e) => ({ name: e.name, env: e.env })),
      job_classes: this.engine.classes.map((c) => ({
        name: c.name,
        path: classPath(c),
        source: c.source,
        not_enforced: c.notEnforced,
        jobs: c.orderedInstances().map(job),
      })),
      env: this.engine.environment,
      log_priority: this.logPriority,
    });
  }

  /** Stops serving, kills every job process (and its group) and closes the connection. */
  close(): Promise<void> {
    return this.#closed ??= (async () => {
      this.#unwatch();
      clearTimeout(this.#restartTimer);
      this.engine.killAll();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...this.#live]),
        new Promise((r) => timer = setTimeout(r, 3000)),
      ]);
      clearTimeout(timer);
      this.#unserve();
      await this.connection.close();
      if (this.#ownLogDir) await Deno.remove(this.#ownLogDir, { recursive: true }).catch(() => {});
    })();
  }

  /** Same as {@linkcode Sandbox.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
