/**
 * Call timeouts, which the reactor keeps itself (no timer): a call with an earlier deadline must
 * wake a loop already parked in poll() for a later one (or for none), and each call expires at its
 * own deadline while others are still pending.
 */

import assert from "node:assert/strict";
import { Connection, TimeoutError } from "../ffi/mod.ts";
import { startBus } from "./support/bus.ts";

const SERVICE = "org.upstart.test.Timeouts";

/** Serves `Wait()` (never replies) and `Nap(ms)` (replies after `ms`) as `SERVICE`. */
async function service(server: Connection) {
  await server.requestName(SERVICE);
  server.export("/t", [{
    name: SERVICE,
    methods: {
      Wait: { handler: () => new Promise(() => {}) },
      Nap: { in: "u", handler: ([ms]) => new Promise<void>((r) => setTimeout(r, ms as number)) },
    },
  }]);
  const at = { destination: SERVICE, path: "/t", interface: SERVICE } as const;
  return {
    wait: { ...at, member: "Wait" },
    nap: (ms: number) => ({ ...at, member: "Nap", signature: "u", body: [ms] }),
  };
}

/** Settles with the time it took, or with the error. */
async function timed(p: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const t0 = performance.now();
  try {
    await p;
    return { ms: performance.now() - t0, error: null };
  } catch (e) {
    return { ms: performance.now() - t0, error: e };
  }
}

Deno.test("a short timeout wakes a loop parked on a call with a long one", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const { wait } = await service(server);
  const long = client.call({ ...wait, timeout: 60_000 }).catch((e) => e);
  await new Promise((r) => setTimeout(r, 50)); // the client's loop is now parked in poll()
  const short = await timed(client.call({ ...wait, timeout: 100 }));
  assert.ok(short.error instanceof TimeoutError, `got ${short.error}`);
  assert.match(short.error.message, /No reply to org\.upstart\.test\.Timeouts\.Wait within 100 ms/);
  assert.ok(short.ms < 10_000, "timed out long before the other call's deadline");
  await client.close();
  assert.equal((await long).name, "ConnectionClosedError");
});

Deno.test("a timeout on a connection that also serves objects (its loop never stops)", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  const { wait } = await service(server);
  await using other = await Connection.open(bus.address);
  other.export("/idle", [{ name: "org.upstart.test.Idle", methods: {} }]);
  await new Promise((r) => setTimeout(r, 50)); // parked in poll() with no deadline at all
  const r = await timed(other.call({ ...wait, timeout: 100 }));
  assert.ok(r.error instanceof TimeoutError, `got ${r.error}`);
  assert.ok(r.ms < 10_000);
});

Deno.test("calls in flight expire each at its own deadline, in deadline order", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const { wait, nap } = await service(server);
  const order: string[] = [];
  const track = (name: string, p: Promise<unknown>) =>
    p.then(() => order.push(`${name} ok`), (e) => order.push(`${name} ${e.constructor.name}`));
  await Promise.all([
    track("300", client.call({ ...wait, timeout: 300 })),
    track("50", client.call({ ...wait, timeout: 50 })),
    track("forever", client.call({ ...nap(400), timeout: Infinity })),
    track("150", client.call({ ...wait, timeout: 150 })),
    track("answered", client.call({ ...nap(10), timeout: 5_000 })),
  ]);
  assert.deepEqual(order, [
    "answered ok",
    "50 TimeoutError",
    "150 TimeoutError",
    "300 TimeoutError",
    "forever ok",
  ]);
});

Deno.test("an answered call with a deadline leaves no timer or wait behind", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const { nap } = await service(server);
  const r = await timed(client.call({ ...nap(20), timeout: 200 }));
  assert.equal(r.error, null);
  // Past the deadline nothing fires (the sanitizers also check that no op or timer is left).
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(await client.call({ ...nap(0), timeout: 1_000 }), []);
});
