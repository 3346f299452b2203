/**
 * The reactor's edges: it stops when its last reason to read goes away (so an idle connection
 * never keeps the process alive), it finishes writing a large message sent while it waits, and
 * a reply that comes after the connection closed is dropped, not sent on freed memory.
 */
import assert from "node:assert/strict";
import { Connection, DBusError } from "../ffi/mod.ts";
import { startBus } from "./support/bus.ts";
import { startScript } from "./support/script.ts";
import { startPythonPeer } from "./support/python_peer.ts";

/** Runs `code` (a module body, with `Connection` imported) in a fresh process; it must exit by itself. */
async function runsToEnd(code: string, args: string[]): Promise<string> {
  await using script = await startScript(code, args);
  const { child } = script;
  // Liveness guard only: a process kept alive by a parked loop never ends on its own.
  const guard = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const out = await child.output();
  clearTimeout(guard);
  assert.equal(
    out.code,
    0,
    `exit ${out.code} (${out.signal}): ${new TextDecoder().decode(out.stderr)}`,
  );
  return new TextDecoder().decode(out.stdout);
}

Deno.test("after unexport, an idle bus connection lets the process exit", async () => {
  await using bus = await startBus();
  const out = await runsToEnd(
    `const c = await Connection.open(Deno.args[0]);
const h = c.export("/x", [{ name: "org.upstart.test.X", methods: { A: { handler: () => [] } } }]);
await new Promise((r) => setTimeout(r, 50));
h.unexport();
console.log("unexported");`,
    [bus.address],
  );
  assert.equal(out, "unexported\n");
});

Deno.test("after the last unsubscribe, an idle peer-to-peer connection lets the process exit", async () => {
  await using server = await startPythonPeer("peer_server.py");
  const out = await runsToEnd(
    `const c = await Connection.open(Deno.args[0], { bus: false });
const sub = await c.subscribe({ member: "Pong" }, () => {});
await new Promise((r) => setTimeout(r, 50));
await sub.unsubscribe();
console.log("unsubscribed");`,
    [server.address],
  );
  assert.equal(out, "unsubscribed\n");
});

Deno.test("a large call made while the loop waits on another call is written out and answered", async () => {
  await using bus = await startBus();
  await using silent = await Connection.open(bus.address);
  await silent.requestName("org.upstart.test.Quiet");
  silent.export("/q", [{
    name: "org.upstart.test.Quiet",
    methods: { Wait: { handler: () => new Promise(() => {}) } },
  }]);
  await using client = await Connection.open(bus.address);
  // The loop parks in poll() for this call's reply, with no deadline.
  const waiting = client.call({
    destination: "org.upstart.test.Quiet",
    path: "/q",
    interface: "org.upstart.test.Quiet",
    member: "Wait",
    timeout: Infinity,
  }).catch(() => {});
  await new Promise((r) => setTimeout(r, 50));
  const big = "x".repeat(1_000_000);
  // A call answered at once leaves its deadline as the loop's next wake-up; the big call's deadline
  // is later, so nothing but the pending write itself can bring the parked loop back in time.
  await client.call({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus.Peer",
    member: "Ping",
    timeout: 20_000,
  });
  const [echoed] = await client.call({
    destination: silent.uniqueName!,
    path: "/q",
    interface: "org.freedesktop.DBus.Introspectable",
    member: "Introspect",
    signature: "s",
    body: [big],
    timeout: 20_000,
  }).catch((e) => [e]);
  // Any answer will do (Introspect takes no argument): what matters is that one came.
  assert.ok(echoed instanceof DBusError || typeof echoed === "string", String(echoed));
  await client.close();
  await waiting;
});

Deno.test("a reply that comes after its connection closed is dropped, and the caller hears", async () => {
  await using bus = await startBus();
  const server = await Connection.open(bus.address);
  await server.requestName("org.upstart.test.Late");
  const gate = Promise.withResolvers<void>();
  server.export("/l", [{
    name: "org.upstart.test.Late",
    methods: { Late: { out: "s", handler: async () => (await gate.promise, ["late"]) } },
  }]);
  await using client = await Connection.open(bus.address);
  const call = client.call({
    destination: "org.upstart.test.Late",
    path: "/l",
    interface: "org.upstart.test.Late",
    member: "Late",
    timeout: 20_000,
  });
  const rejected = assert.rejects(call, DBusError);
  await new Promise((r) => setTimeout(r, 50));
  await server.close();
  // Other connections reuse the freed memory; the late reply must not be sent on it.
  const others = await Promise.all(Array.from({ length: 5 }, () => Connection.open(bus.address)));
  gate.resolve();
  await new Promise((r) => setTimeout(r, 50));
  await rejected; // the bus tells the caller its peer went away
  await Promise.all(others.map((o) => o.close()));
});

Deno.test("a timeout that is not a number of milliseconds is a RangeError", async () => {
  await using bus = await startBus();
  await using client = await Connection.open(bus.address);
  const call = {
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    member: "GetId",
  };
  await assert.rejects(client.call({ ...call, timeout: NaN }), RangeError);
  await assert.rejects(client.call({ ...call, timeout: -1 }), RangeError);
  assert.match(
    String((await client.call({ ...call, interface: "org.freedesktop.DBus" }))[0]),
    /^[0-9a-f]{32}$/,
  );
});

Deno.test("an open connection whose calls are answered (or timed out) lets the process exit", async () => {
  await using bus = await startBus();
  const out = await runsToEnd(
    `const c = await Connection.open(Deno.args[0]);
await c.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetId" });
const me = c.uniqueName;
await c.requestName("org.upstart.test.Exit");
const silent = await Connection.open(Deno.args[0]);
silent.export("/s", [{ name: "org.upstart.test.S", methods: { W: { handler: () => new Promise(() => {}) } } }]);
await silent.requestName("org.upstart.test.Silent");
await c.call({ destination: "org.upstart.test.Silent", path: "/s", interface: "org.upstart.test.S", member: "W", timeout: 50 }).catch((e) => console.log(e.name));
silent.close();
console.log(me !== null ? "answered" : "?");`,
    [bus.address],
  );
  assert.equal(out, "TimeoutError\nanswered\n");
});
