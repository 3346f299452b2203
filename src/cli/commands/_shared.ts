/**
 * Helpers the daemon commands share: initctl's argument rules, the JSON
 * shape of an instance, and the empty result.
 *
 * @module
 */

import type { InstanceStatus } from "../../instance.ts";
import { UpstartError } from "../../errors.ts";
import type { System } from "../../system.ts";
import { CliError, type Context } from "../context.ts";
import { escapeField } from "../escape.ts";
import { type OptionSpec, UsageError } from "../options.ts";

/** `-n/--no-wait`, as start, stop, restart and emit take it. */
export const NO_WAIT: OptionSpec = {
  long: "no-wait",
  short: "n",
  help: "return at once instead of waiting for the goal to be reached",
};

/** An instance in `--json` output. */
export interface InstanceJson {
  /** The job. */
  readonly job: string;
  /** The instance name (`""` for single-instance jobs). */
  readonly name: string;
  /** `start` or `stop`. */
  readonly goal: string;
  /** The state. */
  readonly state: string;
  /** Running processes. */
  readonly processes: readonly { readonly type: string; readonly pid: number }[];
}

/**
 * An instance's status as `--json` shows it (a stop/waiting instance has gone).
 *
 * @param job The job name.
 * @param s The status, or `null` for no instance.
 * @param name The instance's name when known (a stopped instance's status may no longer say).
 * @returns The JSON object.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instanceJson } from "./_shared.ts";
 * assert.deepEqual(instanceJson("svc", null), {
 *   job: "svc",
 *   name: "",
 *   goal: "stop",
 *   state: "waiting",
 *   processes: [],
 * });
 * ```
 */
export function instanceJson(job: string, s: InstanceStatus | null, name = ""): InstanceJson {
  if (s === null || (s.goal === "stop" && s.state === "waiting")) {
    // A stopped instance is gone from the daemon, but the caller may know which one it was.
    return { job, name: s?.name || name, goal: "stop", state: "waiting", processes: [] };
  }
  return {
    job,
    name: s.name,
    goal: s.goal,
    state: s.state,
    processes: s.processes.map((p) => ({ type: p.type, pid: p.pid })),
  };
}

/** The job a job command acts on, and its `KEY=VALUE` arguments, or initctl's in-job fallback. */
export interface JobTarget {
  /** The job name. */
  readonly job: string;
  /** The environment arguments. */
  readonly env: readonly string[];
  /** Set when called from inside a job without arguments ($UPSTART_JOB/$UPSTART_INSTANCE). */
  readonly instance: string | null;
}

/**
 * Reads `JOB [KEY=VALUE]...`; with no arguments, initctl falls back to the
 * job it runs in (`$UPSTART_JOB` and `$UPSTART_INSTANCE`).
 *
 * @param ctx The command's context.
 * @returns The target.
 * @throws {UsageError} `missing job name`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobTarget } from "./_shared.ts";
 * import { makeContext } from "../context.ts";
 * import { denoIo } from "../io.ts";
 * const args = ["web", "PORT=80"];
 * const { ctx } = makeContext({ io: denoIo(), prog: "initctl", args, opts: {}, userMode: false, connectOptions: {} });
 * assert.deepEqual(jobTarget(ctx), { job: "web", env: ["PORT=80"], instance: null });
 * ```
 */
export function jobTarget(ctx: Context): JobTarget {
  const [job, ...env] = ctx.args;
  if (job !== undefined) return { job, env, instance: null };
  const upJob = ctx.io.env("UPSTART_JOB");
  const upInstance = ctx.io.env("UPSTART_INSTANCE");
  if (upJob === undefined || upInstance === undefined) throw new UsageError("missing job name");
  return { job: upJob, env: [], instance: upInstance };
}

/**
 * Checks `KEY=VALUE` arguments the way Upstart does, with its message.
 *
 * @param env The arguments.
 * @returns `env`.
 * @throws {CliError} `Env must be KEY=VALUE pairs`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { envPairs } from "./_shared.ts";
 * assert.deepEqual(envPairs(["A=1", "B="]), ["A=1", "B="]);
 * assert.throws(() => envPairs(["A"]), { name: "CliError", message: "Env must be KEY=VALUE pairs" });
 * ```
 */
export function envPairs(env: readonly string[]): string[] {
  // Upstart's environ_all_valid asks only for an "=" somewhere (so "=x" passes).
  if (env.some((e) => !e.includes("="))) throw new CliError("Env must be KEY=VALUE pairs");
  return [...env];
}

/**
 * Ends a command that has nothing to print: `{}` with `--json`, nothing
 * otherwise (as initctl), status 0.
 *
 * @param ctx The command's context.
 * @returns 0.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { done } from "./_shared.ts";
 * import { makeContext } from "../context.ts";
 * import type { CliIo } from "../io.ts";
 * let out = "";
 * const io = { stdout: (text: string) => void (out += text) } as CliIo; // all that done() uses
 * const opts = { json: true };
 * const { ctx } = makeContext({ io, prog: "initctl", args: [], opts, userMode: false, connectOptions: {} });
 * assert.equal(done(ctx), 0);
 * assert.equal(out, "{}\n");
 * ```
 */
export function done(ctx: Context): number {
  if (ctx.json) ctx.printJson({});
  return 0;
}

/** The shell's status for a command ended by a signal: 128 + its number (SIGTERM 143, else 130). */
export function interruptedStatus(signal: AbortSignal): number {
  return signal.reason === "SIGTERM" ? 143 : 130;
}

/**
 * After a job file was written: asks Upstart to reload its configuration (it may not watch the
 * directory, or be too old to). A failure is said with what was written and what to run later.
 *
 * @param ctx The command's context.
 * @param system The connection, or `null` when told not to reload (`--no-reload`).
 * @param what The file written, for the message.
 * @param verb What happened to it (`written`, `changed`).
 * @returns Whether Upstart reloaded.
 * @throws {CliError} when the reload failed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reloadAfterWrite } from "./_shared.ts";
 * import type { Context } from "../context.ts";
 * assert.equal(await reloadAfterWrite({} as Context, null, "/etc/init/web.conf", "written"), false);
 * ```
 */
export async function reloadAfterWrite(
  ctx: Context,
  system: System | null,
  what: string,
  verb: string,
): Promise<boolean> {
  if (system === null) return false;
  try {
    await system.reloadConfiguration();
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    const why = e instanceof UpstartError ? e.dbusMessage ?? e.message : (e as Error).message;
    throw new CliError(
      `${escapeField(what)} was ${verb} but Upstart did not reload its configuration: ${why} ` +
        `(run \`${ctx.prog} reload-configuration' once it can)`,
    );
  }
  return true;
}
