/**
 * Files on this machine or on a remote one, through one small interface: what the service
 * commands (`disable`, `cat`, `edit`, …) need to read and change job files wherever Upstart runs.
 * Remote files go over the same ssh settings as the D-Bus connection (`ssh HOST sh -c '...'`,
 * every argument quoted): `head -c` to read (bounded), `stat`, a listing, and a temporary file in
 * the same directory renamed over the target to write.
 *
 * @module
 */

import { dirOf, writeFileAtomic } from "./jobfile/_atomic.ts";
import { checkDirectory } from "./jobfile/install.ts";
import { assertSshHost, type RemoteOptions, reuseArgs, shellQuote } from "./remote.ts";
import { lastMeaningfulLine } from "./remote_attempt.ts";

/** Files on one host. */
export interface HostFiles {
  /** The host (`user@host`), or null for this machine. */
  readonly host: string | null;
  /** The file's bytes, or null when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** At most `max` bytes from `offset` on (fewer at the end), or null when it does not exist. */
  readRange(path: string, offset: number, max: number): Promise<Uint8Array | null>;
  /** Size, mtime and kind, or null when missing (follows symlinks). */
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile: boolean } | null>;
  /** Entry names of a directory, or null when it does not exist. */
  list(dir: string): Promise<string[] | null>;
  /** Writes atomically (temporary file in the same directory + rename), keeping or setting the mode. */
  writeAtomic(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Removes a file; false when it was not there. */
  remove(path: string): Promise<boolean>;
}

/**
 * The most bytes {@linkcode HostFiles.read} returns: a longer file is refused with a
 * `RangeError` rather than read whole into memory (job files are limited to far less, 1 MiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_HOST_FILE_BYTES } from "@upstart/upstart";
 * assert.equal(MAX_HOST_FILE_BYTES, 64 * 1024 * 1024);
 * ```
 */
export const MAX_HOST_FILE_BYTES = 64 * 1024 * 1024;

/**
 * A file operation on a remote host failed: ssh could not reach it, or the far-side command
 * failed. `message` names the host, the operation and the path, then ssh's or the command's
 * last line of standard error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostFilesError } from "@upstart/upstart";
 * const e = new HostFilesError("web1", "read", "/etc/init/a.conf", "Permission denied");
 * assert.equal(e.message, "web1: cannot read /etc/init/a.conf: Permission denied");
 * ```
 */
export class HostFilesError extends Error {
  /** The host. */
  readonly host: string;
  /** The operation: `read`, `stat`, `list`, `write` or `remove`. */
  readonly operation: string;
  /** The path. */
  readonly path: string;
  /** Why, in the far side's (or ssh's) words. */
  readonly reason: string;
  /**
   * Makes the error.
   *
   * @param host The host.
   * @param operation The operation.
   * @param path The path.
   * @param reason Why it failed.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { HostFilesError } from "@upstart/upstart";
   * assert.equal(new HostFilesError("h", "stat", "/x", "no").name, "HostFilesError");
   * ```
   */
  constructor(host: string, operation: string, path: string, reason: string) {
    super(`${host}: cannot ${operation} ${path}: ${reason}`);
    this.name = "HostFilesError";
    this.host = host;
    this.operation = operation;
    this.path = path;
    this.reason = reason;
  }
}

function checkPath(path: string): void {
  if (typeof path !== "string" || !path.startsWith("/") || path.includes("\0")) {
    throw new TypeError(`Invalid path ${JSON.stringify(path)}: expected an absolute path`);
  }
}

function checkMode(mode: number | undefined): void {
  if (mode !== undefined && (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)) {
    throw new RangeError(`Mode must be an integer from 0 to 0o7777: got ${mode}`);
  }
}

function tooLarge(path: string, size: number): RangeError {
  return new RangeError(
    `${path} is too large: ${size} bytes or more, over the ${MAX_HOST_FILE_BYTES} read at most`,
  );
}

/** Opens a file for reading, or `null` when it is not there. */
async function openIfThere(path: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * This machine's files. Writes go through a private staging directory beside the target and are
 * refused in a directory that other users may write to (without the sticky bit); the new file
 * replaces the directory entry (a symlink there is replaced, never written through) and keeps the
 * old file's mode and owner unless `mode` is given (default 0644).
 *
 * @returns The files.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFiles } from "@upstart/upstart";
 * const dir = await Deno.makeTempDir();
 * const files = localFiles();
 * await files.writeAtomic(`${dir}/a.conf`, new TextEncoder().encode("exec true\n"));
 * assert.equal(new TextDecoder().decode((await files.read(`${dir}/a.conf`))!), "exec true\n");
 * assert.deepEqual(await files.list(dir), ["a.conf"]);
 * assert.equal(await files.remove(`${dir}/a.conf`), true);
 * assert.equal(await files.read(`${dir}/a.conf`), null);
 * await Deno.remove(dir);
 * ```
 */
export function localFiles(): HostFiles {
  return {
    host: null,
    async readRange(path, offset, max) {
      checkPath(path);
      checkRange(offset, max);
      const file = await openIfThere(path);
      if (file === null) return null;
      try {
        const size = (await file.stat()).size;
        await file.seek(offset, Deno.SeekMode.Start);
        // Sized by what is there (it may have grown a little since: read up to max anyway).
        const out = new Uint8Array(Math.min(max, Math.max(0, size - offset) + 65536));
        let total = 0;
        while (total < out.length) {
          const n = await file.read(out.subarray(total));
          if (n === null) break;
          total += n;
        }
        return out.slice(0, total);
      } finally {
        file.close();
      }
    },
    async read(path) {
      checkPath(path);
      const file = await openIfThere(path);
      if (file === null) return null;
      try {
        const size = (await file.stat()).size;
        if (size > MAX_HOST_FILE_BYTES) throw tooLarge(path, size);
        // Read through the one descriptor, never more than the limit: the file may grow meanwhile.
        try {
          return await readAtMost(file.readable, MAX_HOST_FILE_BYTES);
        } catch (e) {
          throw e instanceof RangeError ? tooLarge(path, MAX_HOST_FILE_BYTES + 1) : e;
        }
      } finally {
        try {
          file.close();
        } catch { /* closed by reading its stream to the end */ }
      }
    },
    async stat(path) {
      checkPath(path);
      try {
        const st = await Deno.stat(path);
        return { size: st.size, mtimeMs: st.mtime?.getTime() ?? 0, isFile: st.isFile };
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      }
    },
    async list(dir) {
      checkPath(dir);
      try {
        const names: string[] = [];
        for await (const entry of Deno.readDir(dir)) names.push(entry.name);
        return names.sort();
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return null;
        throw e;
      }
    },
    async writeAtomic(path, data, options = {}) {
      checkPath(path);
      checkMode(options.mode);
      await checkDirectory(dirOf(path), path);
      let old: Deno.FileInfo | null = null;
      try {
        old = await Deno.lstat(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      const kept = old?.isFile ? old : null;
      await writeFileAtomic(path, data, {
        overwrite: true,
        mode: options.mode ?? ((kept?.mode ?? 0o644) & 0o7777),
        owner: kept ? { uid: kept.uid, gid: kept.gid } : undefined,
      });
    },
    async remove(path) {
      checkPath(path);
      try {
        await Deno.remove(path);
        return true;
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) return false;
        throw e;
      }
    },
  };
}

/** Refuses an offset or a length that is not a whole number of bytes. */
function checkRange(offset: number, max: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(max) || max < 0) {
    throw new RangeError(`Invalid range: offset ${offset}, length ${max}`);
  }
  if (max > MAX_HOST_FILE_BYTES) {
    throw new RangeError(`At most ${MAX_HOST_FILE_BYTES} bytes at once`);
  }
}

/** Exit status our far-side scripts use for "no such file". */
const MISSING = 3;

/** Far-side scripts: `$1` is the path; they exit {@linkcode MISSING} when it is not there. */
const SCRIPTS = {
  read: `[ -e "$1" ] || exit ${MISSING}; exec head -c ${MAX_HOST_FILE_BYTES + 1} -- "$1"`,
  // $2 the offset, $3 the most bytes: only the part asked for crosses the network.
  // The shell opens the file (tail's own failure would be hidden by the pipe's status).
  range: `[ -e "$1" ] || exit ${MISSING}; [ ! -d "$1" ] || { echo "$1: is a directory" >&2; ` +
    `exit 1; }; exec <"$1" || exit 1; tail -c +$(($2 + 1)) | head -c "$3"`,
  stat: `[ -e "$1" ] || exit ${MISSING}; exec stat -L -c '%s %Y %F' -- "$1"`,
  // NUL-separated, so that names holding a newline come through intact.
  list: `[ -d "$1" ] || exit ${MISSING}; cd -- "$1" || exit 1; for f in * .*; do ` +
    `case $f in .|..) continue;; esac; [ -e "$f" ] || [ -h "$f" ] || continue; ` +
    `printf '%s\\000' "$f"; done`,
  remove: `[ -e "$1" ] || [ -h "$1" ] || exit ${MISSING}; exec rm -f -- "$1"`,
  // $2 is the mode, or "" to keep the old regular file's mode and owner (0644 for a new one, or
  // for a symlink, which is replaced, never written through); $3 the byte count. As locally
  // (jobfile/_atomic.ts): the new file is made in a private staging directory beside the target
  // (hidden, not *.conf: Upstart never loads it) and renamed over it only when every byte came
  // (an ssh that ended early, aborted or killed, gives cat an early end, not a failure). Refused:
  // a directory others may write to without the sticky bit (they could swap what we chmod or
  // chown; checked through a symlinked directory, and a failing find fails the write), and a
  // target that is a directory or a link to one (mv would write into it).
  write: `set -e; if [ -d "$1" ]; then echo "$1 is a directory" >&2; exit 1; fi; ` +
    `d=$(dirname -- "$1"); w=$(find "$d/." -maxdepth 0 -perm /022 ! -perm -1000); ` +
    `if [ -n "$w" ]; then echo "refusing $d: others may write to it" >&2; exit 1; fi; ` +
    `s=$(mktemp -d "$d/.upstart-XXXXXX"); trap 'rm -rf "$s"' EXIT; cat >"$s/new"; ` +
    `n=$(wc -c <"$s/new"); if [ "$n" -ne "$3" ]; then ` +
    `echo "short write: $n of $3 bytes arrived" >&2; exit 1; fi; m=$2; ` +
    `if [ -z "$m" ]; then m=644; if [ -f "$1" ] && [ ! -h "$1" ]; then ` +
    `m=$(stat -c %a -- "$1"); chown "$(stat -c %u:%g -- "$1")" "$s/new" 2>/dev/null || true; ` +
    `fi; fi; chmod "$m" "$s/new"; mv -f -- "$s/new" "$1"`,
};

/**
 * Reads a stream into memory, failing with a `RangeError` past `limit` bytes: the one bounded
 * read of files, ssh output and inventories.
 *
 * @param stream The stream (a file's `readable`, a child's `stdout`).
 * @param limit The most bytes.
 * @returns The bytes.
 * @throws {RangeError} past the limit (the rest is not read).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readAtMost } from "./host_files.ts";
 * assert.equal((await readAtMost(new Blob(["abc"]).stream(), 3)).length, 3);
 * await assert.rejects(readAtMost(new Blob(["abcd"]).stream(), 3), RangeError);
 * ```
 */
export async function readAtMost(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > limit) throw new RangeError(`over ${limit} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) out.set(c, at), at += c.length;
  return out;
}

/**
 * A remote host's files, over ssh with the given settings (`host`, `sshCommand`, `sshArgs`,
 * `sudo`: as for the D-Bus connection, so one `--host` reaches both). Each call runs one
 * `ssh -T [sshArgs] HOST sh -c SCRIPT sh ARGS` (through `sudo -n` with `sudo`), every argument
 * quoted. The far side needs only POSIX `sh`, `head -c`, `stat -c`, `mktemp` and `mv`.
 *
 * @param options The host and ssh settings.
 * @returns The files.
 * @throws {TypeError} for a host that is empty, starts with `-` or holds whitespace.
 * @example
 * ```ts ignore
 * import { remoteFiles } from "@upstart/upstart";
 * const files = remoteFiles({ host: "root@web1" });
 * console.log(new TextDecoder().decode((await files.read("/etc/init/ssh.conf"))!));
 * ```
 */
export function remoteFiles(
  options: RemoteOptions & { readonly signal?: AbortSignal },
): HostFiles {
  const { host, sshCommand = "ssh", sshArgs = [], sudo = false, signal } = options;
  assertSshHost(host);
  const run = async (
    op: keyof typeof SCRIPTS,
    path: string,
    extra: string[] = [],
    input?: Uint8Array,
  ): Promise<Uint8Array | null> => {
    checkPath(path);
    signal?.throwIfAborted();
    const command = `${sudo ? "sudo -n " : ""}sh -c ${shellQuote(SCRIPTS[op])} sh ` +
      [path, ...extra].map(shellQuote).join(" ");
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(sshCommand, {
        args: ["-T", ...reuseArgs(options), ...sshArgs, host, command],
        stdin: input ? "piped" : "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable) throw e;
      throw new HostFilesError(host, op, path, `cannot run ${sshCommand}: ${(e as Error).message}`);
    }
    // A host whose time is up (or Ctrl-C): its ssh is stopped; a write it cut short is not
    // installed (the far side counts the bytes).
    const stop = () => {
      try {
        child.kill();
      } catch { /* already gone */ }
    };
    signal?.addEventListener("abort", stop, { once: true });
    const writing = input
      ? (async () => {
        const w = child.stdin.getWriter();
        try {
          await w.write(input);
          await w.close();
        } catch { /* the far side ended early: its status and stderr say why */ }
      })()
      : Promise.resolve();
    const errText = readAtMost(child.stderr, 1 << 20).catch(() => new Uint8Array());
    let out: Uint8Array;
    let overflow = false;
    try {
      out = await readAtMost(child.stdout, MAX_HOST_FILE_BYTES + 1);
    } catch {
      overflow = true;
      out = new Uint8Array();
      try {
        child.kill();
      } catch { /* already gone */ }
    }
    await writing;
    const [status, err] = await Promise.all([child.status, errText]).finally(() =>
      signal?.removeEventListener("abort", stop)
    );
    signal?.throwIfAborted();
    if (overflow || out.length > MAX_HOST_FILE_BYTES) {
      throw op === "read" ? tooLarge(path, MAX_HOST_FILE_BYTES + 1) : new HostFilesError(
        host,
        op,
        path,
        "the far side sent too much output",
      );
    }
    if (status.code === MISSING && op !== "write") return null;
    if (status.code !== 0) {
      // ssh's or the far side's own words, made safe for a terminal.
      const last = lastMeaningfulLine(new TextDecoder().decode(err).split("\n")) ??
        (status.code === 255 ? "ssh failed" : `exit status ${status.code}`);
      throw new HostFilesError(host, op, path, last);
    }
    return out;
  };
  return {
    host,
    read: (path) => run("read", path),
    async readRange(path, offset, max) {
      checkRange(offset, max);
      return await run("range", path, [String(offset), String(max)]);
    },
    async stat(path) {
      const out = await run("stat", path);
      if (out === null) return null;
      const m = /^(\d+) (\d+) (.*)\n?$/.exec(new TextDecoder().decode(out));
      if (!m) throw new HostFilesError(host, "stat", path, "unexpected output from stat");
      return {
        size: Number(m[1]),
        mtimeMs: Number(m[2]) * 1000,
        isFile: m[3].startsWith("regular"),
      };
    },
    async list(dir) {
      const out = await run("list", dir);
      if (out === null) return null;
      const names = new TextDecoder().decode(out).split("\0");
      names.pop(); // after the last NUL
      return names.sort();
    },
    async writeAtomic(path, data, options = {}) {
      checkMode(options.mode);
      const mode = options.mode === undefined ? "" : options.mode.toString(8);
      await run("write", path, [mode, String(data.length)], data);
    },
    async remove(path) {
      return (await run("remove", path)) !== null;
    },
  };
}
