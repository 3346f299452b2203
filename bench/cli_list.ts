/**
 * `list` on a sandboxed Upstart with 500 jobs (50 running): the whole
 * `cli.ts list` process (a `deno run` subprocess, start-up and module loading
 * included) against the same work done one call at a time as `initctl list`
 * does it (bench/initctl_list.c: GetAllJobs, then per job GetAllInstances,
 * per status line the job's name and each instance's properties, about a
 * thousand blocking round trips), run in pairs (one of each, alternately);
 * the ratio is the median of the pairs' ratios. The two must print the same
 * lines. Goal: `cli.ts list` at most 0.2x initctl's time.
 *
 * Run: `deno run -A bench/cli_list.ts [jobs] [running]`
 *
 * Against a real Upstart instead (e.g. the reference build of
 * ../shared/upstart/reference, jobs already loaded and started), with its
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function single(cmd: string, args: string[]): Promise<{ ms: number; out: string }> {
  await time(cmd, args); // warm-up (Deno's module cache, the C binary's pages)
  const runs: { ms: number; out: string }[] = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await time(cmd, args));
  runs.sort((a, b) => a.ms - b.ms);
  return runs[runs.length >> 1];
}

/** `ours` and `ref` alternately; medians of each and of the pairs' ratios ours/ref. */
async function paired(
  ours: [string, string[]],
  ref: [string, string[]],
): Promise<{ ours: number; ref: number; ratio: number; same: boolean }> {
  await time(...ours);
  await time(...ref);
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  let same = true;
  for (let i = 0; i < ROUNDS; i++) {
    const x = await time(...ours);
    const y = await time(...ref);
    same &&= x.out === y.out;
    a.push(x.ms);
    b.push(y.ms);
    ratios.push(x.ms / y.ms);
  }
  return { ours: median(a), ref: median(b), ratio: median(ratios), same };
}

const serialBin = await buildC("initctl_list.c", "initctl_list");
const cliArgs = (...args: string[]): [string, string[]] => [
  Deno.execPath(),
  ["run", ...CLI_FLAGS, CLI, "--address", sandbox.address, ...args],
];
const cli = await single(...cliArgs("list"));
// Where the time goes: Deno and module loading alone; plus libdbus, connecting and one call.
const help = await single(...cliArgs("--help"));
const version = await single(...cliArgs("version"));
const rows = [
  ["what", "ms (whole process)"],
  ["cli.ts list (pipelined)", cli.ms.toFixed(1)],
  ["  of which cli.ts --help (Deno + modules)", help.ms.toFixed(1)],
  ["  of which cli.ts version (+ libdbus, connect, 1 call)", version.ms.toFixed(1)],
];
const lines = cli.out.trimEnd().split("\n").length;
if (serialBin) {
  const p = await paired(cliArgs("list"), [serialBin, [sandbox.address]]);
  if (!p.same) console.error("warning: the C reference and cli.ts list printed different lines");
  rows.push(["initctl-like list (C, serial)", p.ref.toFixed(1)]);
  rows.push(["ratio cli.ts / C (median of pairs)", `${p.ratio.toFixed(2)}x (goal: <= 0.2x)`]);
}
if (flags.initctl !== undefined) {
  const p = await paired(cliArgs("list"), [flags.initctl, ["--session", "list"]]);
  if (!p.same) console.error("warning: initctl and cli.ts list printed different lines");
  rows.push(["initctl --session list (real)", p.ref.toFixed(1)]);
  rows.push(["ratio cli.ts / initctl (median of pairs)", `${p.ratio.toFixed(2)}x (goal: <= 0.2x)`]);
}
const where = flags.bus
  ? `the Upstart at ${flags.bus}`
  : `a sandbox of ${JOBS} jobs (${RUNNING} running)`;
printTable(`list on ${where}: ${lines} lines, medians of ${ROUNDS} runs`, rows);
