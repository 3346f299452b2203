/**
 * D-Bus round trips: this binding against a C client on libdbus and
 * python3-dbus, side by side on one private bus, calling
 * `org.freedesktop.DBus.GetId`. Only the ratios mean anything: absolute
 * figures move ~3x between machines of the same kind.
 *
 * Run: deno task bench (or deno run -A bench/dbus.ts)
 */

import { Connection } from "../ffi/mod.ts";
import { startBus } from "../tests/support/bus.ts";
import { buildC, printTable, run } from "./support.ts";

const SERIAL = 5000;
const BATCHES = 40;
const BATCH = 256;
const GET_ID = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
  member: "GetId",
} as const;

async function ours(address: string): Promise<{ serial: number; pipelined: number }> {
  await using conn = await Connection.open(address);
  for (let i = 0; i < 200; i++) await conn.call(GET_ID);
  let t0 = performance.now();
  for (let i = 0; i < SERIAL; i++) await conn.call(GET_ID);
  const serial = (performance.now() - t0) * 1000 / SERIAL;
  await Promise.all(Array.from({ length: BATCH }, () => conn.call(GET_ID)));
  t0 = performance.now();
  for (let b = 0; b < BATCHES; b++) {
    await Promise.all(Array.from({ length: BATCH }, () => conn.call(GET_ID)));
  }
  const pipelined = (performance.now() - t0) * 1000 / (BATCHES * BATCH);
  return { serial, pipelined };
}

async function memory(address: string): Promise<{ before: number; after: number }> {
  await using conn = await Connection.open(address);
  const rss = () => Deno.memoryUsage().rss / 1024 / 1024;
  // Warm-up of 100,000 calls first: glibc reserves its per-thread malloc arenas for Deno's
  // thread pool once (a one-time step of tens of MB); what must stay flat is what follows.
  for (let b = 0; b < 100_000 / BATCH; b++) {
    await Promise.all(Array.from({ length: BATCH }, () => conn.call(GET_ID)));
  }
  const before = rss();
  for (let b = 0; b < 100_000 / BATCH; b++) {
    await Promise.all(Array.from({ length: BATCH }, () => conn.call(GET_ID)));
  }
  return { before, after: rss() };
}

function field(output: string, name: string): number {
  const m = output.match(new RegExp(`${name}=([0-9.]+)`));
  if (!m) throw new Error(`no ${name} in: ${output}`);
  return Number(m[1]);
}

export async function benchDBus(): Promise<void> {
  await using bus = await startBus();
  const cClient = await buildC("dbus_client.c", "dbus_client");
  // Interleave: C, ours, C again, ours again; keep the best of each (least disturbed by the machine).
  const cRuns: { serial: number; pipelined: number }[] = [];
  const ourRuns: { serial: number; pipelined: number }[] = [];
  for (let round = 0; round < 2; round++) {
    if (cClient) {
      const out = await run(cClient, [bus.address, String(SERIAL), String(BATCHES), String(BATCH)]);
      cRuns.push({ serial: field(out, "serial_us"), pipelined: field(out, "pipelined_us") });
    }
    ourRuns.push(await ours(bus.address));
  }
  const best = (runs: { serial: number; pipelined: number }[]) =>
    runs.length === 0 ? null : {
      serial: Math.min(...runs.map((r) => r.serial)),
      pipelined: Math.min(...runs.map((r) => r.pipelined)),
    };
  const c = best(cRuns);
  const us = best(ourRuns)!;
  let py: number | null = null;
  try {
    const out = await run("/usr/bin/python3", [
      new URL("./dbus_client.py", import.meta.url).pathname,
      bus.address,
      "2000",
    ]);
    py = field(out, "serial_us");
  } catch (e) {
    console.error(`python3-dbus reference skipped: ${(e as Error).message}`);
  }
  const ratio = (x: number, ref: number | undefined) => ref ? `${(x / ref).toFixed(2)}x C` : "n/a";
  printTable("D-Bus GetId round trips (µs per call; ratio to the C libdbus client, same run)", [
    ["client", "serial", "ratio", `pipelined (${BATCH} in flight)`, "ratio"],
    [
      "C libdbus",
      c ? c.serial.toFixed(1) : "n/a",
      "1.00x C",
      c ? c.pipelined.toFixed(1) : "n/a",
      "1.00x C",
    ],
    [
      "this binding",
      us.serial.toFixed(1),
      ratio(us.serial, c?.serial),
      us.pipelined.toFixed(1),
      ratio(us.pipelined, c?.pipelined),
    ],
    [
      "python3-dbus",
      py === null ? "n/a" : py.toFixed(1),
      py === null ? "n/a" : ratio(py, c?.serial),
      "-",
      "-",
    ],
  ]);
  console.log("targets: serial <= 1.00x C, pipelined <= 1.20x C");
  const mem = await memory(bus.address);
  console.log(
    `memory: RSS ${mem.before.toFixed(1)} MB before, ${
      mem.after.toFixed(1)
    } MB after 100,000 more calls (+${(mem.after - mem.before).toFixed(1)} MB)`,
  );
}

if (import.meta.main) await benchDBus();
