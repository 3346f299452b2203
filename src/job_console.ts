/**
 * Whether Upstart logs a job's output: its `console` stanza, read from its job file and override
 * (the D-Bus API does not say). Used by `logs` to tell "this job does not log" from "no log yet".
 *
 * @module
 */

import type { HostFiles } from "./host_files.ts";
import { applyOverride } from "./jobfile/override.ts";
import { validateJobName } from "./jobfile/install.ts";
import type { JobConfig } from "./jobfile/types.ts";

/**
 * The system init's job directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SYSTEM_CONF_DIR } from "./job_console.ts";
 * assert.equal(`${SYSTEM_CONF_DIR}/cron.conf`, "/etc/init/cron.conf");
 * ```
 */
export const SYSTEM_CONF_DIR = "/etc/init";

/**
 * A session init's job directories, highest precedence first, as Upstart's `main.c` adds them:
 * `$XDG_CONFIG_HOME/upstart` (default `~/.config/upstart`), `~/.init`, each `$XDG_CONFIG_DIRS`
 * entry (default `/etc/xdg`) + `/upstart`, and `/usr/share/upstart/sessions`.
 *
 * @param env Reads an environment variable (of the session's user).
 * @returns The directories.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionConfDirs } from "./job_console.ts";
 * assert.deepEqual(sessionConfDirs((n) => ({ HOME: "/home/ann" })[n]), [
 *   "/home/ann/.config/upstart",
 *   "/home/ann/.init",
 *   "/etc/xdg/upstart",
 *   "/usr/share/upstart/sessions",
 * ]);
 * ```
 */
export function sessionConfDirs(env: (name: string) => string | undefined): string[] {
  const home = env("HOME");
  const dirs: string[] = [];
  const config = env("XDG_CONFIG_HOME") || (home ? `${home}/.config` : "");
  if (config) dirs.push(`${config}/upstart`);
  if (home) dirs.push(`${home}/.init`);
  for (const d of (env("XDG_CONFIG_DIRS") || "/etc/xdg").split(":")) {
    if (d) dirs.push(`${d}/upstart`);
  }
  dirs.push("/usr/share/upstart/sessions");
  return dirs;
}

/** A job's console setting and the file it came from. */
export interface JobConsole {
  /** The job file (`DIR/JOB.conf`). */
  readonly path: string;
  /** Its `console` (with the override applied); `log` when it has none. */
  readonly console: JobConfig["console"];
}

/**
 * Finds a job's file in the first of `dirs` that has it and reads its `console` (with the
 * `.override` applied, as Upstart does).
 *
 * @param files The host's files.
 * @param dirs The job directories, highest precedence first.
 * @param job The job name.
 * @returns The setting, or `null` when no directory has the job (or its name could not be a
 * job file's, or the file does not parse).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { localFiles } from "./host_files.ts";
 * import { jobConsole } from "./job_console.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/quiet.conf`, "exec sleep 1\n");
 * await Deno.writeTextFile(`${dir}/quiet.override`, "console none\n");
 * assert.equal((await jobConsole(localFiles(), [dir], "quiet"))?.console, "none");
 * assert.equal(await jobConsole(localFiles(), [dir], "other"), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function jobConsole(
  files: HostFiles,
  dirs: readonly string[],
  job: string,
): Promise<JobConsole | null> {
  try {
    validateJobName(job); // never a path outside the directory
  } catch {
    return null;
  }
  for (const dir of dirs) {
    const path = `${dir}/${job}.conf`;
    const conf = await files.read(path);
    if (conf === null) continue;
    const override = await files.read(`${dir}/${job}.override`) ?? new Uint8Array();
    const { config } = applyOverride(conf, override, {
      confFilename: path,
      overrideFilename: `${dir}/${job}.override`,
    });
    return config === null ? null : { path, console: config.console };
  }
  return null;
}
