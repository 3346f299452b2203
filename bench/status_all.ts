/**
 * `statusAll()` on a sandboxed Upstart with 500 jobs (every fifth one running,
 * plus an instance job with 20 instances): all calls pipelined vs one call at a
 * time, side by side with the ratio. Over a local socket a round trip is tens of
 * microseconds; over ssh it is milliseconds, so the ratio there is far larger.
 *
 * Run: `deno run -A bench/status_all.ts [jobs]`
 */

import { startSandbox } from "../tests/support/sandbox.ts";
import { System } from "../src/system.ts";
import { printTable } from "./support.ts";

const JOBS = Number(Deno.args[0] ?? 500);
const ROUNDS = 7;

const jobs: Record<string, string> = { "multi": "instance $N\nexec sleep 1000\n" };
for (let i = 0; i < JOBS - 1; i++) jobs[`job-${String(i).padStart(3, "0")}`] = "exec sleep 1000\n";

await using sandbox = await startSandbox({ jobs });
await using system = await System.connect({ address: sandbox.address, peer: false });
await Promise.all(
  Object.keys(jobs).filter((_, i) => i % 5 === 1).map(async (name) =>
    (await system.job(name)).start()
  ),
);
const multi = await system.job("multi");
for (let n = 0; n < 20; n++) await multi.start({ env: { N: String(n) } });

async function median(concurrency: number): Promise<{ ms: number; calls: number }> {
  const times: number[] = [];
  let calls = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    const all = await system.statusAll({ concurrency });
    times.push(performance.now() - t);
    calls = 1 + all.length + all.reduce((n, j) => n + j.instances.length, 0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], calls };
}

await median(Infinity); // warm-up
const piped = await median(Infinity);
const serial = await median(1);
printTable(`statusAll() on ${JOBS} jobs (${piped.calls} D-Bus calls), median of ${ROUNDS}`, [
  ["mode", "ms", "calls/s"],
  ["pipelined", piped.ms.toFixed(1), (piped.calls / piped.ms * 1000).toFixed(0)],
  ["one at a time", serial.ms.toFixed(1), (serial.calls / serial.ms * 1000).toFixed(0)],
  ["ratio", (serial.ms / piped.ms).toFixed(1) + "x", ""],
]);
