/**
 * Where Upstart's jobs live, and the everyday changes to them: finding a job's `.conf` and
 * `.override` in Upstart's configuration sources, whether it starts on its own, `disable` and
 * `enable` through its override, and writing or removing its files safely; on this machine or
 * another one (through {@linkcode HostFiles}).
 *
 * Sources, highest precedence first (Upstart's `init/main.c`, `init/xdg.c`, `init/paths.h`): the
 * system init reads `/etc/init`; a session init (`init --user`) reads `$XDG_CONFIG_HOME/upstart`
 * (default `~/.config/upstart`), `~/.init`, each `$XDG_CONFIG_DIRS` entry (default `/etc/xdg`)
 * plus `/upstart`, then `/usr/share/upstart/sessions`; `init --confdir DIR` reads `DIR` instead.
 * When several hold `NAME.conf`, Upstart uses the first (`conf_select_job`), and reads the
 * override beside it.
 *
 * @module
 */

import { type HostFiles, localFiles } from "./host_files.ts";
import { checkJob, type JobProblem } from "./jobfile/check.ts";
import { MAX_JOB_FILE_BYTES, parseJob } from "./jobfile/document.ts";
import { type Enablement, enablement, withManual, withoutManual } from "./jobfile/enablement.ts";
import { JobCheckError, validateJobName } from "./jobfile/install.ts";
import { applyOverride } from "./jobfile/override.ts";
import type { JobConfig } from "./jobfile/types.ts";

/** A job's files: the `.conf` found first, and the override beside it (which may not exist). */
export interface JobLocation {
  /** The job name (`web`, `net/apache`). */
  readonly name: string;
  /** The configuration source that holds it. */
  readonly dir: string;
  /** `DIR/NAME.conf`. */
  readonly conf: string;
  /** `DIR/NAME.override` (see {@linkcode JobFiles.overrideBytes} for whether it exists). */
  readonly override: string;
}

/** A job's files and their bytes. */
export interface JobFiles extends JobLocation {
  /** The `.conf`'s bytes. */
  readonly confBytes: Uint8Array;
  /** The override's bytes, or `null` when there is none. */
  readonly overrideBytes: Uint8Array | null;
}

/** What {@linkcode JobDirectory.disable} or {@linkcode JobDirectory.enable} did. */
export interface EnablementChange {
  /** The job's files. */
  readonly job: JobLocation;
  /** Whether a file was written or removed (`false`: it was already in that state, or could not be). */
  readonly changed: boolean;
  /** `true` when enabling left the override empty, so it was deleted. */
  readonly removedOverride: boolean;
  /** The state before. */
  readonly before: Enablement;
  /** The state after. */
  readonly after: Enablement;
}

/** Options of {@linkcode JobDirectory}. */
export interface JobDirectoryOptions {
  /** Where the files are (default this machine: {@linkcode localFiles}). */
  readonly files?: HostFiles;
}

/**
 * No configuration source holds `NAME.conf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobFileNotFoundError } from "@upstart/upstart";
 * const e = new JobFileNotFoundError("web", ["/etc/init"]);
 * assert.equal(e.message, "No job file for web: no web.conf in /etc/init");
 * ```
 */
export class JobFileNotFoundError extends Error {
  /** The job name. */
  readonly job: string;
  /** The directories searched. */
  readonly dirs: readonly string[];
  /**
   * Makes the error.
   *
   * @param job The job name.
   * @param dirs The directories searched.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobFileNotFoundError } from "@upstart/upstart";
   * assert.equal(new JobFileNotFoundError("a", []).name, "JobFileNotFoundError");
   * ```
   */
  constructor(job: string, dirs: readonly string[]) {
    super(`No job file for ${job}: no ${job}.conf in ${dirs.join(", ")}`);
    this.name = "JobFileNotFoundError";
    this.job = job;
    this.dirs = dirs;
  }
}

/** Warnings that depend on the `.conf` the override sits on: meaningless for an override alone. */
const CONF_DEPENDENT = new Set(["respawn-no-process", "expect-no-process", "respawn-limit-alone"]);

/**
 * Whether two contents are the same bytes (`null`: no file).
 *
 * @param a One.
 * @param b The other.
 * @returns Whether they are equal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameBytes } from "./job_directory.ts";
 * assert.ok(sameBytes(new Uint8Array([1]), new Uint8Array([1])) && !sameBytes(null, new Uint8Array()));
 * ```
 */
export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Upstart's configuration sources on one host, and the jobs in them (see the module doc).
 *
 * @example Disabling and enabling a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobDirectory } from "@upstart/upstart";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/web.conf`, "start on runlevel [2345]\nexec /usr/bin/web\n");
 * const jobs = new JobDirectory(dir);
 * assert.equal(await jobs.enablement("web"), "enabled");
 * assert.equal((await jobs.disable("web")).after, "disabled");
 * assert.equal(await Deno.readTextFile(`${dir}/web.override`), "manual\n");
 * assert.equal((await jobs.enable("web")).removedOverride, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class JobDirectory {
  /** The configuration sources, highest precedence first. */
  readonly dirs: readonly string[];
  /** Where the files are. */
  readonly files: HostFiles;

  /**
   * Sources given explicitly (`init --confdir DIR`).
   *
   * @param dirs A directory, or several (highest precedence first); absolute paths.
   * @param options Where the files are (default this machine).
   * @throws {TypeError} for no directory, or one that is not an absolute path.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * assert.deepEqual(new JobDirectory("/etc/init/").dirs, ["/etc/init"]);
   * ```
   */
  constructor(dirs: string | readonly string[], options: JobDirectoryOptions = {}) {
    const list = typeof dirs === "string" ? [dirs] : [...dirs];
    if (list.length === 0) throw new TypeError("No job directory given");
    for (const d of list) {
      if (typeof d !== "string" || !d.startsWith("/") || d.includes("\0")) {
        throw new TypeError(
          `Invalid job directory ${JSON.stringify(d)}: expected an absolute path`,
        );
      }
    }
    this.dirs = Object.freeze(list.map((d) => d.replace(/\/+$/, "") || "/"));
    this.files = options.files ?? localFiles();
  }

  /**
   * The system init's source: `/etc/init`.
   *
   * @param options Where the files are (default this machine).
   * @returns The directory.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * assert.deepEqual(JobDirectory.system().dirs, ["/etc/init"]);
   * ```
   */
  static system(options: JobDirectoryOptions = {}): JobDirectory {
    return new JobDirectory("/etc/init", options);
  }

  /**
   * A session init's sources, in Upstart's order, from its environment.
   *
   * @param env Reads a variable (`HOME`, `XDG_CONFIG_HOME`, `XDG_CONFIG_DIRS`); default this
   *   process's environment.
   * @param options Where the files are (default this machine).
   * @returns The directory.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const env: Record<string, string> = { HOME: "/home/u", XDG_CONFIG_DIRS: "/a::/b" };
   * assert.deepEqual(JobDirectory.session((n) => env[n]).dirs, [
   *   "/home/u/.config/upstart",
   *   "/home/u/.init",
   *   "/a/upstart",
   *   "/b/upstart",
   *   "/usr/share/upstart/sessions",
   * ]);
   * ```
   */
  static session(
    env: (name: string) => string | undefined = (n) => Deno.env.get(n),
    options: JobDirectoryOptions = {},
  ): JobDirectory {
    const home = env("HOME") || null;
    const dirs: string[] = [];
    const configHome = env("XDG_CONFIG_HOME") || (home && `${home}/.config`);
    if (configHome) dirs.push(`${configHome}/upstart`);
    if (home) dirs.push(`${home}/.init`);
    // nih_str_split with repeat: empty entries are skipped.
    for (const d of (env("XDG_CONFIG_DIRS") || "/etc/xdg").split(":")) {
      if (d) dirs.push(`${d}/upstart`);
    }
    dirs.push("/usr/share/upstart/sessions");
    // A relative entry cannot be a source we can name: Upstart would resolve it against its cwd.
    return new JobDirectory(dirs.filter((d) => d.startsWith("/")), options);
  }

  /**
   * Finds a job: the first source holding `NAME.conf` (a regular file, or a link to one).
   *
   * @param name The job name (`web`, `net/apache` for `net/apache.conf`).
   * @returns Its files, or `null` when no source holds it.
   * @throws {RangeError} for a name no job can have (see `validateJobName`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.mkdir(`${dir}/net`);
   * await Deno.writeTextFile(`${dir}/net/web.conf`, "exec web\n");
   * const found = await new JobDirectory(dir).locate("net/web");
   * assert.equal(found?.override, `${dir}/net/web.override`);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async locate(name: string): Promise<JobLocation | null> {
    validateJobName(name);
    for (const dir of this.dirs) {
      const conf = `${dir === "/" ? "" : dir}/${name}.conf`;
      const st = await this.files.stat(conf);
      if (st?.isFile) return { name, dir, conf, override: conf.replace(/\.conf$/, ".override") };
    }
    return null;
  }

  /**
   * Reads a job's `.conf` and override.
   *
   * @param name The job name.
   * @returns Its files and bytes.
   * @throws {JobFileNotFoundError} when no source holds it.
   * @throws {RangeError} for a file over `MAX_JOB_FILE_BYTES` (Upstart's parser here refuses it).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "exec web\n");
   * const job = await new JobDirectory(dir).read("web");
   * assert.equal(job.overrideBytes, null);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async read(name: string): Promise<JobFiles> {
    const at = await this.locate(name);
    if (at === null) throw new JobFileNotFoundError(name, this.dirs);
    const confBytes = await this.#read(at.conf);
    if (confBytes === null) throw new JobFileNotFoundError(name, this.dirs); // removed meanwhile
    return { ...at, confBytes, overrideBytes: await this.#read(at.override) };
  }

  async #read(path: string): Promise<Uint8Array | null> {
    // One bounded read (one ssh run on a host): never more than a job file may have, plus one
    // byte to tell that it has more.
    const bytes = await this.files.readRange(path, 0, MAX_JOB_FILE_BYTES + 1);
    if (bytes !== null && bytes.length > MAX_JOB_FILE_BYTES) {
      throw new RangeError(
        `${path} is too large: over the ${MAX_JOB_FILE_BYTES} bytes a job file may have`,
      );
    }
    return bytes;
  }

  /**
   * A job's configuration as Upstart loads it: its `.conf` with the override applied.
   *
   * @param name The job name.
   * @returns The configuration, and the `.conf` it came from; `config` is `null` when Upstart
   *   would load no job from them (an error in either file).
   * @throws {JobFileNotFoundError} when no source holds it.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "console log\nexec web\n");
   * await Deno.writeTextFile(`${dir}/web.override`, "console none\n");
   * assert.equal((await new JobDirectory(dir).config("web")).config?.console, "none");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async config(
    name: string,
  ): Promise<{ readonly conf: string; readonly config: JobConfig | null }> {
    const job = await this.read(name);
    const { config } = applyOverride(job.confBytes, job.overrideBytes ?? new Uint8Array(), {
      confFilename: job.conf,
      overrideFilename: job.override,
    });
    return { conf: job.conf, config };
  }

  /**
   * Whether a job starts on its own (see `enablement`).
   *
   * @param name The job name.
   * @returns `enabled`, `disabled`, `static` or `bad`.
   * @throws {JobFileNotFoundError} when no source holds it.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/once.conf`, "task\nexec true\n");
   * assert.equal(await new JobDirectory(dir).enablement("once"), "static");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async enablement(name: string): Promise<Enablement> {
    const job = await this.read(name);
    return this.#state(job, job.overrideBytes);
  }

  #state(job: JobFiles, override: Uint8Array | null): Enablement {
    const conf = parseJob(job.confBytes, { filename: job.conf, throwOnError: false });
    const ov = override && parseJob(override, { filename: job.override, throwOnError: false });
    return enablement(conf, ov);
  }

  /**
   * Stops a job from starting on its own: appends `manual` to its override (created when
   * absent), after everything else, keeping the rest byte for byte; written atomically. Nothing
   * changes when it is already disabled, `static` (no `start on`) or `bad`.
   *
   * Upstart notices through its directory watch; call `System.reloadConfiguration()` for a
   * daemon without one.
   *
   * @param name The job name.
   * @returns What changed.
   * @throws {JobFileNotFoundError} when no source holds it.
   * @throws {SyntaxError} (a `ParseError`) when its override is one Upstart rejects.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "start on startup\nexec web\n");
   * await Deno.writeTextFile(`${dir}/web.override`, "env PORT=80 # keep\n");
   * const r = await new JobDirectory(dir).disable("web");
   * assert.deepEqual([r.changed, r.before, r.after], [true, "enabled", "disabled"]);
   * assert.equal(await Deno.readTextFile(`${dir}/web.override`), "env PORT=80 # keep\nmanual\n");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async disable(name: string): Promise<EnablementChange> {
    const job = await this.read(name);
    const before = this.#state(job, job.overrideBytes);
    const same = { job: this.#location(job), changed: false, removedOverride: false, before };
    if (before !== "enabled") return { ...same, after: before };
    const next = withManual(job.overrideBytes, job.override);
    const after = this.#state(job, next);
    if (after !== "disabled") {
      throw new TypeError(`${job.override}: appending manual did not disable ${name}`);
    }
    await this.files.writeAtomic(job.override, next);
    return { ...same, changed: true, after };
  }

  /**
   * Lets a job start on its own again: removes every `manual` from its override (other bytes
   * kept), deleting the override when only blank lines would be left. Nothing changes when it is
   * not disabled. A job disabled by `manual` in its `.conf` stays disabled (`after`).
   *
   * @param name The job name.
   * @returns What changed.
   * @throws {JobFileNotFoundError} when no source holds it.
   * @throws {SyntaxError} (a `ParseError`) when its override is one Upstart rejects.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "start on startup\nexec web\n");
   * await Deno.writeTextFile(`${dir}/web.override`, "manual\nenv PORT=80\nmanual\n");
   * const r = await new JobDirectory(dir).enable("web");
   * assert.deepEqual([r.changed, r.after], [true, "enabled"]);
   * assert.equal(await Deno.readTextFile(`${dir}/web.override`), "env PORT=80\n");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async enable(name: string): Promise<EnablementChange> {
    const job = await this.read(name);
    const before = this.#state(job, job.overrideBytes);
    const same = { job: this.#location(job), changed: false, removedOverride: false, before };
    if (before !== "disabled" || job.overrideBytes === null) return { ...same, after: before };
    const next = withoutManual(job.overrideBytes, job.override);
    if (sameBytes(next, job.overrideBytes)) return { ...same, after: before };
    const after = this.#state(job, next);
    if (next === null) {
      await this.files.remove(job.override);
      return { ...same, changed: true, removedOverride: true, after };
    }
    await this.files.writeAtomic(job.override, next);
    return { ...same, changed: true, after };
  }

  #location(job: JobFiles): JobLocation {
    return { name: job.name, dir: job.dir, conf: job.conf, override: job.override };
  }

  /**
   * Checks a new `.conf` or override for a job and writes it atomically (keeping the old file's
   * mode). An error Upstart would reject refuses it; an empty override deletes the override.
   *
   * @param name The job name (its `.conf` must exist).
   * @param kind `"conf"` or `"override"`.
   * @param bytes The new file.
   * @returns The path and the checker's warnings (for an override, those that make sense
   *   without its `.conf`).
   * @throws {JobCheckError} when Upstart would reject it (nothing is written).
   * @throws {JobFileNotFoundError} when no source holds the job.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobCheckError, JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "exec web\n");
   * const jobs = new JobDirectory(dir);
   * await jobs.writeJobFile("web", "override", new TextEncoder().encode("env A=1\n"));
   * await assert.rejects(
   *   jobs.writeJobFile("web", "override", new TextEncoder().encode("bogus\n")),
   *   JobCheckError,
   * );
   * assert.equal(await Deno.readTextFile(`${dir}/web.override`), "env A=1\n");
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async writeJobFile(
    name: string,
    kind: "conf" | "override",
    bytes: Uint8Array,
  ): Promise<{ path: string; removed: boolean; warnings: readonly JobProblem[] }> {
    if (kind !== "conf" && kind !== "override") {
      throw new RangeError(`Kind must be "conf" or "override": got ${JSON.stringify(kind)}`);
    }
    const at = await this.locate(name);
    if (at === null) throw new JobFileNotFoundError(name, this.dirs);
    const path = at[kind];
    const doc = parseJob(bytes, { filename: path, throwOnError: false });
    let problems = checkJob(doc);
    if (kind === "override") problems = problems.filter((p) => !CONF_DEPENDENT.has(p.code));
    if (problems.some((p) => p.severity === "error")) throw new JobCheckError(path, problems);
    if (kind === "override" && doc.nodes.every((n) => n.type === "blank")) {
      return { path, removed: await this.files.remove(path), warnings: problems };
    }
    await this.files.writeAtomic(path, bytes);
    return { path, removed: false, warnings: problems };
  }

  /**
   * Removes a job's `.conf` and override (Upstart drops the job once it is stopped).
   *
   * @param name The job name.
   * @returns The paths removed.
   * @throws {JobFileNotFoundError} when no source holds it.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobDirectory } from "@upstart/upstart";
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/web.conf`, "exec web\n");
   * assert.deepEqual(await new JobDirectory(dir).remove("web"), [`${dir}/web.conf`]);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async remove(name: string): Promise<string[]> {
    const at = await this.locate(name);
    if (at === null) throw new JobFileNotFoundError(name, this.dirs);
    const removed: string[] = [];
    // The override first: a .conf left alone still loads as before, an override alone never does.
    if (await this.files.remove(at.override)) removed.push(at.override);
    if (await this.files.remove(at.conf)) removed.push(at.conf);
    return removed.reverse();
  }
}
