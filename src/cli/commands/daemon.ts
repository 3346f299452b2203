/**
 * initctl's event and daemon commands: emit, reload-configuration, version,
 * log-priority, the notify-* calls and list-sessions.
 *
 * @module
 */

import { LOG_PRIORITIES, type LogPriority } from "../../states.ts";
import type { System } from "../../system.ts";
import { CliError, type Command } from "../context.ts";
import { UsageError } from "../options.ts";
import { done, envPairs, NO_WAIT } from "./_shared.ts";

/** One running session found by `list-sessions`. */
export interface SessionInfo {
  /** The session's Upstart pid. */
  readonly pid: number;
  /** Its address (`UPSTART_SESSION`). */
  readonly address: string;
}

/**
 * Reads the session files in `DIR/upstart/sessions` as initctl does: `PID.session`
 * files of live processes whose content starts with `UPSTART_SESSION=`.
 *
 * @param runtimeDir `$XDG_RUNTIME_DIR`.
 * @param alive Whether a pid is a live process.
 * @returns The sessions, by pid, and the stale files skipped.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSessions } from "./daemon.ts";
 * const runtimeDir = await Deno.makeTempDir();
 * await Deno.mkdir(`${runtimeDir}/upstart/sessions`, { recursive: true });
 * await Deno.writeTextFile(`${runtimeDir}/upstart/sessions/1234.session`, "UPSTART_SESSION=unix:abstract=/x\n");
 * const { sessions } = readSessions(runtimeDir, (pid) => pid === 1234);
 * assert.deepEqual(sessions, [{ pid: 1234, address: "unix:abstract=/x" }]);
 * await Deno.remove(runtimeDir, { recursive: true });
 * ```
 */
export function readSessions(
  runtimeDir: string,
  alive: (pid: number) => boolean,
): { sessions: SessionInfo[]; stale: string[] } {
  const dir = `${runtimeDir}/upstart/sessions`;
  const sessions: SessionInfo[] = [];
  const stale: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { sessions, stale }; // initctl would create it
    if (e instanceof Deno.errors.NotCapable) throw e; // reported with the permissions hint
    throw new CliError("unable to determine sessions");
  }
  for (const entry of entries) {
    const m = /^(\d+)\.session$/.exec(entry.name);
    if (!m) continue;
    const pid = Number(m[1]);
    const path = `${dir}/${entry.name}`;
    if (!alive(pid)) {
      stale.push(path);
      continue;
    }
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      continue;
    }
    if (text.endsWith("\n")) text = text.slice(0, -1);
    if (!text.startsWith("UPSTART_SESSION=")) continue;
    const address = text.slice("UPSTART_SESSION=".length);
    if (address) sessions.push({ pid, address });
  }
  sessions.sort((a, b) => a.pid - b.pid);
  return { sessions, stale };
}

/** initctl asks `kill(pid, 0)`; /proc tells the same without a signal permission. */
function processAlive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    return false;
  }
}

const simple = (
  name: string,
  summary: string,
  help: string,
  call: (s: System) => Promise<void>,
): Command => ({
  name,
  usage: "",
  summary,
  help,
  group: "Daemon",
  options: [],
  daemon: true,
  async run(ctx) {
    await call(await ctx.connect());
    return done(ctx);
  },
});

/** A `notify-*` command: one call taking one address. */
const notifyAddress = (
  name: string,
  summary: string,
  help: string,
  missing: string,
  call: (s: System, address: string) => Promise<void>,
): Command => ({
  name,
  usage: "ADDRESS",
  summary,
  help,
  group: "Daemon",
  options: [],
  daemon: true,
  async run(ctx) {
    const [address] = ctx.args;
    if (address === undefined) throw new UsageError(missing);
    await call(await ctx.connect(), address);
    return done(ctx);
  },
});

/** The event and daemon commands. */
export const daemonCommands: Command[] = [
  {
    name: "emit",
    usage: "EVENT [KEY=VALUE]...",
    summary: "Emit an event.",
    help:
      "Emits EVENT with the given environment and waits until every job it starts or stops has finished doing so (unless --no-wait).",
    group: "Event",
    options: [NO_WAIT],
    daemon: true,
    async run(ctx) {
      const [event, ...env] = ctx.args;
      if (event === undefined) throw new UsageError("missing event name");
      const system = await ctx.connect();
      const pairs = envPairs(env);
      const stop = ctx.progress(`emitting ${event}`);
      try {
        await system.emit(event, pairs, { wait: ctx.opts["no-wait"] !== true });
      } finally {
        stop();
      }
      return done(ctx);
    },
  },
  simple(
    "reload-configuration",
    "Reload the job files.",
    "Asks Upstart to read its configuration directories again.",
    (s) => s.reloadConfiguration(),
  ),
  {
    name: "version",
    usage: "",
    summary: "Show the daemon's version.",
    help: "Prints the version string of the running Upstart.",
    group: "Daemon",
    options: [],
    daemon: true,
    async run(ctx) {
      const version = await (await ctx.connect()).version();
      if (ctx.json) ctx.printJson({ version });
      else ctx.print(version);
      return 0;
    },
  },
  {
    name: "log-priority",
    usage: "[PRIORITY]",
    summary: "Show or set the daemon's log priority.",
    help:
      "Without PRIORITY, prints the lowest priority Upstart logs. With it, sets it: debug, info, message (the default), warn, error or fatal.",
    group: "Daemon",
    options: [],
    daemon: true,
    async run(ctx) {
      const system = await ctx.connect();
      const [priority] = ctx.args;
      if (priority !== undefined) {
        if (!(LOG_PRIORITIES as readonly string[]).includes(priority)) {
          throw new CliError("The log priority given was not recognised");
        }
        await system.setLogPriority(priority as LogPriority);
        return done(ctx);
      }
      const current = await system.logPriority();
      if (ctx.json) ctx.printJson({ priority: current });
      else ctx.print(current);
      return 0;
    },
  },
  simple(
    "notify-disk-writeable",
    "Tell Upstart the disk is writeable.",
    "Lets Upstart flush the output it buffered for jobs that ended before the log directory was writeable.",
    (s) => s.notifyDiskWriteable(),
  ),
  notifyAddress(
    "notify-dbus-address",
    "Tell Upstart which D-Bus address to connect to.",
    "Gives a session Upstart the address of its D-Bus session bus.",
    "missing D-Bus address",
    (s, address) => s.notifyDBusAddress(address),
  ),
  notifyAddress(
    "notify-cgroup-manager-address",
    "Tell Upstart where the cgroup manager listens.",
    "Gives Upstart the D-Bus address of the cgroup manager, so that jobs with `cgroup' stanzas can start (Upstart 1.13 and later).",
    "missing address",
    (s, address) => s.notifyCGroupManagerAddress(address),
  ),
  {
    name: "list-sessions",
    usage: "",
    summary: "List the running session inits.",
    help:
      "Prints `PID ADDRESS' for each live Upstart user session found in $XDG_RUNTIME_DIR/upstart/sessions. Needs no daemon.",
    group: "Daemon",
    options: [],
    daemon: false,
    run(ctx) {
      const runtime = ctx.io.env("XDG_RUNTIME_DIR");
      if (!runtime || !runtime.startsWith("/")) {
        throw new CliError("Unable to query session directory");
      }
      const { sessions, stale } = readSessions(runtime, processAlive);
      for (const path of stale) ctx.info(`Ignoring stale session file: ${path}`);
      if (ctx.json) ctx.printJson({ sessions });
      else for (const s of sessions) ctx.print(`${s.pid} ${s.address}`);
      return Promise.resolve(0);
    },
  },
];
