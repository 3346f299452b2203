/**
 * Upstart's job logs (`console log`): where they are, in which files (as logrotate leaves them),
 * and their lines.
 *
 * Upstart writes a job's output through a pty to `DIR/JOB.log`, or `DIR/JOB-INSTANCE.log` for an
 * instance, with every `/` of either name turned into `_` (all logs share one directory); `DIR`
 * is `/var/log/upstart` for the system init and `$XDG_CACHE_HOME/upstart` (default
 * `~/.cache/upstart`) for a session init (`init --logdir` or `$UPSTART_LOGDIR` change it). The
 * pty turns each `\n` into `\r\n`; lines are given back without that `\r`. The files carry no
 * timestamps: only a file's modification time says how recent its lines are.
 *
 * @module
 */

import { type HostFiles, MAX_HOST_FILE_BYTES } from "./host_files.ts";

/**
 * Where the system init writes job logs (`JOB_LOGDIR` in Upstart's `paths.h`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logFileName, SYSTEM_LOG_DIR } from "./logs.ts";
 * assert.equal(`${SYSTEM_LOG_DIR}/${logFileName("cron")}`, "/var/log/upstart/cron.log");
 * ```
 */
export const SYSTEM_LOG_DIR = "/var/log/upstart";

/**
 * Where a session init writes job logs: `$XDG_CACHE_HOME/upstart`, else `$HOME/.cache/upstart`.
 *
 * @param env Reads an environment variable (of the session's user).
 * @returns The directory.
 * @throws {Error} When neither `XDG_CACHE_HOME` nor `HOME` is set.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionLogDir } from "./logs.ts";
 * assert.equal(sessionLogDir((n) => ({ HOME: "/home/ann" })[n]), "/home/ann/.cache/upstart");
 * ```
 */
export function sessionLogDir(env: (name: string) => string | undefined): string {
  const cache = env("XDG_CACHE_HOME");
  if (cache) return `${cache}/upstart`;
  const home = env("HOME");
  if (!home) throw new Error("Cannot find the session's log directory: HOME is not set");
  return `${home}/.cache/upstart`;
}

/**
 * The name of a job's log file, as Upstart makes it (`job_process_log_path`): `JOB.log`, or
 * `JOB-INSTANCE.log`, with `/` in either name turned into `_`.
 *
 * @param job The job name (`net/web` for a job in a subdirectory).
 * @param instance The instance name (`""` for a single-instance job).
 * @returns The file name.
 * @throws {RangeError} For an empty job name or a NUL byte.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logFileName } from "./logs.ts";
 * assert.equal(logFileName("web"), "web.log");
 * assert.equal(logFileName("net/web", "eth0/1"), "net_web-eth0_1.log");
 * ```
 */
export function logFileName(job: string, instance = ""): string {
  if (job === "") throw new RangeError("Invalid job name: it is empty");
  if (job.includes("\0") || instance.includes("\0")) {
    throw new RangeError(`Invalid job or instance name ${JSON.stringify(job)}: it contains NUL`);
  }
  const remap = (s: string) => s.replaceAll("/", "_");
  return instance === "" ? `${remap(job)}.log` : `${remap(job)}-${remap(instance)}.log`;
}

/** One file of a job's log. */
export interface LogFile {
  /** Its path. */
  readonly path: string;
  /** gzip-compressed (`.gz`). */
  readonly compressed: boolean;
  /** Its size in bytes (compressed size for `.gz`). */
  readonly size: number;
  /** When it was last written (milliseconds since the epoch). */
  readonly mtimeMs: number;
  /** The file Upstart writes to now (`false` for a rotated one). */
  readonly current: boolean;
}

/** A rotated file's place: numeric suffixes count back in time, date suffixes forward. */
function rotation(base: string, name: string): { key: number; date: string; gz: boolean } | null {
  if (!name.startsWith(base)) return null;
  const rest = name.slice(base.length);
  const numeric = /^\.(\d{1,9})(\.gz)?$/.exec(rest);
  if (numeric) return { key: Number(numeric[1]), date: "", gz: numeric[2] !== undefined };
  const dated = /^-(\d[\d-]*)(\.gz)?$/.exec(rest); // logrotate's dateext: JOB.log-20261201
  if (dated) return { key: 0, date: dated[1], gz: dated[2] !== undefined };
  return null;
}

/**
 * A log's files, oldest first: the rotated ones as logrotate names them (`JOB.log.2.gz`,
 * `JOB.log.1`, or with `dateext` `JOB.log-20261201[.gz]`), then the current `JOB.log`. Numbered
 * files come before dated ones (a switch to `dateext` leaves the numbered ones older). Anything
 * else in the directory (other compressions, other jobs) is left out; so are entries that are
 * not regular files.
 *
 * @param files The host's files.
 * @param dir The log directory.
 * @param name The log's file name ({@linkcode logFileName}).
 * @returns The files (empty when the log has none, or the directory does not exist).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFiles } from "./host_files.ts";
 * import { logFiles } from "./logs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/web.log`, "now\r\n");
 * await Deno.writeTextFile(`${dir}/web.log.1`, "before\r\n");
 * const found = await logFiles(localFiles(), dir, "web.log");
 * assert.deepEqual(found.map((f) => f.path.slice(dir.length + 1)), ["web.log.1", "web.log"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function logFiles(files: HostFiles, dir: string, name: string): Promise<LogFile[]> {
  const names = await files.list(dir);
  if (names === null) return [];
  const rotated: { name: string; key: number; date: string; gz: boolean }[] = [];
  for (const n of names) {
    const r = rotation(name, n);
    if (r) rotated.push({ name: n, ...r });
  }
  rotated.sort((a, b) =>
    a.date === "" && b.date === ""
      ? b.key - a.key
      : a.date === ""
      ? -1
      : b.date === ""
      ? 1
      : a.date < b.date
      ? -1
      : a.date > b.date
      ? 1
      : 0
  );
  const out: LogFile[] = [];
  const add = async (n: string, compressed: boolean, current: boolean) => {
    const path = `${dir}/${n}`;
    const st = await files.stat(path);
    if (st?.isFile) out.push({ path, compressed, size: st.size, mtimeMs: st.mtimeMs, current });
  };
  for (const r of rotated) await add(r.name, r.gz, false);
  if (names.includes(name)) await add(name, false, true);
  return out;
}

/**
 * Decompresses gzip data (several members, as `cat a.gz b.gz` makes, included).
 *
 * @param data The compressed bytes.
 * @returns The bytes.
 * @throws {TypeError} For data that is not gzip or is cut short.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gunzip } from "./logs.ts";
 * const gz = await new Response(
 *   new Blob(["hi\n"]).stream().pipeThrough(new CompressionStream("gzip")),
 * ).bytes();
 * assert.equal(new TextDecoder().decode(await gunzip(gz)), "hi\n");
 * ```
 */
export async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  // A small .gz can hold a huge log (or be made to): never more than a plain log may be.
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > MAX_HOST_FILE_BYTES) {
      await stream.cancel().catch(() => {});
      throw new RangeError(`decompresses to more than ${MAX_HOST_FILE_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

/**
 * Reads one log file's bytes (decompressed), or `null` when it has gone.
 *
 * @param files The host's files.
 * @param file The file.
 * @returns The bytes, or `null`.
 * @throws {LogReadError} For a `.gz` file that does not decompress.
 * @example
 * ```ts ignore
 * import { localFiles } from "./host_files.ts";
 * import { logFiles, readLogFile } from "./logs.ts";
 * const [first] = await logFiles(localFiles(), "/var/log/upstart", "cron.log");
 * const bytes = await readLogFile(localFiles(), first);
 * ```
 */
export async function readLogFile(files: HostFiles, file: LogFile): Promise<Uint8Array | null> {
  const data = await files.read(file.path);
  if (data === null || !file.compressed) return data;
  try {
    return await gunzip(data);
  } catch (e) {
    if (e instanceof RangeError) throw new LogReadError(file.path, `it ${e.message}`);
    throw new LogReadError(file.path, `it is not valid gzip data: ${(e as Error).message}`);
  }
}

/** A log file that cannot be read as a log (a damaged `.gz`). */
export class LogReadError extends Error {
  /** The file. */
  readonly path: string;
  /**
   * Creates the error.
   *
   * @param path The file.
   * @param reason Why.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { LogReadError } from "./logs.ts";
   * assert.equal(new LogReadError("/l/a.log.2.gz", "bad").message, "Cannot read /l/a.log.2.gz: bad");
   * ```
   */
  constructor(path: string, reason: string) {
    super(`Cannot read ${path}: ${reason}`);
    this.name = "LogReadError";
    this.path = path;
  }
}

/**
 * Splits log bytes into lines: each ends at `\n`, and loses the `\r` Upstart's pty put before
 * it (any other `\r` stays: it is the program's). A last line without `\n` is `partial`.
 *
 * @param data The bytes.
 * @returns The complete lines (decoded as UTF-8, bad bytes as U+FFFD) and the bytes of the
 * unfinished last line.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitLogLines } from "./logs.ts";
 * const r = splitLogLines(new TextEncoder().encode("a\r\nb\rc\r\nhalf"));
 * assert.deepEqual(r.lines, ["a", "b\rc"]);
 * assert.equal(new TextDecoder().decode(r.partial), "half");
 * ```
 */
export function splitLogLines(data: Uint8Array): { lines: string[]; partial: Uint8Array } {
  const decoder = new TextDecoder();
  const lines: string[] = [];
  let start = 0;
  for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, start)) {
    const end = i > start && data[i - 1] === 13 ? i - 1 : i;
    lines.push(decoder.decode(data.subarray(start, end)));
    start = i + 1;
  }
  return { lines, partial: data.subarray(start) };
}

/** Options of {@linkcode readLog}. */
export interface ReadLogOptions {
  /** Only the last this many lines (default: all). */
  readonly lines?: number;
  /**
   * Skip files last written before this time. The lines carry no timestamps, so a file written
   * since is shown whole.
   */
  readonly since?: Date;
  /** Leave an unfinished last line out (for following: it is given once complete). */
  readonly completeOnly?: boolean;
}

/** A log's lines and where reading stopped. */
export interface LogContent {
  /** The files the log has, oldest first ({@linkcode logFiles}). */
  readonly files: readonly LogFile[];
  /** The lines, oldest first. */
  readonly lines: readonly string[];
  /** Where the current file was read up to, for {@linkcode followLog}. */
  readonly position: LogPosition;
}

/** A place in a log's current file. */
export interface LogPosition {
  /** The current file's path. */
  readonly path: string;
  /** Bytes read so far. */
  readonly offset: number;
  /** The last bytes before `offset` (to tell the same file from a replaced one). */
  readonly tail: Uint8Array;
}

/** How many bytes before the read position identify the file. */
const TAIL_BYTES = 256;
/** The most a follow reads at one look (more is read at the next). */
const FOLLOW_PIECE_BYTES = 4 << 20;

/**
 * Reads a job's log: its rotated files oldest first, then the current one, as lines without
 * Upstart's `\r`. With `lines`, files are read newest first and only until enough lines are
 * found; with `since`, files last written before it are skipped.
 *
 * @param files The host's files.
 * @param dir The log directory.
 * @param name The log's file name ({@linkcode logFileName}).
 * @param options `lines`, `since`, `completeOnly`.
 * @returns The lines, the files, and the position to follow from.
 * @throws {LogReadError} For a damaged `.gz` file.
 * @throws {RangeError} For a negative or fractional `lines`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFiles } from "./host_files.ts";
 * import { readLog } from "./logs.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/web.log.1`, "one\r\ntwo\r\n");
 * await Deno.writeTextFile(`${dir}/web.log`, "three\r\n");
 * const log = await readLog(localFiles(), dir, "web.log", { lines: 2 });
 * assert.deepEqual(log.lines, ["two", "three"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readLog(
  files: HostFiles,
  dir: string,
  name: string,
  options: ReadLogOptions = {},
): Promise<LogContent> {
  const want = options.lines ?? Infinity;
  if (want !== Infinity && (!Number.isInteger(want) || want < 0)) {
    throw new RangeError(`Invalid line count ${want}: expected a whole number, 0 or more`);
  }
  const all = await logFiles(files, dir, name);
  const since = options.since?.getTime() ?? -Infinity;
  const chunks: string[][] = [];
  let count = 0;
  let position: LogPosition = { path: `${dir}/${name}`, offset: 0, tail: new Uint8Array() };
  for (let i = all.length - 1; i >= 0; i--) {
    const file = all[i];
    if (count >= want && !file.current) break; // the current file is read for its position anyway
    const data = await readLogFile(files, file);
    if (data === null) continue; // rotated away meanwhile: its lines are in a file read next
    const { lines, partial } = splitLogLines(data);
    if (file.current) {
      const offset = data.length - (options.completeOnly ? partial.length : 0);
      position = {
        path: file.path,
        offset,
        tail: data.slice(Math.max(0, offset - TAIL_BYTES), offset),
      };
    }
    if (file.mtimeMs < since) continue;
    if (partial.length && !(file.current && options.completeOnly)) {
      lines.push(new TextDecoder().decode(partial));
    }
    chunks.unshift(lines);
    count += lines.length;
  }
  const lines = chunks.flat();
  return {
    files: all,
    lines: lines.length > want ? lines.slice(lines.length - want) : lines,
    position,
  };
}

/**
 * A file's bytes from `from` on (`base` says where they start). `HostFiles` reads whole files; on
 * this machine only the new part is read, so following a large local log stays cheap.
 */
async function readFrom(
  files: HostFiles,
  path: string,
  from: number,
  size: number,
): Promise<{ data: Uint8Array; base: number } | null> {
  // Cut short: from its start.
  const start = size < from ? 0 : from;
  // Only what is new, a bounded piece at a time (the rest at once after it), here and over ssh
  // alike.
  const data = await files.readRange(path, start, FOLLOW_PIECE_BYTES);
  return data === null ? null : { data, base: start };
}

function sameStart(data: Uint8Array, offset: number, tail: Uint8Array): boolean {
  if (data.length < offset) return false;
  const start = offset - tail.length;
  for (let i = 0; i < tail.length; i++) if (data[start + i] !== tail[i]) return false;
  return true;
}

/** What {@linkcode followLog} yields: the new lines of one look at the file, or a change of file. */
export type FollowItem =
  | { readonly kind: "lines"; readonly lines: readonly string[] }
  | { readonly kind: "rotated" | "truncated" | "removed"; readonly path: string };

/** Options of {@linkcode followLog}. */
export interface FollowOptions {
  /** Ends following (the iterator returns). */
  readonly signal?: AbortSignal;
  /** How often to look at the file (default 250 ms). */
  readonly intervalMs?: number;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Follows a log's current file from `position`, as `tail -F` does: new complete lines as they
 * are written, across rotation (the file renamed, compressed or removed, and made again) and
 * truncation (`copytruncate`). A rotated file's last lines, written after the previous look, are
 * read from the newest rotated file (`JOB.log.1`, `.1.gz`, or `dateext`'s) when it still has them.
 * It polls the file's size and modification time, and reads only when they change, and then only
 * the new bytes (and a few before them, to tell a replaced file), a bounded piece at a time
 * (`HostFiles.readRange`: here and over ssh alike).
 *
 * @param files The host's files.
 * @param position Where to start ({@linkcode readLog}'s `position`).
 * @param options `signal` to stop, `intervalMs`.
 * @returns Lines and file changes, until `signal` aborts.
 * @example
 * ```ts ignore
 * import { localFiles } from "./host_files.ts";
 * import { followLog, readLog } from "./logs.ts";
 * const files = localFiles();
 * const log = await readLog(files, "/var/log/upstart", "cron.log", { lines: 10, completeOnly: true });
 * for await (const item of followLog(files, log.position)) {
 *   if (item.kind === "lines") for (const line of item.lines) console.log(line);
 * }
 * ```
 */
export async function* followLog(
  files: HostFiles,
  position: LogPosition,
  options: FollowOptions = {},
): AsyncGenerator<FollowItem, void, undefined> {
  const { signal } = options;
  const interval = options.intervalMs ?? 250;
  const path = position.path;
  let offset = position.offset;
  let tail = position.tail;
  let seen: { size: number; mtimeMs: number } | null = null;
  let gone = position.offset === 0; // nothing read yet: a missing file is "not yet", not "removed"

  /** The lines a rotated file gained after `offset`, when it is the file we were reading. */
  const drainRotated = async function* () {
    // The newest rotated files, whatever logrotate named them (JOB.log.1[.gz], or with dateext
    // JOB.log-DATE[.gz]): the one that was the current file is among the first.
    const slash = path.lastIndexOf("/");
    const rotated = (await logFiles(files, path.slice(0, slash) || "/", path.slice(slash + 1))
      .catch(() => [])).filter((f) => !f.current).reverse().slice(0, 2);
    for (const file of rotated) {
      let data: Uint8Array | null;
      try {
        data = await readLogFile(files, file);
      } catch {
        continue; // still being compressed, or damaged: its end is lost
      }
      if (data === null || offset === 0 || !sameStart(data, offset, tail)) continue;
      const { lines, partial } = splitLogLines(data.subarray(offset));
      if (partial.length) lines.push(new TextDecoder().decode(partial));
      if (lines.length) yield { kind: "lines", lines } as const;
      return;
    }
  };

  while (!signal?.aborted) {
    const st = await files.stat(path);
    if (st === null || !st.isFile) {
      if (!gone) {
        gone = true;
        yield* drainRotated();
        yield { kind: "removed", path };
        offset = 0;
        tail = new Uint8Array();
        seen = null;
      }
      await sleep(interval, signal);
      continue;
    }
    gone = false;
    if (seen && st.size === seen.size && st.mtimeMs === seen.mtimeMs) {
      await sleep(interval, signal);
      continue;
    }
    let got = await readFrom(files, path, Math.max(0, offset - tail.length), st.size);
    if (got === null) continue; // removed between the stat and the read: seen next time
    // Read to the end: the next look waits for a change; else it reads on at once.
    seen = got.base + got.data.length >= st.size ? { size: st.size, mtimeMs: st.mtimeMs } : null;
    if (!sameStart(got.data, offset - got.base, tail)) {
      // Another file now, or this one cut short: what was read no longer matches.
      const shorter = got.base + got.data.length < offset;
      if (got.base > 0) got = await readFrom(files, path, 0, st.size);
      if (got === null) continue;
      yield* drainRotated();
      yield { kind: shorter ? "truncated" : "rotated", path };
      offset = 0;
      tail = new Uint8Array();
    }
    const { data, base } = got;
    const split = splitLogLines(data.subarray(offset - base));
    const { lines } = split;
    let { partial } = split;
    if (lines.length === 0 && data.length === FOLLOW_PIECE_BYTES) {
      // One line longer than a whole piece would never end: shown in pieces instead.
      lines.push(new TextDecoder().decode(partial));
      partial = partial.subarray(partial.length);
    }
    offset = base + data.length - partial.length;
    tail = data.slice(Math.max(0, offset - base - TAIL_BYTES), offset - base);
    if (lines.length) yield { kind: "lines", lines };
  }
}
