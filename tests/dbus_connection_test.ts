import assert from "node:assert/strict";
import {
  Connection,
  ConnectionClosedError,
  DBusError,
  DisconnectedError,
  TimeoutError,
  Variant,
} from "../ffi/mod.ts";
import { startBus } from "./support/bus.ts";
import { startPythonPeer } from "./support/python_peer.ts";

const BUS = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
} as const;

/** Serves `Wait()`, which never replies, as `name` on `server`; returns the call that waits. */
async function silentService(server: Connection, name: string) {
  await server.requestName(name);
  server.export("/s", [{
    name: "org.upstart.test.Silent",
    methods: { Wait: { handler: () => new Promise(() => {}) } },
  }]);
  return { destination: name, path: "/s", interface: "org.upstart.test.Silent", member: "Wait" };
}

Deno.test("a bus connection registers and calls the bus daemon", async () => {
  await using bus = await startBus();
  await using conn = await Connection.open(bus.address);
  assert.match(conn.uniqueName!, /^:1\.\d+$/);
  assert.equal(conn.isBus, true);
  const [id] = await conn.call({ ...BUS, member: "GetId" });
  assert.match(id as string, /^[0-9a-f]{32}$/);
  const [names] = await conn.call({ ...BUS, member: "ListNames" });
  assert.ok((names as string[]).includes(conn.uniqueName!));
});

Deno.test("an error reply rejects with DBusError carrying name and message", async () => {
  await using bus = await startBus();
  await using conn = await Connection.open(bus.address);
  const err = await conn.call({
    ...BUS,
    member: "GetNameOwner",
    signature: "s",
    body: ["org.nope"],
  })
    .catch((e) => e);
  assert.ok(err instanceof DBusError);
  assert.equal(err.name, "org.freedesktop.DBus.Error.NameHasNoOwner");
  assert.match(err.message, /org\.nope/);
});

Deno.test("calls on another connection's exported object, with properties and introspection", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  assert.equal(await server.requestName("org.upstart.test.Calc"), "primary");
  let label = "calc";
  server.export("/org/upstart/test/Calc", [{
    name: "org.upstart.test.Calc",
    methods: {
      Add: { in: "ii", out: "i", handler: ([a, b]) => [(a as number) + (b as number)] },
      Later: {
        in: "s",
        out: "s",
        handler: async ([s]) => {
          await new Promise((r) => setTimeout(r, 5));
          return [(s as string).toUpperCase()];
        },
      },
      Fail: {
        handler: () => {
          throw new DBusError("org.upstart.test.Error.Nope", "not today");
        },
      },
    },
    properties: {
      label: {
        signature: "s",
        access: "readwrite",
        get: () => label,
        set: (v) => {
          label = v as string;
        },
      },
      answer: { signature: "u", get: () => 42 },
    },
    signals: { Changed: { signature: "s" } },
  }]);
  const target = {
    destination: "org.upstart.test.Calc",
    path: "/org/upstart/test/Calc",
    interface: "org.upstart.test.Calc",
  };
  assert.deepEqual(
    await client.call({ ...target, member: "Add", signature: "ii", body: [2, 40] }),
    [42],
  );
  assert.deepEqual(
    await client.call({ ...target, member: "Later", signature: "s", body: ["up"] }),
    ["UP"],
  );
  await assert.rejects(
    client.call({ ...target, member: "Fail" }),
    (e: unknown) =>
      e instanceof DBusError && e.name === "org.upstart.test.Error.Nope" &&
      e.message === "not today",
  );
  // Wrong signature and unknown methods get libdbus's own wording.
  await assert.rejects(
    client.call({ ...target, member: "Add", signature: "s", body: ["x"] }),
    (e: unknown) =>
      e instanceof DBusError && e.name === "org.freedesktop.DBus.Error.UnknownMethod" &&
      e.message ===
        'Method "Add" with signature "s" on interface "org.upstart.test.Calc" doesn\'t exist\n',
  );
  assert.equal(await client.getProperty({ ...target, name: "answer" }), 42);
  await client.setProperty({ ...target, name: "label", signature: "s", value: "renamed" });
  assert.equal(label, "renamed");
  assert.deepEqual(await client.getAllProperties(target), { label: "renamed", answer: 42 });
  const [xml] = await client.call({
    ...target,
    interface: "org.freedesktop.DBus.Introspectable",
    member: "Introspect",
  });
  assert.match(xml as string, /<method name="Add">/);
  assert.match(xml as string, /<property name="label" type="s" access="readwrite"\/>/);
  const [root] = await client.call({
    ...target,
    path: "/org/upstart/test",
    interface: "org.freedesktop.DBus.Introspectable",
    member: "Introspect",
  });
  assert.match(root as string, /<node name="Calc"\/>/);
  // As libdbus: a path with nothing there introspects as an empty node.
  const [empty] = await client.call({
    ...target,
    path: "/org/upstart/nothing/here",
    interface: "org.freedesktop.DBus.Introspectable",
    member: "Introspect",
  });
  assert.doesNotMatch(empty as string, /<interface|<node name=/);
  assert.match(empty as string, /<node>/);
  await client.call({ ...target, interface: "org.freedesktop.DBus.Peer", member: "Ping" });
});

Deno.test("signals: subscribe, async iteration, unsubscribe removes the match rule", async () => {
  await using bus = await startBus();
  await using sender = await Connection.open(bus.address);
  await using receiver = await Connection.open(bus.address);
  const got: unknown[][] = [];
  const sub = await receiver.subscribe(
    { interface: "org.upstart.test.Sig", member: "Tick", sender: sender.uniqueName! },
    (s) => got.push(s.body),
  );
  const stream = await receiver.signals({ path: "/org/upstart/test/Sig" });
  for (let i = 0; i < 3; i++) {
    sender.emitSignal({
      path: "/org/upstart/test/Sig",
      interface: "org.upstart.test.Sig",
      member: "Tick",
      signature: "uv",
      body: [i, new Variant("s", `tick ${i}`)],
    });
  }
  const seen = [];
  for await (const signal of stream) {
    seen.push(signal.body[0]);
    assert.equal(signal.sender, sender.uniqueName);
    assert.equal(signal.member, "Tick");
    if (seen.length === 3) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(got.map((b) => b[0]), [0, 1, 2]);
  assert.ok(got[2][1] instanceof Variant && got[2][1].value === "tick 2");
  await sub.unsubscribe();
  // The bus no longer routes those signals to us: the match rules are gone.
  const [rules] = await receiver.call({
    ...BUS,
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus.Debug.Stats",
    member: "GetConnectionStats",
    signature: "s",
    body: [receiver.uniqueName!],
  }).catch(() => [null]);
  if (rules instanceof Map) assert.equal((rules.get("MatchRules") as Variant).value, 0);
});

Deno.test("a signal from a well-known name is followed to its owner", async () => {
  await using bus = await startBus();
  await using owner = await Connection.open(bus.address);
  await using receiver = await Connection.open(bus.address);
  await owner.requestName("org.upstart.test.Named");
  const got: string[] = [];
  await using _sub = await receiver.subscribe(
    { sender: "org.upstart.test.Named", member: "Hello" },
    (s) => got.push(s.body[0] as string),
  );
  await using other = await Connection.open(bus.address);
  other.emitSignal({
    path: "/x",
    interface: "org.upstart.test.N",
    member: "Hello",
    signature: "s",
    body: ["impostor"],
  });
  owner.emitSignal({
    path: "/x",
    interface: "org.upstart.test.N",
    member: "Hello",
    signature: "s",
    body: ["owner"],
  });
  const deadline = Date.now() + 2000;
  while (got.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(got, ["owner"]);
});

Deno.test("a call that gets no reply times out with TimeoutError", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const wait = await silentService(server, "org.upstart.test.Silent");
  const t0 = performance.now();
  await assert.rejects(
    client.call({ ...wait, timeout: 100 }),
    TimeoutError,
  );
  assert.ok(performance.now() - t0 < 2000);
});

Deno.test("a call's signal: aborted before, nothing is sent; while waiting, it rejects with the reason", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const wait = await silentService(server, "org.upstart.test.Silent3");
  const calls: string[] = [];
  server.export("/count", [{
    name: "org.upstart.test.Count",
    methods: { Hit: { handler: () => void calls.push("Hit") } },
  }]);
  const hit = {
    destination: "org.upstart.test.Silent3",
    path: "/count",
    interface: "org.upstart.test.Count",
    member: "Hit",
  };
  const before = new Error("aborted before");
  await assert.rejects(
    client.call({ ...hit, signal: AbortSignal.abort(before) }),
    (e) => e === before,
  );
  await client.call(hit);
  assert.deepEqual(calls, ["Hit"], "only the call without an aborted signal arrived");
  const controller = new AbortController();
  const during = new Error("aborted while waiting");
  const pending = client.call({ ...wait, timeout: Infinity, signal: controller.signal });
  setTimeout(() => controller.abort(during), 20);
  await assert.rejects(pending, (e) => e === during);
  // Aborting after the reply changes nothing.
  const late = new AbortController();
  await client.call({ ...hit, signal: late.signal });
  late.abort();
  assert.deepEqual(calls, ["Hit", "Hit"]);
});

Deno.test("close() rejects pending calls and later calls with ConnectionClosedError", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  const client = await Connection.open(bus.address);
  const wait = await silentService(server, "org.upstart.test.Silent2");
  const pending = assert.rejects(client.call(wait), ConnectionClosedError);
  await new Promise((r) => setTimeout(r, 20));
  await client.close(); // resolves once libdbus is released, after the call has been rejected
  await pending;
  await assert.rejects(client.call({ ...BUS, member: "GetId" }), ConnectionClosedError);
  assert.equal(await client.closed, null);
  await client.close(); // idempotent
});

Deno.test("the bus daemon killed mid-call: pending calls reject promptly with DisconnectedError", async () => {
  const bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  const wait = await silentService(server, "org.upstart.test.Doomed");
  const pending = client.call(wait);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  bus.kill();
  await assert.rejects(pending, DisconnectedError);
  assert.ok(performance.now() - t0 < 2000, "rejected promptly");
  assert.ok((await client.closed) instanceof DisconnectedError);
  await bus.close();
});

Deno.test("opening a refused address fails with a DBusError naming the socket", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      Connection.open(`unix:path=${dir}/nothing-here`),
      (e: unknown) => e instanceof DBusError && /nothing-here/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("many calls in flight on one connection are pipelined and all answered", async () => {
  await using bus = await startBus();
  await using conn = await Connection.open(bus.address);
  const replies = await Promise.all(
    Array.from(
      { length: 1000 },
      (_, i) =>
        conn.call({
          ...BUS,
          member: "NameHasOwner",
          signature: "s",
          body: [i % 2 ? conn.uniqueName! : "org.nope"],
        }),
    ),
  );
  replies.forEach((r, i) => assert.deepEqual(r, [i % 2 === 1]));
});

Deno.test("timers keep running while calls wait (the event loop is not held)", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  await server.requestName("org.upstart.test.Slow");
  server.export("/s", [{
    name: "org.upstart.test.Slow",
    methods: { Nap: { handler: () => new Promise<void>((r) => setTimeout(r, 200)) } },
  }]);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await client.call({
    destination: "org.upstart.test.Slow",
    path: "/s",
    interface: "org.upstart.test.Slow",
    member: "Nap",
  });
  clearInterval(timer);
  assert.ok(ticks >= 10, `only ${ticks} ticks in 200 ms`);
});

Deno.test("peer-to-peer: a connection without a bus (python3-dbus server)", async () => {
  await using server = await startPythonPeer("peer_server.py");
  await using peer = await Connection.open(server.address, { bus: false });
  assert.equal(peer.uniqueName, null);
  assert.equal(peer.isBus, false);
  const [reply] = await peer.call({
    path: "/org/upstart/test/Peer",
    interface: "org.upstart.test.Peer",
    member: "Echo",
    signature: "s",
    body: ["hi"],
  });
  assert.equal(reply, "hi");
  const signal = await peer.signals({ member: "Pong" });
  await peer.call({
    path: "/org/upstart/test/Peer",
    interface: "org.upstart.test.Peer",
    member: "Ping",
  });
  const { value: pong } = await signal.next();
  assert.deepEqual(pong!.body, ["pong"]);
  await signal.return!();
});
