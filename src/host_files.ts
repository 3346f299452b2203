/**
 * File access on the machine Upstart runs on: this one, or (elsewhere) a `--host` over ssh. The
 * job-directory, override and log commands read and write only through this, so they work the same
 * locally and remotely.
 *
 * @module
 */

import { writeFileAtomic } from "./jobfile/_atomic.ts";

/** Reading and writing files on one host. */
export interface HostFiles {
  /** The host (`[USER@]HOST`), or `null` for this machine. */
  readonly host: string | null;
  /** A file's bytes, or `null` when it does not exist. */
  read(path: string): Promise<Uint8Array | null>;
  /** A file's size, modification time and type, or `null` when it does not exist. */
  stat(path: string): Promise<{ size: number; mtimeMs: number; isFile: boolean } | null>;
  /** The names in a directory, or `null` when it does not exist. */
  list(dir: string): Promise<string[] | null>;
  /** Replaces (or creates) a file atomically: readers see the old or the new bytes, never a mix. */
  writeAtomic(path: string, data: Uint8Array, options?: { mode?: number }): Promise<void>;
  /** Removes a file; `false` when it did not exist. */
  remove(path: string): Promise<boolean>;
}

function missing(e: unknown): null {
  if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return null;
  throw e;
}

/**
 * This machine's files, through Deno's file system API.
 *
 * @returns The file access.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFiles } from "./host_files.ts";
 * const files = localFiles();
 * assert.equal(files.host, null);
 * assert.equal(await files.read("/nonexistent/file"), null);
 * ```
 */
export function localFiles(): HostFiles {
  return {
    host: null,
    read: (path) => Deno.readFile(path).catch(missing),
    async stat(path) {
      try {
        const s = await Deno.stat(path);
        return { size: s.size, mtimeMs: s.mtime?.getTime() ?? 0, isFile: s.isFile };
      } catch (e) {
        return missing(e);
      }
    },
    async list(dir) {
      try {
        const names: string[] = [];
        for await (const e of Deno.readDir(dir)) names.push(e.name);
        return names;
      } catch (e) {
        return missing(e);
      }
    },
    writeAtomic: (path, data, options = {}) =>
      writeFileAtomic(path, data, { overwrite: true, mode: options.mode ?? 0o644 }),
    async remove(path) {
      try {
        await Deno.remove(path);
        return true;
      } catch (e) {
        return missing(e) ?? false;
      }
    },
  };
}
