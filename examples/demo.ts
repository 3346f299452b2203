/**
 * `deno task demo`: a guided tour that needs no Upstart. It starts the sandbox (a private
 * `dbus-daemon` and an Upstart-compatible service) on the bundled `examples/jobs`, then runs this
 * project's real CLI (`cli.ts --session`, the way Upstart's own `initctl --session` would talk to
 * it) for a series of commands, printing each one and its output like a terminal transcript.
 * Everything is torn down at the end; the exit status is 0 when every command behaved as expected.
 *
 * @module
 */

import { Sandbox, startPrivateBus } from "../src/sandbox/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const JOBS = `${ROOT}examples/jobs`;

/** One step of the tour. */
interface Step {
  /** Said before the command (a `#` comment in the transcript). */
  readonly say?: string;
  /** `initctl` arguments, or a log file to show (`cat`). */
  readonly run?: readonly string[];
  readonly cat?: string;
  /** The exit status the command should have (default 0). */
  readonly status?: number;
  /** Before running: wait until this holds (for things that happen after a command returns). */
  readonly before?: (sb: Sandbox) => boolean;
}

const running = (job: string) => (sb: Sandbox) => sb.status(job).some((j) => j.state === "running");
const idle = (job: string) => (sb: Sandbox) => sb.status(job).length === 0;

const STEPS: readonly Step[] = [
  { say: "Which Upstart is this? (the sandbox says so in its version)", run: ["version"] },
  { say: "The jobs of examples/jobs, all stopped", run: ["list"] },
  { say: "hello is a task: start returns once it has run", run: ["start", "hello"] },
  { cat: "hello.log" },
  { run: ["status", "hello"] },
  { say: "worker is an instance job: two instances side by side", run: ["start", "worker", "N=1"] },
  { run: ["start", "worker", "N=2"] },
  { run: ["status", "worker", "N=1"] },
  {
    say: "Starting a running instance is an error, as in Upstart",
    run: ["start", "worker", "N=1"],
    status: 1,
  },
  {
    say: "on-event starts on `deploy ENV=staging*`: this one matches...",
    run: ["emit", "deploy", "ENV=staging-eu"],
  },
  { cat: "on-event.log" },
  { say: "...and this one does not (the log is unchanged)", run: ["emit", "deploy", "ENV=prod"] },
  { cat: "on-event.log" },
  { say: "ticker starts on sandbox-up and stops on sandbox-down", run: ["emit", "sandbox-up"] },
  { run: ["status", "ticker"], before: running("ticker") },
  { say: "The job environment that every job starts from", run: ["set-env", "DEMO=yes"] },
  { run: ["get-env", "DEMO"] },
  { run: ["list"] },
  { run: ["emit", "sandbox-down"] },
  { run: ["stop", "worker", "N=1"] },
  { say: "Stopping an instance that does not exist", run: ["stop", "worker", "N=9"], status: 1 },
  { run: ["stop", "worker", "N=2"] },
  { run: ["list"], before: idle("ticker") },
];

const enc = new TextEncoder();
/** Writes to standard output, whole. */
const toStdout = (s: string) => {
  const bytes = enc.encode(s);
  for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
};

/** Waits (at most 10 s) until `cond` holds. */
async function until(cond: () => boolean): Promise<boolean> {
  const end = Date.now() + 10000;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Runs `initctl ARGS` (this project's cli.ts) against the sandbox; returns its exit status. */
async function initctl(
  args: readonly string[],
  address: string,
  write: (text: string) => void,
): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", CLI, "--session", ...args],
    env: { DBUS_SESSION_BUS_ADDRESS: address, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  write(dec.decode(out.stdout));
  write(dec.decode(out.stderr));
  return out.code;
}

/**
 * Runs the tour and returns the exit status (0: every step behaved as expected).
 *
 * @param write Where the transcript goes (default: standard output).
 * @returns 0 or 1.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demo } from "./demo.ts";
 * let transcript = "";
 * assert.equal(await demo((text) => transcript += text), 0);
 * assert.match(transcript, /^\$ initctl --session version\ninit \(upstart 1\.13\.2\) sandbox$/m);
 * ```
 */
export async function demo(write: (text: string) => void = toStdout): Promise<number> {
  const logDir = await Deno.makeTempDir({ prefix: "upstart-demo-log-" });
  const bus = await startPrivateBus();
  const logs: string[] = [];
  let sb: Sandbox | null = null;
  let failures = 0;
  try {
    sb = await Sandbox.start({
      jobDir: JOBS,
      address: bus.address,
      logDir,
      onLog: (l) => logs.push(l.message),
    });
    write(`# A sandboxed Upstart on a private bus, serving ${JOBS}\n`);
    write(`export DBUS_SESSION_BUS_ADDRESS=${bus.address}\n`);
    write(`# initctl below is this project's CLI: deno run --allow-all cli.ts\n`);
    for (const step of STEPS) {
      const s = sb;
      if (step.before && !(await until(() => step.before!(s)))) {
        write("# (timed out waiting for the sandbox)\n");
        failures++;
      }
      if (step.say) write(`\n# ${step.say}\n`);
      if (step.cat) {
        write(`$ cat $LOGDIR/${step.cat}\n`);
        // Logs end lines in CR LF, as Upstart's pty writes them: shown as a terminal shows them.
        const text = await Deno.readTextFile(`${logDir}/${step.cat}`).catch(() => "");
        write(text.replaceAll("\r\n", "\n"));
        continue;
      }
      write(`$ initctl --session ${step.run!.join(" ")}\n`);
      const status = await initctl(step.run!, bus.address, write);
      if (status !== 0) write(`[exit status ${status}]\n`);
      if (status !== (step.status ?? 0)) {
        write(`# unexpected: the exit status should be ${step.status ?? 0}\n`);
        failures++;
      }
      // What init logged meanwhile (warnings and above, as Upstart's default log priority).
      for (const line of logs.splice(0)) write(`  init: ${line}\n`);
    }
  } catch (e) {
    write(`demo: ${e instanceof Error ? e.message : e}\n`);
    failures++;
  } finally {
    await sb?.close();
    await bus.close();
    await Deno.remove(logDir, { recursive: true }).catch(() => {});
  }
  write(
    failures === 0 ? "\n# Done: sandbox and jobs stopped.\n" : `\n# ${failures} step(s) failed\n`,
  );
  return failures === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await demo());
