/**
 * The job files a command works on, wherever it runs: this machine's, or a `--host`'s over ssh
 * with the same settings as its D-Bus connection (so `--ssh-reuse` shares the one master).
 *
 * @module
 */

import { type HostFiles, localFiles, remoteFiles } from "../../host_files.ts";
import { JobDirectory } from "../../job_directory.ts";
import type { Context } from "../context.ts";
import { escapeField } from "../escape.ts";
import { type OptionSpec, UsageError } from "../options.ts";

/** `--dir DIR`: where the job files are (repeatable, first wins). */
export const DIR_OPTION: OptionSpec = {
  long: "dir",
  arg: "DIR",
  multiple: true,
  help: "job directory (repeatable, first wins; default /etc/init, or the session's)",
};

/**
 * The files of the host the command runs on: `--host`'s over ssh, else this machine's.
 *
 * @param ctx The command's context.
 * @returns The files.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostFiles } from "./_files.ts";
 * import type { Context } from "../context.ts";
 * assert.equal(hostFiles({ connectOptions: {} } as Context).host, null);
 * ```
 */
export function hostFiles(ctx: Context): HostFiles {
  const c = ctx.connectOptions;
  // With the run's signal: a host whose time is up has its ssh stopped.
  return c.host === undefined ? localFiles() : remoteFiles({ ...c, host: c.host });
}

/**
 * `--dir`, else the session's sources in user mode (this machine only), else `/etc/init`.
 *
 * @param ctx The command's context.
 * @returns The job directory, on the command's host.
 * @throws {UsageError} for a relative `--dir`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobDirectory } from "./_files.ts";
 * import type { Context } from "../context.ts";
 * const ctx = { connectOptions: {}, opts: { dir: ["/srv/init"] }, userMode: false } as unknown;
 * assert.deepEqual(jobDirectory(ctx as Context).dirs, ["/srv/init"]);
 * ```
 */
export function jobDirectory(ctx: Context): JobDirectory {
  const files = hostFiles(ctx);
  const dirs = ctx.opts.dir as string[] | undefined;
  if (dirs !== undefined) {
    const bad = dirs.find((d) => !d.startsWith("/"));
    if (bad !== undefined) {
      throw new UsageError(`invalid --dir value: ${escapeField(bad)}: expected an absolute path`);
    }
    return new JobDirectory(dirs, { files });
  }
  if (ctx.userMode && files.host === null) {
    return JobDirectory.session((n) => ctx.io.env(n), { files });
  }
  return JobDirectory.system({ files });
}
