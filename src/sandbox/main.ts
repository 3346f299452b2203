/**
 * `deno task sandbox [JOBDIR]`: starts a private `dbus-daemon` and the Upstart sandbox on it,
 * prints the address to use, and on Ctrl-C (SIGINT/SIGTERM) stops both and every job process.
 *
 * @module
 */

import { Sandbox } from "./sandbox.ts";

const USAGE = `Usage: deno task sandbox [--log-dir DIR] [--verbose] [JOBDIR]

Runs an Upstart 1.13-compatible sandbox on a private D-Bus bus, with the jobs of JOBDIR
(default: examples/jobs). Talk to it with DBUS_SESSION_BUS_ADDRESS=... (printed at start),
e.g. initctl --session, or this project's CLI and API.
`;

/** Parsed command line. */
interface Args {
  jobDir: string;
  logDir: string | null;
  verbose: boolean;
}

function parseArgs(args: string[]): Args | string {
  const out: Args = {
    jobDir: new URL("../../examples/jobs", import.meta.url).pathname,
    logDir: null,
    verbose: false,
  };
  let dirSeen = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "-h" || a === "--help") return "help";
    if (a === "--verbose" || a === "-v") out.verbose = true;
    else if (a === "--log-dir") {
      if (i + 1 >= args.length) return "Option --log-dir needs a directory";
      out.logDir = args[++i];
    } else if (a.startsWith("-")) return `Unknown option: ${a}`;
    else if (dirSeen) return `Unexpected argument: ${a}`;
    else {
      out.jobDir = a;
      dirSeen = true;
    }
  }
  return out;
}

/** Starts `dbus-daemon` with the sandbox's config on a socket in `dir`; resolves to its address. */
async function startDaemon(dir: string): Promise<{ address: string; child: Deno.ChildProcess }> {
  const config = new URL("./bus.conf", import.meta.url).pathname;
  const address = `unix:path=${dir}/bus`;
  const child = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${config}`, `--address=${address}`, "--nofork", "--print-address=1"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("dbus-daemon exited before listening");
    printed += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { address: printed.trim(), child };
}

/** Runs the sandbox until a signal; returns the exit code. */
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
  const dir = await Deno.makeTempDir({ prefix: "upstart-sandbox-" });
  let daemon: { address: string; child: Deno.ChildProcess } | null = null;
  let sandbox: Sandbox | null = null;
  const stop = async () => {
    await sandbox?.close();
    try {
      daemon?.child.kill("SIGTERM");
      await daemon?.child.status;
    } catch { /* already gone */ }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    daemon = await startDaemon(dir);
    sandbox = await Sandbox.start({
      jobDir: parsed.jobDir,
      address: daemon.address,
      logDir: parsed.logDir ?? `${dir}/log`,
      onLog: (l) => console.error(`init: ${l.message}`),
    });
    if (parsed.verbose) sandbox.logPriority = "info";
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
  const { promise, resolve } = Promise.withResolvers<void>();
  const onSignal = () => resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let stopping = false;
  const busGone = daemon.child.status.then(() => {
    if (!stopping) console.error("sandbox: the bus went away");
  });
  await Promise.race([promise, busGone]);
  stopping = true;
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  console.error("sandbox: stopping");
  await stop();
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
