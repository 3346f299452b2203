/**
 * `logs JOB [INSTANCE]`: a job's `console log` output, as `journalctl -u` shows a unit's: the
 * rotated files and the current one in order, `-n` for the last lines, `-f` to follow across
 * rotation, `--since` to skip files older than a time.
 *
 * @module
 */

import type { HostFiles } from "../../host_files.ts";
import { JobFileNotFoundError } from "../../job_directory.ts";
import {
  followLog,
  type LogContent,
  logFileName,
  readLog,
  sessionLogDir,
  SYSTEM_LOG_DIR,
} from "../../logs.ts";
import type { Command, Context } from "../context.ts";
import { escapeOutput } from "../escape.ts";
import { UsageError } from "../options.ts";
import { parseSince } from "../time.ts";
import { DIR_OPTION, hostFiles, jobDirectory } from "./_files.ts";

/** Lines shown by `-f` without `-n`, as `journalctl -f` and `tail -f`. */
const FOLLOW_LINES = 10;

function lineCount(ctx: Context): number | undefined {
  const raw = ctx.opts.lines;
  if (raw === undefined) return ctx.opts.follow === true ? FOLLOW_LINES : undefined;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new UsageError(`invalid --lines value: ${raw}: expected a whole number, 0 or more`);
  }
  return n;
}

/** Writes lines in large pieces (one write per line is slow for a big log). */
function printer(ctx: Context, host: string | null) {
  let buf = "";
  const flush = () => {
    if (buf) ctx.io.stdout(buf);
    buf = "";
  };
  return {
    line(text: string) {
      buf += ctx.json
        ? JSON.stringify(host === null ? { line: text } : { host, line: text }) + "\n"
        : escapeOutput(text) + "\n"; // a line has no \n of its own
      if (buf.length > 65536) flush();
    },
    flush,
  };
}

/** Says why a job has no lines to show: it does not log, or has not yet. */
async function noLog(
  ctx: Context,
  files: HostFiles,
  dir: string,
  job: string,
  instance: string,
  log: LogContent,
): Promise<boolean> {
  const name = escapeOutput(instance ? `${job} (${instance})` : job);
  const found = await jobDirectory(ctx).config(job).catch((e) => {
    if (e instanceof JobFileNotFoundError || e instanceof RangeError) return null; // no file to say
    throw e;
  });
  const console = found?.config?.console ?? "log";
  if (found !== null && console !== "log") {
    if (ctx.json) {
      const doc = { job, instance, log: null, console, jobFile: found.conf };
      ctx.io.stdout(JSON.stringify(doc) + "\n");
    } else ctx.print(`${name}: no log: its console is ${console} (${found.conf})`);
    return true; // it never will have one
  }
  let also = "";
  if (instance === "") {
    // A multi-instance job logs per instance: point at them rather than at nothing.
    const prefix = logFileName(job).slice(0, -".log".length) + "-";
    const instances = ((await files.list(dir)) ?? [])
      .filter((n) => n.startsWith(prefix) && n.endsWith(".log")).sort();
    if (instances.length) also = `; instance logs: ${instances.join(", ")}`;
  }
  if (ctx.json) {
    // One JSON line like the others, so a consumer of --json never meets plain text.
    ctx.io.stdout(JSON.stringify({ job, instance, log: null, path: log.position.path }) + "\n");
  } else ctx.print(`${name}: no log yet (${log.position.path})${also}`);
  return false;
}

async function logs(ctx: Context): Promise<number> {
  const [job, instance = "", ...extra] = ctx.args;
  if (job === undefined) throw new UsageError("missing job name");
  if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
  if (job === "") throw new UsageError("invalid job name: it is empty");
  const lines = lineCount(ctx);
  const since = ctx.opts.since === undefined ? undefined : parseSince(ctx.opts.since as string);
  const follow = ctx.opts.follow === true;
  const files = hostFiles(ctx);
  const given = ctx.opts["log-dir"] as string | undefined;
  if (given !== undefined && !given.startsWith("/")) {
    // On a host, relative to what? Said plainly rather than as a bare path error.
    throw new UsageError(`invalid --log-dir value: ${given}: expected an absolute path`);
  }
  const dir = given ??
    (ctx.userMode ? sessionLogDir((n) => ctx.io.env(n)) : SYSTEM_LOG_DIR);
  const name = logFileName(job, instance);
  const log = await readLog(files, dir, name, { lines, since, completeOnly: follow });
  const out = printer(ctx, files.host);
  for (const l of log.lines) out.line(l);
  out.flush();
  if (log.files.length === 0 && await noLog(ctx, files, dir, job, instance, log)) return 0;
  if (!follow) return 0;
  const notice = (text: string) => {
    if (ctx.opts.quiet !== true) ctx.io.stderr(`${ctx.prog}: ${escapeOutput(text)}\n`);
  };
  for await (
    const item of followLog(files, log.position, {
      signal: ctx.io.interrupt,
      intervalMs: files.host === null ? 250 : 1000,
    })
  ) {
    if (item.kind === "lines") {
      for (const l of item.lines) out.line(l);
      out.flush();
      continue;
    }
    if (item.kind === "truncated") notice(`${item.path}: file truncated`);
    else if (item.kind === "rotated") notice(`${item.path}: file replaced (rotated)`);
    else notice(`${item.path}: file removed; waiting for it to come back`);
  }
  out.flush();
  return 0;
}

/**
 * The log command (`logs`), for the CLI's command table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logCommands } from "./logs.ts";
 * assert.equal(logCommands[0].usage, "JOB [INSTANCE]");
 * ```
 */
export const logCommands: Command[] = [
  {
    name: "logs",
    usage: "JOB [INSTANCE]",
    summary: "Show a job's console log output.",
    help:
      "Prints what JOB (or its INSTANCE) wrote under `console log' (Upstart's default), from Upstart's log files: /var/log/upstart/JOB.log (JOB-INSTANCE.log for an instance; `/' in names becomes `_') for the system init, $XDG_CACHE_HOME/upstart for a session init (--user), or --log-dir. Files rotated by logrotate (JOB.log.2.gz, JOB.log.1, JOB.log-DATE) come first, oldest first. Prints every line unless -n; -f prints the last 10 and then follows the log as it grows, across rotation and truncation, until Ctrl-C. The files hold no timestamps: --since skips whole files last written before TIME and shows the others in full. The pty's CR before each line end is dropped and control characters are escaped (\\x1b); --json prints one {\"line\": ...} object per line (and one {\"log\": null, ...} object when there is no log). A job whose console is none, output or owner, or which has written nothing yet, gets one line saying so (status 0).",
    group: "Service",
    streaming: true,
    options: [
      {
        long: "lines",
        short: "n",
        arg: "N",
        help: "only the last N lines (default all; 10 with -f)",
      },
      { long: "follow", short: "f", help: "keep printing new lines as they are written" },
      {
        long: "since",
        arg: "TIME",
        help: 'skip files last written before TIME: 2026-12-01 10:00, today, "2h ago", --since=-2h',
      },
      {
        long: "log-dir",
        arg: "DIR",
        help: "the log directory (default /var/log/upstart; a session's ~/.cache/upstart)",
      },
      DIR_OPTION,
    ],
    daemon: true,
    run: logs,
  },
];
