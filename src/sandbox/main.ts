/**
 * `deno task sandbox [JOBDIR]`: starts a private `dbus-daemon` and the Upstart sandbox on it,
 * prints the address to use, and on Ctrl-C (SIGINT/SIGTERM) stops both and every job process.
 *
 * @module
 */

import { type PrivateBus, startPrivateBus } from "./private_bus.ts";
import { Sandbox } from "./sandbox.ts";

const USAGE = `Usage: deno task sandbox [OPTION]... [JOBDIR]

Runs an Upstart 1.13-compatible sandbox on a private D-Bus bus, with the jobs of JOBDIR
(default: examples/jobs). Talk to it with DBUS_SESSION_BUS_ADDRESS=... (printed at start),
e.g. initctl --session, or this project's CLI and API. Ctrl-C stops it and every job.

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

/** `deno task` runs in the project's directory; a relative path means the user's (`INIT_CWD`). */
function fromUserCwd(path: string): string {
  const cwd = Deno.env.get("INIT_CWD");
  return path.startsWith("/") || !cwd ? path : `${cwd.replace(/\/+$/, "")}/${path}`;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = {
    jobDir: new URL("../../examples/jobs", import.meta.url).pathname,
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
      out.logDir = fromUserCwd(args[++i]);
    } else if (a === "--startup-event") {
      if (i + 1 >= args.length || args[i + 1] === "") return "Option --startup-event needs a name";
      out.startupEvent = args[++i];
    } else if (a === "--no-startup-event") out.startupEvent = null;
    else if (a.startsWith("-")) return `Unknown option: ${a}`;
    else if (dirSeen) return `Unexpected argument: ${a}`;
    else {
      out.jobDir = fromUserCwd(a);
      dirSeen = true;
    }
  }
  return out;
}

const STOP_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Runs the sandbox until SIGINT, SIGTERM or SIGHUP; returns the exit code.
 *
 * @param args The command line, without the program name.
 * @returns 0 after a clean stop, 1 when the sandbox could not start, 2 on a usage error.
 * @example
 * ```ts no-eval
 * import { main } from "./main.ts";
 * Deno.exit(await main(["examples/jobs"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  if (parsed === "help") {
    console.log(USAGE);
    return 0;
  }
  if (typeof parsed === "string") {
    console.error(`sandbox: ${parsed}\n${USAGE}`);
    return 2;
  }
  // Listen first, so that a Ctrl-C while starting still stops the daemon and the jobs.
  const { promise: signalled, resolve } = Promise.withResolvers<void>();
  for (const sig of STOP_SIGNALS) Deno.addSignalListener(sig, resolve);
  let daemon: PrivateBus | null = null;
  let sandbox: Sandbox | null = null;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const sig of STOP_SIGNALS) Deno.removeSignalListener(sig, resolve);
    await sandbox?.close();
    await daemon?.close();
  };
  try {
    daemon = await startPrivateBus();
    sandbox = await Sandbox.start({
      jobDir: parsed.jobDir,
      address: daemon.address,
      logDir: parsed.logDir ?? undefined, // default: a temp dir the sandbox removes on close
      onLog: (l) => console.error(`init: ${l.message}`),
      logPriority: parsed.verbose ? "info" : "message",
      startupEvent: parsed.startupEvent,
    });
  } catch (e) {
    console.error(`sandbox: ${e instanceof Error ? e.message : e}`);
    await stop();
    return 1;
  }
  console.log(`DBUS_SESSION_BUS_ADDRESS=${daemon.address}`);
  console.error(
    `sandbox: serving ${sandbox.engine.classes.length} job(s) from ${parsed.jobDir}; ` +
      `logs in ${sandbox.logDir}; Ctrl-C stops`,
  );
  const busGone = daemon.exited.then(() => {
    if (!stopping) console.error("sandbox: the bus went away");
  });
  await Promise.race([signalled, busGone]);
  console.error("sandbox: stopping");
  await stop();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
