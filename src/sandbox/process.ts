/**
 * Running one job process as Upstart's `job_process_start` does: an `exec` line with shell
 * characters, or a `script`, through `/bin/sh -e -c`; a plain `exec` line split on whitespace and
 * run directly. Each process leads its own session and process group (so a kill reaches its
 * children), with stdio set by `console`, `umask`, `nice` and `limit` applied through
 * `nice`/`prlimit`, and its exit reported as Upstart's status (exit code, or signal << 8).
 *
 * @module
 */

import type { JobConfig, LimitResource, ProcessDef } from "../jobfile/mod.ts";
import { envGet } from "./environ.ts";
import { signalNumber } from "./signals.ts";

/** `job_process.c: SHELL_CHARS`: any of these sends an `exec` line through the shell. */
export const SHELL_CHARS = "~`!$^&*()=|\\{}[];\"'<>?";

/** How a process ended: Upstart's status (exit code, or the signal shifted left by 8). */
export interface Exit {
  /** The status as Upstart stores it. */
  readonly status: number;
}

/** A running job process. */
export interface RunningProcess {
  /** Its pid (also its process group and session id). */
  readonly pid: number;
  /** Resolves when it has been reaped (and its output logged, unless a detached child keeps the pipe). */
  readonly exit: Promise<Exit>;
}

/** Everything needed to spawn one process. */
export interface SpawnRequest {
  /** The `exec`/`script` definition. */
  readonly def: ProcessDef;
  /** The job's configuration (console, chdir, umask, nice, limits). */
  readonly config: JobConfig;
  /** The environment, `KEY=VALUE`. */
  readonly env: readonly string[];
  /** Where `console log` output goes (`null`: discarded). */
  readonly logPath: string | null;
  /** Limits this user can set (others are skipped and reported as not enforced). */
  readonly allowedLimits: ReadonlySet<LimitResource>;
  /** Whether a negative `nice` can be applied (root). */
  readonly canRaisePriority: boolean;
}

/** A process that could not be spawned (Upstart: `Failed to spawn JOB PROCESS process: ...`). */
export class SpawnError extends Error {
  /** Always `"SpawnError"`. */
  override readonly name = "SpawnError";
}

/** The argument vector Upstart would exec for `def` (before the executable is resolved). */
export function commandArgv(def: ProcessDef): string[] {
  if (def.kind === "script" || [...def.command].some((c) => SHELL_CHARS.includes(c))) {
    let script = def.kind === "script" ? def.command : `exec ${def.command}`;
    // Upstart passes a one-line script on the command line without its trailing newlines; a longer
    // one goes through a pipe as /proc/self/fd/9, which `-c` matches but for `$0`.
    const nl = script.indexOf("\n");
    if (nl >= 0 && /^\n*$/.test(script.slice(nl))) script = script.slice(0, nl);
    return ["/bin/sh", "-e", "-c", script, "/bin/sh"];
  }
  return def.command.split(/[ \t\r\n]+/).filter((s) => s !== "");
}

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0o777) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Finds `name` as `execvp` would, on the job's `PATH`. */
export function resolveExecutable(
  name: string,
  env: readonly string[],
  cwd: string,
): string | null {
  if (name.includes("/")) {
    const path = name.startsWith("/") ? name : `${cwd}/${name}`;
    return isExecutable(path) ? path : null;
  }
  const search = envGet(env, "PATH") ?? "/bin:/usr/bin";
  for (const dir of search.split(":")) {
    const path = `${dir === "" ? "." : dir}/${name}`;
    if (isExecutable(path)) return path;
  }
  return null;
}

const LIMIT_OPTION: Record<LimitResource, string> = {
  as: "as",
  core: "core",
  cpu: "cpu",
  data: "data",
  fsize: "fsize",
  memlock: "memlock",
  msgqueue: "msgqueue",
  nice: "nice",
  nofile: "nofile",
  nproc: "nproc",
  rss: "rss",
  rtprio: "rtprio",
  sigpending: "sigpending",
  stack: "stack",
};

function wrapper(req: SpawnRequest): string[] {
  const c = req.config;
  const out: string[] = [];
  const limits = Object.entries(c.limits).filter(([r]) =>
    req.allowedLimits.has(r as LimitResource)
  ) as [LimitResource, { soft: number | "unlimited"; hard: number | "unlimited" }][];
  if (limits.length > 0) {
    out.push("prlimit");
    for (const [r, v] of limits) out.push(`--${LIMIT_OPTION[r]}=${v.soft}:${v.hard}`);
    out.push("--");
  }
  if (c.nice !== null && (c.nice >= 0 || req.canRaisePriority)) {
    out.push("nice", "-n", String(c.nice));
  }
  // umask has no spawn option: a tiny shell sets it and execs the real program (same pid).
  out.push("/bin/sh", "-c", `umask ${c.umask.toString(8).padStart(4, "0")} && exec "$@"`, "sh");
  return out;
}

/**
 * Starts a job process, synchronously (as `fork` is in Upstart): the pid is known on return.
 *
 * @throws {SpawnError} When the program or the working directory does not exist.
 */
export function spawnJobProcess(req: SpawnRequest): RunningProcess {
  const cwd = req.config.chdir ?? "/";
  try {
    if (!Deno.statSync(cwd).isDirectory) throw new SpawnError(`${cwd}: Not a directory`);
  } catch (e) {
    if (e instanceof SpawnError) throw e;
    throw new SpawnError(`Unable to change directory to ${cwd}: No such file or directory`);
  }
  const argv = commandArgv(req.def);
  if (argv.length === 0) throw new SpawnError("Empty command");
  const exe = resolveExecutable(argv[0], req.env, cwd);
  if (exe === null) {
    throw new SpawnError(`Unable to execute "${argv[0]}": No such file or directory`);
  }
  const full = [...wrapper(req), exe, ...argv.slice(1)];
  const env: Record<string, string> = {};
  for (const e of req.env) {
    const i = e.indexOf("=");
    env[e.slice(0, i)] = e.slice(i + 1);
  }
  const consoleMode = req.config.console;
  const log = consoleMode === "log";
  const io = consoleMode === "none" ? "null" : log ? "piped" : "inherit";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(full[0], {
      args: full.slice(1),
      env,
      clearEnv: true,
      cwd,
      stdin: "null",
      stdout: io,
      stderr: io,
      detached: true, // setsid(): its own session and process group, as Upstart does
    }).spawn();
  } catch (e) {
    throw new SpawnError(e instanceof Error ? e.message : String(e));
  }
  const pumps = log ? [pump(child.stdout, req.logPath), pump(child.stderr, req.logPath)] : [];
  const exit = (async (): Promise<Exit> => {
    const st = await child.status;
    // Upstart follows the process, not the pipe: a detached child may hold the pipe open for
    // ever. The output keeps being logged until the pipe closes; the exit waits for that only
    // briefly (it normally closes with the process), so its output is in the log by then.
    let grace: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(pumps),
      new Promise((r) => grace = setTimeout(r, PIPE_GRACE_MS)),
    ]);
    clearTimeout(grace);
    if (st.signal !== null) {
      // A signal Deno has no name for still shows in the code, as 128 + its number.
      return { status: (signalNumber(st.signal) ?? st.code - 128) << 8 };
    }
    return { status: st.code };
  })();
  return { pid: child.pid, exit };
}

/** How long an exit waits for its `console log` pipe to close after the process has gone. */
const PIPE_GRACE_MS = 500;

/**
 * The log file's mode, as Upstart makes it: `LOG_DEFAULT_MODE` (0740) under `LOG_DEFAULT_UMASK`
 * (0117), whatever the process's own umask.
 */
const LOG_MODE = 0o640;

/**
 * Opens the log to append, as Upstart's `log_file_open`: created when absent with {@linkcode
 * LOG_MODE}, and never through a symlink (`O_NOFOLLOW`; checked with `lstat` first, as Deno has no
 * such flag).
 */
async function openLog(path: string): Promise<Deno.FsFile> {
  const st = await Deno.lstat(path).catch(() => null);
  if (st?.isSymlink) throw new Error(`${path} is a symlink`);
  try {
    const file = await Deno.open(path, { append: true, createNew: true, mode: LOG_MODE });
    // A umask stricter than 0117 took bits away: put them back (Deno has no fchmod; the file is
    // the one just created, in the log directory Upstart owns).
    if (((await file.stat()).mode ?? LOG_MODE) % 0o1000 !== LOG_MODE) {
      await Deno.chmod(path, LOG_MODE).catch(() => {});
    }
    return file;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    return await Deno.open(path, { append: true });
  }
}

/** The pty's `ONLCR`: Upstart logs through a pty, so each `\n` reaches the file as `\r\n`. */
function onlcr(chunk: Uint8Array): Uint8Array {
  let n = 0;
  for (const b of chunk) if (b === 10) n++;
  if (n === 0) return chunk;
  const out = new Uint8Array(chunk.length + n);
  let j = 0;
  for (const b of chunk) {
    if (b === 10) out[j++] = 13;
    out[j++] = b;
  }
  return out;
}

/**
 * Appends a stream to the log file as Upstart does: opened when the first output arrives, with
 * `\n` written as `\r\n`, and opened again when the file has been removed (logrotate renamed and
 * compressed it: its link count is 0), so the next output starts a new file.
 */
async function pump(stream: ReadableStream<Uint8Array>, path: string | null): Promise<void> {
  let file: Deno.FsFile | null = null;
  try {
    for await (const chunk of stream) {
      if (path === null) continue;
      if (file !== null && (await file.stat()).nlink === 0) {
        file.close();
        file = null;
      }
      file ??= await openLog(path);
      const data = onlcr(chunk);
      for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
    }
  } catch {
    /* the log directory vanished, or the log is a symlink: output is lost, as when Upstart cannot log */
  } finally {
    file?.close();
  }
}
