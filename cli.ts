/**
 * The command line: a drop-in for Upstart's `initctl` (same commands,
 * options, output, messages and exit statuses), plus `--json`, `watch`,
 * `wait`, job-file tools (`check`, `fmt`, `parse`, `create`, `graph`) and
 * many hosts at once (`-H a,b,c`).
 *
 * @example List every job on this machine
 * ```sh
 * deno run --allow-ffi --allow-env --allow-read jsr:@upstart/upstart/cli list
 * ```
 *
 * @module
 */

import { main as run, type MainOptions } from "./src/cli/main.ts";
import { type CliIo, denoIo } from "./src/cli/io.ts";

export type { CliIo, MainOptions };
export { denoIo };

/**
 * Runs the CLI and returns its exit status (nothing else exits the process).
 *
 * @param args The arguments, without the program name.
 * @param io Where to read and write (default: the real terminal).
 * @param options `programName` for messages (default `initctl`).
 * @returns The exit status: 0 on success, 1 on failure as initctl, 2 on a usage error of our own commands.
 * @example Check a job file in-process, and read what it printed
 * ```ts
 * import assert from "node:assert/strict";
 * import { type CliIo, main } from "@upstart/upstart/cli";
 * let out = "";
 * const io: CliIo = {
 *   stdout: (text) => void (out += text),
 *   stderr: (text) => void (out += text),
 *   readFile: (path) => Deno.readFileSync(path),
 *   env: (name) => Deno.env.get(name),
 *   stdoutIsTerminal: () => false,
 *   stderrIsTerminal: () => false,
 *   interrupt: new AbortController().signal,
 * };
 * const file = await Deno.makeTempFile({ suffix: ".conf" });
 * await Deno.writeTextFile(file, "start on startup\nexec /usr/bin/web\nbogus\n");
 * assert.equal(await main(["check", file], io), 1);
 * assert.match(out, /:3: Unknown stanza/);
 * await Deno.remove(file);
 * ```
 */
export function main(
  args: readonly string[],
  io: CliIo = denoIo(),
  options: MainOptions = {},
): Promise<number> {
  return run(args, io, options);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
