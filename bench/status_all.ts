/**
 * `statusAll()` on a sandboxed Upstart with 500 jobs (every fifth one running,
 * plus an instance job with 20 instances): all calls pipelined vs one call at a
 * time, side by side with the ratio. Twice: on the local socket, where a round
 * trip costs tens of microseconds and the sandbox's own speed dominates, and
 * through a relay that holds each chunk for 1 ms in each direction (with timer
 * slack, a few ms per round trip, as on a LAN ssh hop; another site is tens of
 * ms), where the round trips dominate. The measured round trip is printed.
 *
 * Both modes must return the same statuses, with every started instance running.
 *
 * Run: `deno run -A bench/status_all.ts [jobs]`
 */

import { deepStrictEqual } from "node:assert/strict";
import { startSandbox } from "../tests/support/sandbox.ts";
import { type JobStatus, System } from "../src/system.ts";
import { printTable } from "./support.ts";

const JOBS = Number(Deno.args[0] ?? 500);
const INSTANCES = 20;
const DELAY_MS = 1;

const jobs: Record<string, string> = { "multi": "instance $N\nexec sleep 1000\n" };
for (let i = 0; i < JOBS - 1; i++) jobs[`job-${String(i).padStart(3, "0")}`] = "exec sleep 1000\n";
const running = Object.keys(jobs).filter((_, i) => i % 5 === 1);

await using sandbox = await startSandbox({ jobs });
await using local = await System.connect({ address: sandbox.address, peer: false });
await Promise.all(running.map(async (name) => (await local.job(name)).start()));
const multi = await local.job("multi");
await Promise.all(
  Array.from({ length: INSTANCES }, (_, n) => multi.start({ env: { N: String(n) } })),
);

/**
 * A unix-socket relay to the bus that holds every chunk for `delay` ms in each
 * direction, keeping order and letting many messages be in flight (latency, not
 * a bandwidth cap).
 */
async function delayRelay(target: string, delay: number) {
  const dir = await Deno.makeTempDir({ prefix: "upstart-bench-relay-" });
  const path = `${dir}/relay`;
  const listener = Deno.listen({ transport: "unix", path });
  const pipe = async (from: Deno.UnixConn, to: Deno.UnixConn) => {
    const queue: { at: number; data: Uint8Array }[] = [];
    const waiting: { wake: (() => void) | null } = { wake: null };
    const wake = () => {
      waiting.wake?.();
      waiting.wake = null;
    };
    let ended = false;
    const writer = (async () => {
      for (;;) {
        const next = queue.shift();
        if (!next) {
          if (ended) break;
          await new Promise<void>((r) => waiting.wake = r);
          continue;
        }
        const wait = next.at - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        let off = 0;
        while (off < next.data.length) off += await to.write(next.data.subarray(off));
      }
      to.closeWrite().catch(() => {});
    })();
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await from.read(buf).catch(() => null);
      if (n === null) break;
      queue.push({ at: performance.now() + delay, data: buf.slice(0, n) });
      wake();
    }
    ended = true;
    wake();
    await writer.catch(() => {});
  };
  const serving = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ transport: "unix", path: target });
      Promise.all([pipe(client, upstream), pipe(upstream, client)]).finally(() => {
        try {
          client.close();
        } catch { /* closed */ }
        try {
          upstream.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    address: `unix:path=${path}`,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function median(
  system: System,
  concurrency: number,
  rounds: number,
): Promise<{ ms: number; result: JobStatus[] }> {
  const times: number[] = [];
  let result: JobStatus[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    result = await system.statusAll({ concurrency });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[times.length >> 1], result };
}

const socket = /unix:path=([^,]+)/.exec(sandbox.address)![1];
await using relay = await delayRelay(socket, DELAY_MS);
await using remote = await System.connect({ address: relay.address, peer: false });

/** The median round trip of a bare call to the bus daemon through `system`'s connection. */
async function roundTrip(system: System): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    await system.connection.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "GetId",
    });
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[10];
}

await median(local, Infinity, 2); // warm-up (JIT, the sandbox's caches)
const ROUNDS = [5, 3] as const;
const rtt = [await roundTrip(local), await roundTrip(remote)];
const rows = [];
for (const [system, rounds] of [[local, ROUNDS[0]], [remote, ROUNDS[1]]] as const) {
  const piped = await median(system, Infinity, rounds);
  const serial = await median(system, 1, rounds);
  // Both modes see the same thing, and it is what was started.
  deepStrictEqual(serial.result, piped.result);
  const instances = piped.result.flatMap((j) => j.instances);
  deepStrictEqual(instances.length, running.length + INSTANCES);
  deepStrictEqual(instances.every((i) => i.state === "running"), true);
  rows.push({ piped: piped.ms, serial: serial.ms, calls: 1 + JOBS + instances.length });
}

const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;
printTable(
  `statusAll() on ${JOBS} jobs, ${rows[0].calls} D-Bus calls (median of ${ROUNDS[0]} and ${
    ROUNDS[1]
  } runs)`,
  [
    [
      "",
      `local socket (${ms(rtt[0])} round trip)`,
      `${DELAY_MS} ms delay each way (${ms(rtt[1])} round trip)`,
    ],
    ["pipelined", ms(rows[0].piped), ms(rows[1].piped)],
    ["one call at a time", ms(rows[0].serial), ms(rows[1].serial)],
    [
      "ratio",
      `${(rows[0].serial / rows[0].piped).toFixed(1)}x`,
      `${(rows[1].serial / rows[1].piped).toFixed(1)}x`,
    ],
  ],
);
