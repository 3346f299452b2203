/**
 * Writing a file atomically: a temporary file in the same directory, written in full, flushed to
 * disk, then renamed over the target (or hard-linked to it, which fails if the target exists: no
 * window in which another file could be replaced). On any error the temporary file is removed.
 * Shared by `installJob` and the CLI's `fmt`.
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

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : path.slice(0, i);
}

/**
 * Writes `bytes` to `path` atomically. The temporary file is hidden and ends in `.tmp`, so
 * Upstart (which loads only `*.conf`) never reads it half-written.
 *
 * @throws {Deno.errors.AlreadyExists} Without `overwrite`, when `path` exists.
 */
export async function writeFileAtomic(
  path: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const dir = dirOf(path);
  const rand = crypto.getRandomValues(new Uint8Array(6));
  const tmp = `${dir}/.upstart-${
    Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("")
  }.tmp`;
  let file: Deno.FsFile | null = null;
  let created = false;
  try {
    file = await Deno.open(tmp, { write: true, createNew: true, mode: options.mode });
    created = true;
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await Deno.chmod(tmp, options.mode);
    if (options.owner) await Deno.chown(tmp, options.owner.uid, options.owner.gid).catch(() => {});
    await file.sync();
    file.close();
    file = null;
    if (options.overwrite) {
      await Deno.rename(tmp, path);
      created = false;
    } else {
      await Deno.link(tmp, path);
      created = false; // the job is in place: a stray temp name is no failure
      await Deno.remove(tmp).catch(() => {});
    }
  } catch (e) {
    try {
      file?.close();
    } catch { /* already closed */ }
    if (created) await Deno.remove(tmp).catch(() => {});
    throw e;
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
