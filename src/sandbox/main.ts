/**
 * The sandbox as a program: `deno task sandbox [JOBDIR]` in a checkout, or the CLI's
 * `sandbox` command (`deno run -A jsr:@upstart/upstart/cli sandbox JOBDIR`). Starts a private
 * `dbus-daemon` and the Upstart sandbox on it, prints the address to use, and on Ctrl-C
 * (SIGINT/SIGTERM) stops both and every job process.
 *
 * @module
 */

import { type PrivateBus, startPrivateBus } from "./private_bus.ts";
import { Sandbox } from "./sandbox.ts";

const USAGE = `Usage: deno task sandbox [OPTION]... [JOBDIR]

Runs an Upstart 1.13-compatible sandbox on a private D-Bus bus, with the jobs of JOBDIR
(default with deno task sandbox: examples/jobs). Talk to it with DBUS_SESSION_BUS_ADDRESS=...
(printed at start), e.g. initctl --session, or this project's CLI and API. Ctrl-C stops it and
every job.

Options:
  --log-dir DIR          where console log output goes (default: a temp dir, removed at exit)
  --startup-event NAME   the event emitted at start (default: startup)
  --no-startup-event     emit no event at start
  -v, --verbose          log at priority info (every goal and state change)
  -h, --help             show this help and exit
`;

/** Parsed command line. */
interface Args {
  jobDir: string;
  logDir: string | null;
  verbose: boolean;
  startupEvent: string | null;
}

/** Where the sandbox writes and what stops it (the CLI's io fits). */
export interface SandboxIo {
  /** Writes to standard output (the address line). */
  stdout(text: string): void;
  /** Writes to standard error (log lines, progress). */
  stderr(text: string): void;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Aborted to stop the sandbox (default: on SIGINT, SIGTERM or SIGHUP). */
  readonly interrupt?: AbortSignal;
}

/** `deno task` runs in the project's directory; a relative path means the user's (`INIT_CWD`). */
function fromUserCwd(path: string, io: SandboxIo): string {
  const cwd = io.env("INIT_CWD");
  return path.startsWith("/") || !cwd ? path : `${cwd.replace(/\/+$/, "")}/${path}`;
}

function parseArgs(args: readonly string[], io: SandboxIo, jobDir: string): Args | string {
  const out: Args = {
    jobDir,
    logDir: null,
    verbose: false,
    startupEvent: "startup",
  };
  let dirSeen = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") return "help";
    if (a === "--verbose" || a === "-v") out.verbose = true;
    else if (a === "--log-dir") {
      if (i + 1 >= args.length) return "Option --log-dir needs a directory";
      out.logDir = fromUserCwd(args[++i], io);
    } else if (a === "--startup-event") {
      if (i + 1 >= args.length || args[i + 1] === "") return "Option --startup-event needs a name";
      out.startupEvent = args[++i];
    } else if (a === "--no-startup-event") out.startupEvent = null;
    else if (a.startsWith("-")) return `Unknown option: ${a}`;
    else if (dirSeen) return `Unexpected argument: ${a}`;
    else {
      out.jobDir = fromUserCwd(a, io);
      dirSeen = true;
    }
  }
  if (out.jobDir === "") return "Missing job directory (JOBDIR)";
  return out;
}

const STOP_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The real process: standard streams, environment, and no interrupt of its own (signals). */
function denoSandboxIo(): SandboxIo {
  const write = (file: { writeSync(p: Uint8Array): number }, text: string) => {
    const bytes = new TextEncoder().encode(text);
    for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
  };
  return {
    stdout: (text) => write(Deno.stdout, text),
    stderr: (text) => write(Deno.stderr, text),
    env: (name) => {
      try {
        return Deno.env.get(name);
      } catch {
        return undefined; // no --allow-env: behave as if unset
      }
    },
  };
}

/**
 * Runs the sandbox until stopped; returns the exit code.
 *
 * @param args The command line, without the program name.
 * @param io Where to write, and what stops it (default: the terminal; SIGINT, SIGTERM, SIGHUP).
 * @param defaultJobDir The job directory when the command line names none (default: none, so
 * JOBDIR is required).
 * @returns 0 after a clean stop, 1 when the sandbox could not start, 2 on a usage error.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
 * const jobDir = await Deno.makeTempDir();
 * const stop = new AbortController();
 * let out = "";
 * const io = {
 *   stdout: (text: string) => {
 *     out += text;
 *     stop.abort(); // the address line: it is serving, so stop it
 *   },
 *   stderr: () => {},
 *   env: () => undefined,
 *   interrupt: stop.signal,
 * };
 * assert.equal(await main([jobDir], io), 0);
 * assert.match(out, /^DBUS_SESSION_BUS_ADDRESS=unix:path=/);
 * await Deno.remove(jobDir);
 * ```
 */
export async function main(
  args: readonly string[],
  io?: SandboxIo,
  defaultJobDir = "",
): Promise<number> {
  const out = io ?? denoSandboxIo();
  const parsed = parseArgs(args, out, defaultJobDir);
  if (parsed === "help") {
    out.stdout(`${USAGE}\n`);
    return 0;
  }
  if (typeof parsed === "string") {
    out.stderr(`sandbox: ${parsed}\n${USAGE}\n`);
    return 2;
  }
  // Listen first, so that a Ctrl-C while starting still stops the daemon and the jobs.
  const { promise: signalled, resolve } = Promise.withResolvers<void>();
  const interrupt = out.interrupt;
  if (interrupt) {
    if (interrupt.aborted) resolve();
    else interrupt.addEventListener("abort", () => resolve(), { once: true });
  } else for (const sig of STOP_SIGNALS) Deno.addSignalListener(sig, resolve);
  let daemon: PrivateBus | null = null;
  let sandbox: Sandbox | null = null;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (!interrupt) { for (const sig of STOP_SIGNALS) Deno.removeSignalListener(sig, resolve); }
    await sandbox?.close();
    await daemon?.close();
  };
  try {
    daemon = await startPrivateBus();
    sandbox = await Sandbox.start({
      jobDir: parsed.jobDir,
      address: daemon.address,
      logDir: parsed.logDir ?? undefined, // default: a temp dir the sandbox removes on close
      onLog: (l) => out.stderr(`init: ${l.message}\n`),
      logPriority: parsed.verbose ? "info" : "message",
      startupEvent: parsed.startupEvent,
    });
  } catch (e) {
    out.stderr(`sandbox: ${e instanceof Error ? e.message : e}\n`);
    await stop();
    return 1;
  }
  out.stdout(`DBUS_SESSION_BUS_ADDRESS=${daemon.address}\n`);
  out.stderr(
    `sandbox: serving ${sandbox.jobNames().length} job(s) from ${parsed.jobDir}; ` +
      `logs in ${sandbox.logDir}; Ctrl-C stops\n`,
  );
  const busGone = daemon.exited.then(() => {
    if (!stopping) out.stderr("sandbox: the bus went away\n");
  });
  await Promise.race([signalled, busGone]);
  out.stderr("sandbox: stopping\n");
  await stop();
  return 0;
}

if (import.meta.main) {
  // `deno task sandbox` in a checkout: the example jobs are the default. (Only here: loaded
  // from JSR, a bundle or a URL, nothing is looked for beside this module.)
  const examples = new URL("../../examples/jobs", import.meta.url).pathname;
  Deno.exit(await main(Deno.args, undefined, examples));
}
