/**
 * `cli.ts status JOB`, a whole process, against Deno's own floor: `deno run`
 * on an empty script, in pairs (one of each, alternately) so that both see the
 * same machine; the ratio is the median of the pairs' ratios. Goal: at most 2x.
 *
 * Run: `deno run -A bench/cli_status.ts` (a sandbox with one job), or
 * `deno run -A bench/cli_status.ts --bus ADDRESS JOB` against a running Upstart.
 */

import { startSandbox, type TestSandbox } from "../tests/support/sandbox.ts";
import { printTable } from "./support.ts";

const PAIRS = 15;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
const CLI_FLAGS = ["--allow-ffi", "--allow-env"];

let sandbox: TestSandbox | null = null;
let address: string;
let job = "svc";
if (Deno.args[0] === "--bus") {
  address = Deno.args[1];
  job = Deno.args[2] ?? job;
} else {
  sandbox = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  address = sandbox.address;
}

async function time(args: string[]): Promise<number> {
  const t = performance.now();
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`deno ${args.join(" ")}: ${new TextDecoder().decode(r.stderr)}`);
  return performance.now() - t;
}

const empty = await Deno.makeTempFile({ suffix: ".ts" });
try {
  const floorArgs = ["run", empty];
  const cliArgs = ["run", ...CLI_FLAGS, CLI, "--address", address, "status", job];
  await time(floorArgs);
  await time(cliArgs); // warm-ups: Deno's module cache
  const floor: number[] = [];
  const cli: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const f = await time(floorArgs);
    const c = await time(cliArgs);
    floor.push(f);
    cli.push(c);
    ratios.push(c / f);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  printTable(`status ${job}, whole processes, median of ${PAIRS} pairs`, [
    ["what", "ms"],
    ["deno run (empty script): Deno's floor", median(floor).toFixed(1)],
    ["cli.ts status", median(cli).toFixed(1)],
    ["ratio (median of pairs)", `${median(ratios).toFixed(2)}x the floor (goal: <= 2x)`],
  ]);
} finally {
  await Deno.remove(empty);
  await sandbox?.close();
}
