/**
 * The command line. So far it has the job-file commands, which need no
 * daemon: `check FILE...` and `parse --json FILE`. initctl's daemon commands
 * come with the typed API (see the README's roadmap).
 *
 * @example Check job files
 * ```sh
 * deno run --allow-read jsr:@upstart/upstart/cli check /etc/init/*.conf
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ParseError, parseJob } from "./mod.ts";

/** Where a command writes; tests pass their own. */
export interface CliIo {
  /** Standard output. */
  stdout(text: string): void;
  /** Standard error. */
  stderr(text: string): void;
  /** Reads a file's bytes. */
  readFile(path: string): Uint8Array;
}

const USAGE = `Usage: cli.ts COMMAND [OPTION]... [ARG]...

Job-file commands (no daemon needed):
  check FILE...        report what Upstart would reject, as FILE:LINE: REASON
  parse --json FILE    print the typed configuration Upstart would load, as JSON

Options:
  -h, --help           show this help and exit
`;

/** The real terminal and file system. */
export const denoIo: CliIo = {
  stdout: (t) => Deno.stdout.writeSync(new TextEncoder().encode(t)),
  stderr: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)),
  readFile: (p) => Deno.readFileSync(p),
};

/**
 * Runs the CLI and returns its exit status.
 *
 * @param args The arguments, without the program name.
 * @param io Where to write and read.
 * @returns 0 on success, 1 when a job file is rejected or unreadable, 2 on a usage error.
 * @example
 * ```ts ignore
 * import { main } from "@upstart/upstart/cli";
 * Deno.exit(main(["check", "/etc/init/cron.conf"]));
 * ```
 */
export function main(args: string[], io: CliIo = denoIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
    });
  } catch (e) {
    io.stderr(`cli: ${(e as Error).message}\n`);
    return 2;
  }
  const [command, ...files] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    (command === undefined && !parsed.values.help ? io.stderr : io.stdout)(USAGE);
    return command === undefined && !parsed.values.help ? 2 : 0;
  }
  if (files.length === 0) {
    io.stderr(`cli: ${command}: missing file name\n`);
    return 2;
  }
  switch (command) {
    case "check":
      return check(files, io);
    case "parse":
      if (!parsed.values.json || files.length !== 1) {
        io.stderr("cli: usage: parse --json FILE\n");
        return 2;
      }
      return parse(files[0], io);
    default:
      io.stderr(`cli: unknown command: ${command}\n`);
      return 2;
  }
}

function load(path: string, io: CliIo): ReturnType<typeof parseJob> | null {
  let bytes: Uint8Array;
  try {
    bytes = io.readFile(path);
  } catch (e) {
    io.stderr(`${path}: ${(e as Error).message}\n`);
    return null;
  }
  try {
    return parseJob(bytes, { filename: path });
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    io.stderr(`${e.message}\n`);
    return null;
  }
}

function check(files: string[], io: CliIo): number {
  let status = 0;
  for (const file of files) if (load(file, io) === null) status = 1;
  return status;
}

function parse(file: string, io: CliIo): number {
  const doc = load(file, io);
  if (doc === null) return 1;
  io.stdout(JSON.stringify(doc.config, null, 2) + "\n");
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
