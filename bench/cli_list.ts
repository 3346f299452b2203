/**
 * `list` on a sandboxed Upstart with 500 jobs (50 running): the whole
 * `cli.ts list` process (a `deno run` subprocess, start-up and module loading
 * included) against the same work done one call at a time as `initctl list`
 * does it (bench/initctl_list.c: GetAllJobs, then per job GetAllInstances,
 * per status line the job's name and each instance's properties, about a
 * thousand blocking round trips), side by side with the ratio. The two must
 * print the same lines. Goal: `cli.ts list` under a third of the serial time.
 *
 * Run: `deno run -A bench/cli_list.ts [jobs] [running]`
 *
 * Against a real Upstart instead (e.g. the reference build of
 * /work/shared/upstart/reference, jobs already loaded and started), with its
 * own initctl timed too: `deno run -A bench/cli_list.ts --bus ADDRESS --initctl PATH`
 * (`initctl --session list` with `DBUS_SESSION_BUS_ADDRESS=ADDRESS`).
 */

import { startSandbox, type TestSandbox } from "../tests/support/sandbox.ts";
import { System } from "../src/system.ts";
import { buildC, printTable } from "./support.ts";

const flags: { bus?: string; initctl?: string; _: string[] } = { _: [] };
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i];
  if (a === "--bus" || a === "--initctl") flags[a.slice(2) as "bus" | "initctl"] = Deno.args[++i];
  else flags._.push(a);
}
const JOBS = Number(flags._[0] ?? 500);
const RUNNING = Number(flags._[1] ?? 50);
const ROUNDS = 9;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
/** The permissions `list` needs (see the README's permission table). */
const CLI_FLAGS = ["--allow-ffi", "--allow-env"];

const jobs: Record<string, string> = {};
for (let i = 0; i < JOBS; i++) jobs[`job-${String(i).padStart(3, "0")}`] = "exec sleep 1000\n";

let sandboxRunning: TestSandbox | null = null;
if (flags.bus === undefined) {
  sandboxRunning = await startSandbox({ jobs });
  await using system = await System.connect({ address: sandboxRunning.address, peer: false });
  const step = Math.max(1, Math.floor(JOBS / RUNNING));
  await Promise.all(
    Object.keys(jobs).filter((_, i) => i % step === 1).slice(0, RUNNING).map(async (name) =>
      (await system.job(name)).start()
    ),
  );
}
await using _sandbox = sandboxRunning ?? { [Symbol.asyncDispose]: () => Promise.resolve() };
const sandbox = { address: flags.bus ?? sandboxRunning!.address };

/** Runs a command to completion (asynchronously: the sandbox serves from this process). */
async function time(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
  const t = performance.now();
  const r = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", DBUS_SESSION_BUS_ADDRESS: sandbox.address },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t;
  const d = new TextDecoder();
  if (!r.success) throw new Error(`${cmd} failed (${r.code}): ${d.decode(r.stderr)}`);
  return { ms, out: d.decode(r.stdout) };
}

async function median(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
  const runs: { ms: number; out: string }[] = [];
  await time(cmd, args); // warm-up (Deno's module cache, the C binary's pages)
  for (let i = 0; i < ROUNDS; i++) runs.push(await time(cmd, args));
  runs.sort((a, b) => a.ms - b.ms);
  return runs[runs.length >> 1];
}

const serialBin = await buildC("initctl_list.c", "initctl_list");
const cliRun = (...args: string[]) =>
  median(Deno.execPath(), ["run", ...CLI_FLAGS, CLI, "--address", sandbox.address, ...args]);
const cli = await cliRun("list");
// Where the time goes: Deno and module loading alone; plus libdbus, connecting and one call.
const help = await cliRun("--help");
const version = await cliRun("version");
const rows = [
  ["what", "ms (whole process)"],
  ["cli.ts list (pipelined)", cli.ms.toFixed(1)],
  ["  of which cli.ts --help (Deno + modules)", help.ms.toFixed(1)],
  ["  of which cli.ts version (+ libdbus, connect, 1 call)", version.ms.toFixed(1)],
];
const lines = cli.out.trimEnd().split("\n").length;
if (serialBin) {
  const serial = await median(serialBin, [sandbox.address]);
  if (serial.out !== cli.out) {
    console.error("warning: the C reference and cli.ts list printed different lines");
  }
  rows.push(["initctl-like list (C, serial)", serial.ms.toFixed(1)]);
  rows.push([
    "ratio serial / cli.ts",
    `${(serial.ms / cli.ms).toFixed(2)}x (goal: >= 3x)`,
  ]);
}
if (flags.initctl !== undefined) {
  const real = await median(flags.initctl, ["--session", "list"]);
  if (real.out !== cli.out) {
    console.error("warning: initctl and cli.ts list printed different lines");
  }
  rows.push(["initctl --session list (real)", real.ms.toFixed(1)]);
  rows.push(["ratio initctl / cli.ts", `${(real.ms / cli.ms).toFixed(2)}x (goal: >= 3x)`]);
}
const where = flags.bus
  ? `the Upstart at ${flags.bus}`
  : `a sandbox of ${JOBS} jobs (${RUNNING} running)`;
printTable(`list on ${where}: ${lines} lines, median of ${ROUNDS} runs`, rows);
