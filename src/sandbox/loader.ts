/**
 * Loading a job directory as Upstart's `init/conf.c` does (job-files.md §1.2–1.4): every `.conf`
 * below it (recursively, with libnih's directory filters) is a job named by its path, with its
 * `.override` applied; a file Upstart would reject is logged as `FILE:LINE: REASON` and defines no
 * job. The directory is watched and changes are applied within a fraction of a second.
 *
 * @module
 */

import { applyOverride, parseJob } from "../jobfile/mod.ts";
import type { JobConfig } from "../jobfile/mod.ts";

/** A job found in the directory. */
export interface FoundJob {
  /** The job name. */
  readonly name: string;
  /** The `.conf` path. */
  readonly conf: string;
  /** The `.override` path, or `null`. */
  readonly override: string | null;
  /** The `.conf` file's bytes, as read while scanning. */
  readonly confBytes: Uint8Array;
  /** The `.override` file's bytes (empty when it could not be read), or `null`. */
  readonly overrideBytes: Uint8Array | null;
  /** Both files' contents as one string, to notice changes. */
  readonly text: string;
}

/** One loaded job: its configuration, or `null` when Upstart would register none. */
export interface LoadedJob extends FoundJob {
  /** The configuration, or `null`. */
  readonly config: JobConfig | null;
  /** Upstart's log lines for this job's files (`FILE:LINE: REASON`). */
  readonly errors: readonly string[];
}

// nih_file_ignore: names of directories Upstart does not descend into.
const IGNORED_DIR = [
  /^\./,
  /~$/,
  /\.bak$/,
  /\.BAK$/,
  /^#.*#$/,
  /\.sw[pon]$/,
  /,v$/,
  /^(RCS|CVS|CVS\.adm|SCCS|BitKeeper|\{arch\}|_darcs)$/,
  /\.dpkg-/,
  /\.(rpmsave|rpmorig|rpmnew)$/,
  /;[0-9A-Fa-f]{8}$/,
];

/** Whether Upstart skips a directory with this name. */
export function ignoredDirectory(name: string): boolean {
  return IGNORED_DIR.some((re) => re.test(name));
}

/** `.conf`, `.override` or `null`, by the last `.` of the name (not its first byte). */
export function confKind(basename: string): "conf" | "override" | null {
  const dot = basename.lastIndexOf(".");
  if (dot <= 0) return null;
  const ext = basename.slice(dot);
  return ext === ".conf" ? "conf" : ext === ".override" ? "override" : null;
}

function isRegular(path: string, follow: boolean): boolean {
  try {
    return (follow ? Deno.statSync(path) : Deno.lstatSync(path)).isFile;
  } catch {
    return false;
  }
}

function readBytes(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch {
    return null;
  }
}

// windows-1252 as the WHATWG decoder has it maps each byte to its own code point: a lossless key.
const byteKey = new TextDecoder("latin1");

/** Which file `info` describes (device and inode), to tell directories apart across paths. */
function inodeKey(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

/** Lists the jobs of a directory, in Upstart's walk order (byte order, depth first). */
export function scanJobDir(dir: string, warn: (message: string) => void = () => {}): FoundJob[] {
  const out: FoundJob[] = [];
  // libnih's nih_dir_walk follows symlinks but keeps the directories being walked (device and
  // inode) on a stack, and refuses one already on it: "Directory loop detected".
  const walk = (rel: string, ancestors: readonly string[]) => {
    const here = rel === "" ? dir : `${dir}/${rel}`;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(here)];
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const relPath = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.name.includes("\uFFFD")) {
        // Deno gives such names lossily: the file cannot even be opened by them. Upstart would
        // load it (its D-Bus path escapes every byte); say why the sandbox does not.
        warn(`${dir}/${relPath}: the file name is not valid UTF-8: not loaded by the sandbox`);
        continue;
      }
      const full = `${dir}/${relPath}`;
      if (e.isDirectory || e.isSymlink) {
        let info: Deno.FileInfo;
        try {
          info = Deno.statSync(full);
        } catch {
          continue;
        }
        if (info.isDirectory) {
          if (ignoredDirectory(e.name)) continue;
          if (ancestors.includes(inodeKey(info))) {
            warn(`${full}: Directory loop detected`);
            continue;
          }
          walk(relPath, [...ancestors, inodeKey(info)]);
          continue;
        }
      }
      if (confKind(e.name) !== "conf" || !isRegular(full, true)) continue;
      const name = relPath.slice(0, relPath.lastIndexOf("."));
      const ovPath = `${dir}/${name}.override`;
      const override = isRegular(ovPath, false) ? ovPath : null;
      const confBytes = readBytes(full);
      if (confBytes === null) continue;
      const overrideBytes = override ? readBytes(override) ?? new Uint8Array() : null;
      const text = `${byteKey.decode(confBytes)}\0${byteKey.decode(overrideBytes ?? undefined)}`;
      out.push({ name, conf: full, override, confBytes, overrideBytes, text });
    }
  };
  let root: Deno.FileInfo;
  try {
    root = Deno.statSync(dir);
  } catch {
    return out;
  }
  walk("", [inodeKey(root)]);
  return out;
}

/** Parses one found job (with its override) as Upstart would. */
export function loadJob(found: FoundJob): LoadedJob {
  const { confBytes, overrideBytes } = found;
  if (found.override && overrideBytes) {
    const r = applyOverride(confBytes, overrideBytes, {
      confFilename: found.conf,
      overrideFilename: found.override,
    });
    return { ...found, config: r.config, errors: r.errors.map((e) => e.message) };
  }
  const doc = parseJob(confBytes, { filename: found.conf, throwOnError: false });
  return {
    ...found,
    config: doc.error ? null : doc.config,
    errors: doc.error ? [doc.error.message] : [],
  };
}

/**
 * Watches a directory and calls `onChange` (debounced) after files change.
 *
 * @returns A function that stops watching.
 */
export function watchJobDir(dir: string, onChange: () => void, delayMs = 30): () => void {
  let stopped = false;
  let watcher: Deno.FsWatcher | null = null;
  let debounce: ReturnType<typeof setTimeout> | null = null;
  let poll: ReturnType<typeof setTimeout> | null = null;
  let watched: string | null = null;
  const identity = (): string | null => {
    try {
      const info = Deno.statSync(dir);
      return info.isDirectory ? inodeKey(info) : null;
    } catch {
      return null;
    }
  };
  // The directory deleted (or replaced): its watch went with it. Watch again once it exists,
  // as Upstart re-adds its watch, and re-read it then.
  const rewatch = () => {
    try {
      watcher?.close();
    } catch { /* already closed */ }
    watcher = null;
    start();
  };
  const changed = () => {
    if (debounce !== null) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = null;
      if (stopped) return;
      onChange();
      if (identity() !== watched) rewatch();
    }, delayMs);
  };
  const start = () => {
    if (stopped) return;
    watched = identity();
    if (watched === null) {
      poll = setTimeout(() => {
        poll = null;
        if (stopped) return;
        const back = identity() !== null;
        start();
        if (back) onChange();
      }, 250);
      return;
    }
    const w = Deno.watchFs(dir, { recursive: true });
    watcher = w;
    (async () => {
      try {
        for await (const _ of w) {
          if (stopped || watcher !== w) break;
          changed();
        }
      } catch { /* closed */ }
    })();
  };
  start();
  return () => {
    stopped = true;
    if (debounce !== null) clearTimeout(debounce);
    if (poll !== null) clearTimeout(poll);
    try {
      watcher?.close();
    } catch { /* already closed */ }
  };
}
