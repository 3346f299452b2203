/**
 * Service commands, as `systemctl` has them, for what is otherwise done by hand in `/etc/init`:
 * disable, enable (`--now`), is-enabled, is-active, cat, edit, remove; locally, or on `--host`
 * over the same ssh settings as the D-Bus connection.
 *
 * After changing a file they ask Upstart to reload its configuration (unless `--no-reload`):
 * Upstart and the sandbox watch their directories with inotify, but a directory created after the
 * daemon started, a `--dir` it does not read as a watched source, a file system without inotify
 * or an old daemon would not notice; `reload-configuration` is cheap and changes nothing when
 * there is nothing new, so it is always asked for. Upstart is reached before anything is written,
 * so when it cannot be, nothing changes.
 *
 * @module
 */

import {
  AlreadyStartedError,
  AlreadyStoppedError,
  UnknownInstanceError,
  UnknownJobError,
} from "../../errors.ts";
import { HostFilesError } from "../../host_files.ts";
import { JobFileNotFoundError, sameBytes } from "../../job_directory.ts";
import type { Instance } from "../../instance.ts";
import type { System } from "../../system.ts";
import { JobCheckError, type JobProblem, ParseError } from "../../jobfile/mod.ts";
import { escapeField, escapeOutput } from "../escape.ts";
import { CliError, type Command, type Context } from "../context.ts";
import { type OptionSpec, UsageError } from "../options.ts";
import { reloadAfterWrite } from "./_shared.ts";
import { DIR_OPTION, jobDirectory } from "./_files.ts";

const NO_RELOAD: OptionSpec = {
  long: "no-reload",
  help: "do not ask Upstart to reload its configuration (and do not reach it)",
};
const NOW: OptionSpec = { long: "now", help: "also stop (disable) or start (enable) it now" };

function jobNames(ctx: Context, one = false): readonly string[] {
  if (ctx.args.length === 0) throw new UsageError("missing job name");
  if (one && ctx.args.length > 1) throw new UsageError(`unexpected argument: ${ctx.args[1]}`);
  return ctx.args;
}

/** Our failures as `PROG: MESSAGE` (escaped: names and paths may hold control characters). */
function failure(e: unknown): unknown {
  if (
    e instanceof JobFileNotFoundError || e instanceof ParseError || e instanceof JobCheckError ||
    e instanceof HostFilesError || e instanceof RangeError || e instanceof TypeError
  ) {
    return new CliError(escapeField(e.message));
  }
  if (e instanceof Deno.errors.PermissionDenied) {
    return new CliError(escapeField(`${e.message} (run as root, or with --sudo on --host)`));
  }
  return e;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw failure(e);
  }
}

/** Reaches Upstart before anything is written (none with `--no-reload`). */
async function reachUpstart(ctx: Context): Promise<System | null> {
  return ctx.opts["no-reload"] === true ? null : await ctx.connect();
}

async function instancesOf(system: System, name: string): Promise<Instance[]> {
  try {
    return await (await system.job(name)).instances();
  } catch (e) {
    if (e instanceof UnknownJobError) return [];
    throw e;
  }
}

/** Stops every running instance; returns how many were stopped. */
async function stopAll(system: System, name: string): Promise<number> {
  let n = 0;
  for (const inst of await instancesOf(system, name)) {
    if (inst.goal === "stop") continue;
    try {
      await inst.stop();
      n++;
    } catch (e) {
      if (!(e instanceof AlreadyStoppedError || e instanceof UnknownInstanceError)) throw e;
    }
  }
  return n;
}

function problemLines(path: string, problems: readonly JobProblem[]): string {
  return problems.map((p) =>
    escapeField(p.error ? p.error.message : `${path}:${p.line}: ${p.severity}: ${p.message}`) +
    "\n"
  ).join("");
}

/** Whether `--host`/`--hosts-file` name more than one host (edit needs a terminal for one). */
function severalHosts(ctx: Context): boolean {
  const hosts = ((ctx.opts.host ?? []) as string[]).flatMap((h) => h.split(","));
  return ctx.opts["hosts-file"] !== undefined || new Set(hosts).size > 1;
}

/** An instance's part in `is-active`: systemctl's words for Upstart's goals and states. */
function activity(goal: string, state: string): string {
  if (goal === "stop") return state === "waiting" ? "inactive" : "deactivating";
  return state === "running" ? "active" : "activating";
}

async function enableOrDisable(ctx: Context, action: "enable" | "disable"): Promise<number> {
  const [name] = jobNames(ctx, true);
  const dir = jobDirectory(ctx);
  const now = ctx.opts.now === true;
  if (now && ctx.opts["no-reload"] === true) {
    throw new UsageError("--now needs Upstart: it cannot be combined with --no-reload");
  }
  const system = await reachUpstart(ctx);
  const r = await guard(() => action === "disable" ? dir.disable(name) : dir.enable(name));
  const job = escapeField(name);
  const reloaded = r.changed
    ? await reloadAfterWrite(ctx, system, r.job.override, "changed")
    : false;
  let status = 0;
  const out: string[] = [];
  if (r.before === "bad") {
    throw new CliError(
      `Upstart loads no job from ${escapeField(r.job.conf)}: see \`${ctx.prog} check' on it`,
    );
  } else if (r.changed && action === "disable") {
    out.push(`Disabled ${job}: manual added to ${escapeField(r.job.override)}`);
  } else if (r.changed) {
    out.push(
      r.removedOverride
        ? `Enabled ${job}: removed ${escapeField(r.job.override)} (only manual was in it)`
        : `Enabled ${job}: manual removed from ${escapeField(r.job.override)}`,
    );
  } else if (r.before === "static") {
    out.push(`${job} has no start on: it starts only when asked (static), nothing to ${action}`);
  } else out.push(`${job} is already ${action}d`);
  if (action === "enable" && r.after === "disabled") {
    ctx.io.stderr(
      `${ctx.prog}: ${job} stays disabled: manual in ${
        escapeField(r.job.conf)
      } turns its start on off (change it with \`${ctx.prog} edit --full ${job}')\n`,
    );
    status = 1;
  }
  let changedNow = 0;
  if (now && system !== null) {
    if (action === "disable") changedNow = await stopAll(system, name);
    else {
      try {
        await (await system.job(name)).start();
        changedNow = 1;
      } catch (e) {
        if (!(e instanceof AlreadyStartedError)) throw e;
      }
    }
  }
  if (ctx.json) {
    ctx.printJson({
      job: name,
      conf: r.job.conf,
      override: r.job.override,
      changed: r.changed,
      removedOverride: r.removedOverride,
      before: r.before,
      after: r.after,
      reloaded,
      ...(now ? { [action === "disable" ? "stopped" : "started"]: changedNow } : {}),
    });
  } else for (const line of out) ctx.print(line);
  return status;
}

/**
 * The service commands, for `main`'s command table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serviceCommands } from "./service.ts";
 * assert.ok(serviceCommands.every((c) => c.group === "Service"));
 * ```
 */
export const serviceCommands: Command[] = [
  {
    name: "disable",
    usage: "JOB",
    summary: "Stop a job from starting on its own (manual in its override).",
    help:
      "Appends manual to JOB.override (created when absent), after everything else in it, so that it turns off every start on before it; other stanzas and comments stay byte for byte, and the file is replaced atomically. Does nothing when the job is already disabled or has no start on (static). Then asks Upstart to reload its configuration (Upstart is reached first; --no-reload skips it). With --now, also stops its running instances. systemctl disable [--now].",
    group: "Service",
    options: [NOW, DIR_OPTION, NO_RELOAD],
    daemon: true,
    run: (ctx) => enableOrDisable(ctx, "disable"),
  },
  {
    name: "enable",
    usage: "JOB",
    summary: "Let a job start on its own again.",
    help:
      "Removes every manual from JOB.override, keeping the rest byte for byte, and deletes the override when nothing but blank lines would be left. Does nothing when the job is not disabled. A manual in the .conf itself is not touched: the job then stays disabled, which is reported (exit 1). Then asks Upstart to reload its configuration (unless --no-reload). With --now, also starts it. systemctl enable [--now].",
    group: "Service",
    options: [NOW, DIR_OPTION, NO_RELOAD],
    daemon: true,
    run: (ctx) => enableOrDisable(ctx, "enable"),
  },
  {
    name: "is-enabled",
    usage: "JOB...",
    summary: "Say whether jobs start on their own.",
    help:
      "Prints enabled, disabled (a start on that manual turns off), static (no start on at all) or bad (Upstart loads no job from its files) for each JOB, from its .conf and .override merged as Upstart merges them. Exits 0 when at least one is enabled, 1 otherwise. Reads only the job files: Upstart need not run. systemctl is-enabled.",
    group: "Service",
    options: [DIR_OPTION],
    daemon: true,
    async run(ctx) {
      const dir = jobDirectory(ctx);
      const results: { job: string; state: string | null; error?: string }[] = [];
      for (const name of jobNames(ctx)) {
        try {
          results.push({ job: name, state: await dir.enablement(name) });
        } catch (e) {
          const f = failure(e);
          if (!(f instanceof CliError)) throw f;
          if (!ctx.json) ctx.io.stderr(`${ctx.prog}: ${f.message}\n`);
          results.push({ job: name, state: null, error: f.message });
          continue;
        }
        if (!ctx.json) ctx.print(results.at(-1)!.state!);
      }
      if (ctx.json) ctx.printJson({ jobs: results });
      return results.some((r) => r.state === "enabled") ? 0 : 1;
    },
  },
  {
    name: "is-active",
    usage: "JOB...",
    summary: "Say whether jobs are running.",
    help:
      "Prints active (an instance has goal start and is running), activating (goal start, not running yet), deactivating (goal stop, not stopped yet) or inactive (no instance, or no such job) for each JOB; with several instances, the first of these that any instance is. Exits 0 when at least one is active, 3 otherwise, as systemctl is-active.",
    group: "Service",
    options: [],
    daemon: true,
    async run(ctx) {
      const system = await ctx.connect();
      const order = ["active", "activating", "deactivating"] as const;
      const results = [];
      for (const name of jobNames(ctx)) {
        let known = true;
        let instances: Instance[] = [];
        try {
          instances = await (await system.job(name)).instances();
        } catch (e) {
          if (e instanceof UnknownJobError) known = false;
          else if (e instanceof TypeError || e instanceof RangeError) {
            throw new CliError(escapeField(e.message));
          } else throw e;
        }
        const seen = new Set(instances.map((i) => activity(i.goal, i.state)));
        const state = order.find((s) => seen.has(s)) ?? "inactive";
        results.push({
          job: name,
          state,
          known,
          instances: instances.map((i) => ({ name: i.name, goal: i.goal, state: i.state })),
        });
        if (!ctx.json) ctx.print(state);
      }
      if (ctx.json) ctx.printJson({ jobs: results });
      return results.some((r) => r.state === "active") ? 0 : 3;
    },
  },
  {
    name: "cat",
    usage: "JOB...",
    summary: "Print job files and their overrides.",
    help:
      "Prints each JOB's .conf and then its .override (when there is one), each under a # PATH line, with a blank line between files, as systemctl cat. Control characters are shown escaped (\\x1b); --json gives the exact text. Reads only the job files.",
    group: "Service",
    options: [DIR_OPTION],
    daemon: true,
    async run(ctx) {
      const dir = jobDirectory(ctx);
      const decoder = new TextDecoder();
      const files: { job: string; path: string; text: string }[] = [];
      for (const name of jobNames(ctx)) {
        const job = await guard(() => dir.read(name));
        files.push({ job: name, path: job.conf, text: decoder.decode(job.confBytes) });
        if (job.overrideBytes !== null) {
          files.push({ job: name, path: job.override, text: decoder.decode(job.overrideBytes) });
        }
      }
      if (ctx.json) {
        ctx.printJson({ files });
        return 0;
      }
      ctx.io.stdout(
        files.map((f) => {
          const text = f.text === "" || f.text.endsWith("\n") ? f.text : f.text + "\n";
          return `# ${escapeField(f.path)}\n${escapeOutput(text)}`;
        }).join("\n"),
      );
      return 0;
    },
  },
  {
    name: "edit",
    usage: "JOB",
    summary: "Edit a job's override (or, with --full, its .conf).",
    help:
      "Opens $VISUAL or $EDITOR (else editor, nano, vim or vi) on a temporary copy of JOB.override (by default, as systemctl edit opens a drop-in: the override survives package upgrades that replace the .conf, and shows what was changed) or, with --full, of JOB.conf. The result is checked as Upstart would load it: errors are shown and, on a terminal, you are asked to edit again; otherwise nothing is written, the copy is kept and the exit status is 1. Warnings are shown. The file is written atomically only when it changed (an emptied override is deleted), then Upstart is asked to reload its configuration (unless --no-reload). On --host, the editor runs here on a copy of the remote file.",
    group: "Service",
    options: [
      { long: "override", help: "edit JOB.override (the default)" },
      { long: "full", help: "edit JOB.conf itself" },
      DIR_OPTION,
      NO_RELOAD,
    ],
    daemon: true,
    async run(ctx) {
      const [name] = jobNames(ctx, true);
      if (ctx.opts.full === true && ctx.opts.override === true) {
        throw new UsageError("--full and --override cannot be combined");
      }
      if (severalHosts(ctx)) throw new UsageError("edit runs on one host at a time");
      const kind = ctx.opts.full === true ? "conf" : "override";
      const dir = jobDirectory(ctx);
      const system = await reachUpstart(ctx);
      const job = await guard(() => dir.read(name));
      const path = job[kind];
      const original = kind === "conf" ? job.confBytes : job.overrideBytes;
      const tmpDir = await Deno.makeTempDir({ prefix: "upstart-edit-" });
      const tmp = `${tmpDir}/${path.slice(path.lastIndexOf("/") + 1)}`;
      let keep = false;
      try {
        await Deno.writeFile(tmp, original ?? new Uint8Array(), { mode: 0o600 });
        for (;;) {
          await runEditor(ctx, tmp);
          const edited = await Deno.readFile(tmp);
          if (sameBytes(edited, original ?? new Uint8Array())) {
            ctx.print(`No changes to ${escapeField(path)}`);
            return 0;
          }
          // Someone else may have changed the file while it was being edited: never undo that.
          const now = await guard(() => dir.read(name));
          if (!sameBytes(kind === "conf" ? now.confBytes : now.overrideBytes, original)) {
            keep = true;
            throw new CliError(
              `${escapeField(path)} changed while it was being edited: not written; ` +
                `your version is in ${escapeField(tmp)}`,
            );
          }
          let result;
          try {
            result = await dir.writeJobFile(name, kind, edited);
          } catch (e) {
            if (!(e instanceof JobCheckError)) throw failure(e);
            ctx.io.stderr(problemLines(path, e.problems));
            const answer = ctx.io.ask ? await ctx.io.ask("Edit again? [Y/n] ") : null;
            if (answer === null) {
              keep = true;
              throw new CliError(
                `${escapeField(path)} not written: Upstart would reject it; ` +
                  `your version is in ${escapeField(tmp)}`,
              );
            }
            if (/^\s*n/i.test(answer)) throw new CliError(`${escapeField(path)} not written`);
            continue;
          }
          if (ctx.opts.quiet !== true) ctx.io.stderr(problemLines(path, result.warnings));
          const reloaded = await reloadAfterWrite(ctx, system, path, "changed");
          if (ctx.json) ctx.printJson({ job: name, path, removed: result.removed, reloaded });
          else {ctx.print(
              result.removed
                ? `Removed ${escapeField(path)} (it was emptied)`
                : `Wrote ${escapeField(path)}`,
            );}
          return 0;
        }
      } finally {
        if (!keep) await Deno.remove(tmpDir, { recursive: true }).catch(() => {});
      }
    },
  },
  {
    name: "remove",
    usage: "JOB",
    summary: "Delete a job's files.",
    help:
      "Deletes JOB.conf and JOB.override, then asks Upstart to reload its configuration, so that the job is gone. A job with a running instance is refused unless --stop, which stops its instances first. systemctl has no such command: it is rm of the unit file and systemctl daemon-reload.",
    group: "Service",
    options: [{ long: "stop", help: "stop its running instances first" }, DIR_OPTION],
    daemon: true,
    async run(ctx) {
      const [name] = jobNames(ctx, true);
      const dir = jobDirectory(ctx);
      const system = await ctx.connect();
      const at = await guard(async () => {
        const found = await dir.locate(name);
        if (found === null) throw new JobFileNotFoundError(name, dir.dirs);
        return found;
      });
      const running = (await instancesOf(system, name)).filter((i) =>
        !(i.goal === "stop" && i.state === "waiting")
      );
      let stopped = 0;
      if (running.length > 0) {
        if (ctx.opts.stop !== true) {
          throw new CliError(
            `${escapeField(name)} is running (${running.length} instance${
              running.length === 1 ? "" : "s"
            }): stop it first, or use --stop`,
          );
        }
        stopped = await stopAll(system, name);
      }
      const removed = await guard(() => dir.remove(name));
      await reloadAfterWrite(ctx, system, at.conf, "changed");
      if (ctx.json) ctx.printJson({ job: name, removed, stopped });
      else for (const p of removed) ctx.print(`Removed ${escapeField(p)}`);
      return 0;
    },
  },
];

/** Runs the editor on `file` on this terminal; fails unless it exits 0. */
async function runEditor(ctx: Context, file: string): Promise<void> {
  const editor = ctx.io.env("VISUAL") || ctx.io.env("EDITOR");
  // Like git, the variable is shell text ("code --wait" works); the file is a separate argument.
  const script = editor
    ? `${editor} "$@"`
    : 'for e in editor nano vim vi; do command -v "$e" >/dev/null 2>&1 && exec "$e" "$@"; done; ' +
      'echo "no editor found: set VISUAL or EDITOR" >&2; exit 127';
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command("/bin/sh", {
      args: ["-c", script, "sh", file],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) throw e;
    throw new CliError(`cannot run the editor: ${(e as Error).message}`);
  }
  if (!status.success) {
    throw new CliError(
      `the editor exited with status ${status.code}${
        status.signal ? ` (${status.signal})` : ""
      }: nothing written`,
    );
  }
}
