/**
 * Writing a file atomically: a temporary file in a private directory beside the target, written in
 * full, flushed to disk, given its mode there, then renamed over the target (or hard-linked to it,
 * which fails if the target exists: no window in which another file could be replaced). On any
 * error the temporary directory is removed. Shared by `installJob` and the CLI's `fmt`.
 *
 * @module
 */

/** Options of {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** Replace an existing file (rename) instead of failing with `AlreadyExists` (link). */
  readonly overwrite: boolean;
  /** The new file's permission bits (set explicitly: the umask does not apply). */
  readonly mode: number;
  /** Owner to give the new file (best effort: needs privilege), e.g. the replaced file's. */
  readonly owner?: { readonly uid: number | null; readonly gid: number | null };
}

/**
 * The directory part of a path (`.` for a bare name).
 *
 * @param path The path.
 * @returns Its directory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { dirOf } from "./_atomic.ts";
 * assert.deepEqual([dirOf("/etc/init/a.conf"), dirOf("/a"), dirOf("a")], ["/etc/init", "/", "."]);
 * ```
 */
export function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * Writes `bytes` to `path` atomically. The new file is made in a private staging directory
 * (mode 0700, hidden, ending in `.tmp`) next to `path`: its mode and owner are set there, where no
 * other user can swap the entry for a symlink, and it is renamed (or linked) into place from
 * there. Upstart skips hidden directories and loads only `*.conf`, so it never reads a file
 * half-written. On any failure nothing is left behind: no staging directory, no partial file.
 *
 * @param path The file to write.
 * @param bytes Its whole content.
 * @param options `overwrite` (replace an existing file), `mode` (its permission bits, set
 *   explicitly) and `owner` (best effort).
 * @throws {Deno.errors.AlreadyExists} Without `overwrite`, when `path` exists.
 * @example Write a job file, refusing to replace one
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "@upstart/upstart";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/web.conf`;
 * const text = new TextEncoder().encode("exec /usr/bin/web\n");
 * await writeFileAtomic(path, text, { overwrite: false, mode: 0o644 });
 * assert.equal(await Deno.readTextFile(path), "exec /usr/bin/web\n");
 * await assert.rejects(
 *   () => writeFileAtomic(path, text, { overwrite: false, mode: 0o644 }),
 *   Deno.errors.AlreadyExists,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirOf(path);
  const stage = await Deno.makeTempDir({ dir, prefix: ".upstart-", suffix: ".tmp" });
  const tmp = `${stage}/new`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    try {
      for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
      await file.sync();
    } finally {
      file.close();
    }
    // By path, but inside a directory only we can change: the entry is the file just written.
    await Deno.chmod(tmp, options.mode);
    if (options.owner) await Deno.chown(tmp, options.owner.uid, options.owner.gid).catch(() => {});
    if (options.overwrite) await Deno.rename(tmp, path);
    else await Deno.link(tmp, path); // fails if `path` exists: nothing is ever replaced
  } finally {
    await Deno.remove(stage, { recursive: true }).catch(() => {});
  }
  // Make the new directory entry durable too (best effort: not every file system allows it).
  try {
    const d = await Deno.open(dir, { read: true });
    try {
      await d.sync();
    } finally {
      d.close();
    }
  } catch { /* the file itself is complete and in place */ }
}
