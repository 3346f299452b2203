/**
 * `installJob`: putting a job file into a job directory safely. The job is checked first (an error
 * refuses it), then written atomically: a hidden temporary file in the same directory, written in
 * full and flushed to disk, then renamed (or, when replacing is not allowed, hard-linked, which
 * fails if the file exists, with no window for a race). Nothing half-written is ever left behind.
 *
 * @module
 */

import { writeFileAtomic } from "./_atomic.ts";
import { checkJob, type CheckOptions, type JobProblem } from "./check.ts";
import { JobDocument, parseJob } from "./document.ts";

/** Options of {@linkcode installJob}. */
export interface InstallOptions {
  /** Replace an existing file. Default `false`: an existing file is never replaced. */
  readonly overwrite?: boolean;
  /** Write `NAME.override` instead of `NAME.conf`. Default `"conf"`. */
  readonly extension?: "conf" | "override";
  /** The file's permission bits. Default `0o644`. */
  readonly mode?: number;
  /** User names for the `setuid` check (see {@linkcode CheckOptions}). */
  readonly users?: CheckOptions["users"];
  /** Group names for the `setgid` check (see {@linkcode CheckOptions}). */
  readonly groups?: CheckOptions["groups"];
  /**
   * Install into a directory that its group or other users may write to (without the sticky bit).
   * Default `false`: refused, since anyone who can write there can replace or race the job.
   */
  readonly allowWritableByOthers?: boolean;
}

/** What {@linkcode installJob} did. */
export interface InstallResult {
  /** The path written (`DIR/NAME.conf`). */
  readonly path: string;
  /** The checker's warnings (errors refuse the install). */
  readonly warnings: readonly JobProblem[];
}

/**
 * A job file was not installed. The subclasses are the failures worth telling apart; file
 * system errors (permission denied, no such directory, …) are thrown unchanged.
 *
 * @example Telling failures apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { installJob, JobExistsError, JobInstallError } from "@upstart/upstart";
 * const dir = await Deno.makeTempDir();
 * await installJob(dir, "web", "exec /usr/bin/web\n");
 * await assert.rejects(installJob(dir, "web", "exec /usr/bin/web --v2\n"), (e) => {
 *   assert.ok(e instanceof JobExistsError); // a JobInstallError too: catch that for any refusal
 *   assert.ok(e instanceof JobInstallError);
 *   assert.equal(e.path, `${dir}/web.conf`);
 *   return true;
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JobInstallError extends Error {
  /** The path that was to be written. */
  readonly path: string;
  /**
   * Makes the error.
   * @param path The path that was to be written.
   * @param message What went wrong.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobInstallError } from "@upstart/upstart";
   * assert.equal(new JobInstallError("/etc/init/a.conf", "no").path, "/etc/init/a.conf");
   * ```
   */
  constructor(path: string, message: string) {
    super(message);
    this.name = "JobInstallError";
    this.path = path;
  }
}

/**
 * The file exists and `overwrite` was not given: it was left untouched.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobExistsError } from "@upstart/upstart";
 * assert.equal(
 *   new JobExistsError("/etc/init/a.conf").message,
 *   "/etc/init/a.conf already exists: not replacing it",
 * );
 * ```
 */
export class JobExistsError extends JobInstallError {
  /**
   * Makes the error.
   * @param path The existing file.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobExistsError } from "@upstart/upstart";
   * assert.equal(new JobExistsError("/x.conf").name, "JobExistsError");
   * ```
   */
  constructor(path: string) {
    super(path, `${path} already exists: not replacing it`);
    this.name = "JobExistsError";
  }
}

/**
 * Upstart would reject the job: nothing was written. `problems` has the error (and no warnings).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobCheckError } from "@upstart/upstart";
 * const e = new JobCheckError("/etc/init/a.conf", [{ severity: "error", line: 2, column: 1, code: "parse", message: "Unknown stanza" }]);
 * assert.equal(e.message, "/etc/init/a.conf:2: Unknown stanza: not installed");
 * ```
 */
export class JobCheckError extends JobInstallError {
  /** What the checker found. */
  readonly problems: readonly JobProblem[];
  /**
   * Makes the error.
   * @param path The path that was to be written.
   * @param problems The checker's problems (at least one error).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobCheckError } from "@upstart/upstart";
   * assert.equal(new JobCheckError("/a.conf", []).problems.length, 0);
   * ```
   */
  constructor(path: string, problems: readonly JobProblem[]) {
    const first = problems.find((p) => p.severity === "error");
    super(path, `${path}:${first?.line ?? 0}: ${first?.message ?? "rejected"}: not installed`);
    this.name = "JobCheckError";
    this.problems = problems;
  }
}

/** `nih_file_ignore` (libnih): directories Upstart does not descend into. */
const IGNORED_DIR =
  /^(\..*|.*~|.*\.bak|.*\.BAK|#.*#|.*\.sw[pon]|.*,v|RCS|CVS|CVS\.adm|SCCS|BitKeeper|\{arch\}|_darcs|.*\.dpkg-.*|.*\.rpm(save|orig|new)|.*;[0-9A-Fa-f]{8})$/;

/**
 * Checks that Upstart would load a job of this name from `NAME.conf` (job-files.md §1.2-1.3),
 * and that it is safe to use: a name with `/` is a job in a subdirectory (which must exist), and
 * no directory in it may be one Upstart skips (hidden, backup, version control, packaging).
 *
 * @param name The job name (`web`, `net/apache`).
 * @throws {TypeError} If `name` is not a string.
 * @throws {RangeError} For an empty name or component, `.`/`..`, a skipped directory, a
 * `.conf`/`.override` suffix, control characters, or bytes outside ASCII (which overflow a buffer
 * in Upstart's D-Bus path code and can crash it), or a file name over 255 bytes.
 * @example Valid and invalid names
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateJobName } from "@upstart/upstart";
 * validateJobName("web");
 * validateJobName("net/apache");
 * assert.throws(() => validateJobName("../web"), RangeError);
 * ```
 */
export function validateJobName(name: string): void {
  if (typeof name !== "string") {
    throw new TypeError(`Job name must be a string: got ${typeof name}`);
  }
  const show = JSON.stringify(name);
  if (name === "") throw new RangeError("Invalid job name: it is empty");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) {
      throw new RangeError(`Invalid job name ${show}: it contains a control character`);
    }
    if (c >= 0x80) {
      throw new RangeError(
        `Invalid job name ${show}: non-ASCII names crash Upstart's D-Bus object path code`,
      );
    }
  }
  if (/\.(conf|override)$/.test(name)) {
    throw new RangeError(
      `Invalid job name ${show}: give the name without .conf (the file would be ${name}.conf)`,
    );
  }
  const parts = name.split("/");
  parts.forEach((p, i) => {
    if (p === "" || p === "." || p === "..") {
      throw new RangeError(`Invalid job name ${show}: empty, "." or ".." path component`);
    }
    if (i < parts.length - 1 && IGNORED_DIR.test(p)) {
      throw new RangeError(
        `Invalid job name ${show}: Upstart skips the directory ${JSON.stringify(p)}`,
      );
    }
  });
  if (parts[parts.length - 1].length + ".override".length > 255) {
    throw new RangeError(`Invalid job name ${show}: the file name would be over 255 bytes`);
  }
}

/**
 * Installs a job file as `DIR/NAME.conf`: checks it with {@linkcode checkJob} (an error refuses
 * it), then writes it atomically. Without `overwrite`, an existing file is never replaced, even
 * by a file created at the same moment (the final step is a hard link, which fails if the name
 * exists). On any failure nothing is left behind: no temporary file, no partial job file.
 * Upstart picks the file up through inotify (or `initctl reload-configuration`).
 *
 * @param dir The job directory (`/etc/init`, `~/.config/upstart`); it must exist.
 * @param name The job name (see {@linkcode validateJobName}).
 * @param job The job: a document (written byte for byte), or its text or bytes.
 * @param options `overwrite`, `extension`, `mode`, and the names for the user/group check.
 * @returns The path written and the checker's warnings.
 * @throws {JobCheckError} If Upstart would reject the job.
 * @throws {JobExistsError} If the file exists and `overwrite` is not set.
 * @throws {TypeError} For arguments of the wrong type.
 * @throws {RangeError} For a job name Upstart would not load (see {@linkcode validateJobName}).
 * @throws {Deno.errors.NotFound} If `dir` does not exist (file system errors pass through).
 * @example Installing a job built from scratch
 * ```ts
 * import assert from "node:assert/strict";
 * import { installJob, JobBuilder } from "@upstart/upstart";
 * const dir = await Deno.makeTempDir();
 * const job = new JobBuilder().description("web").startOnRunlevel().respawn().exec("/usr/bin/web");
 * const { path, warnings } = await installJob(dir, "web", job.toString());
 * assert.equal(path, `${dir}/web.conf`);
 * assert.equal(warnings.length, 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function installJob(
  dir: string,
  name: string,
  job: JobDocument | string | Uint8Array,
  options: InstallOptions = {},
): Promise<InstallResult> {
  if (typeof dir !== "string" || dir === "") {
    throw new TypeError("Job directory must be a non-empty string");
  }
  validateJobName(name);
  const ext = options.extension ?? "conf";
  if (ext !== "conf" && ext !== "override") {
    throw new RangeError(`Extension must be "conf" or "override": got ${JSON.stringify(ext)}`);
  }
  const mode = options.mode ?? 0o644;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new RangeError(`Mode must be an integer from 0 to 0o7777: got ${mode}`);
  }
  const path = `${dir.replace(/\/+$/, "") || "/"}/${name}.${ext}`.replace(/^\/\//, "/");
  const doc = job instanceof JobDocument
    ? job
    : parseJob(job, { filename: path, throwOnError: false });
  const problems = checkJob(doc, { users: options.users, groups: options.groups });
  if (problems.some((p) => p.severity === "error")) throw new JobCheckError(path, problems);
  await checkDestination(dir, name, path, options.allowWritableByOthers === true);
  try {
    await writeFileAtomic(path, doc.toBytes(), { overwrite: options.overwrite === true, mode });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) throw new JobExistsError(path);
    throw e;
  }
  return { path, warnings: problems };
}

/**
 * Refuses a job directory others may write to (unless allowed), and a job name whose directories
 * lead out of the job directory through a symlink.
 */
async function checkDestination(
  dir: string,
  name: string,
  path: string,
  allowWritableByOthers: boolean,
): Promise<void> {
  const root = await checkDirectory(dir, path, allowWritableByOthers);
  const slash = name.lastIndexOf("/");
  if (slash < 0) return;
  const sub = name.slice(0, slash);
  const real = await Deno.realPath(`${root}/${sub}`);
  if (!real.startsWith(root === "/" ? "/" : root + "/")) {
    throw new JobInstallError(
      path,
      `${dir}/${sub} leads outside ${dir} (through a symlink): not installing`,
    );
  }
}

/**
 * @internal Refuses a directory that is not one, or that others may write to (unless allowed):
 * anyone who can write there can replace or race what is written. Shared with `localFiles`.
 *
 * @returns The directory's real path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkDirectory } from "./install.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await checkDirectory(dir, `${dir}/a.conf`), await Deno.realPath(dir));
 * await Deno.remove(dir);
 * ```
 */
export async function checkDirectory(
  dir: string,
  path: string,
  allowWritableByOthers = false,
): Promise<string> {
  // A missing directory is Deno.errors.NotFound, passed through as writing would.
  const root = await Deno.realPath(dir);
  const info = await Deno.stat(root);
  if (!info.isDirectory) throw new JobInstallError(path, `${dir} is not a directory`);
  // Group or others may write, and may rename what they do not own (no sticky bit): they could
  // swap the staging directory or the job itself under us.
  const mode = info.mode ?? 0;
  if (!allowWritableByOthers && (mode & 0o022) !== 0 && (mode & 0o1000) === 0) {
    throw new JobInstallError(
      path,
      `${dir} is writable by other users, who could replace the job: not installing there ` +
        "(allowWritableByOthers overrides this)",
    );
  }
  return root;
}
