/**
 * The reactor at fleet scale and under hostility: hundreds of connections waiting at once cost
 * no pool thread each (file I/O and new opens still settle), many concurrent opens, a flood
 * against a stream nobody reads, handlers that throw, and descriptors a peer pushes on us.
 */
import assert from "node:assert/strict";
import { Connection, DBusError, SignalOverflowError, Variant } from "../ffi/mod.ts";
import { GET_ID, startBus } from "./support/bus.ts";
import { startScript } from "./support/script.ts";
import { startPythonPeer } from "./support/python_peer.ts";
import { until } from "./support/poll.ts";

/**
 * A descriptor of the test's own to send: a fresh temp file opened through libc, and a count of
 * this process's descriptors open on that file (other tests' descriptors come and go meanwhile,
 * so only this file's are counted).
 */
async function ownFile() {
  const path = await Deno.makeTempFile({ prefix: "upstart-fd-" });
  const libc = Deno.dlopen("libc.so.6", {
    open: { parameters: ["buffer", "i32"], result: "i32" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const fd = libc.symbols.open(new TextEncoder().encode(path + "\0"), 0x80000 /* O_CLOEXEC */);
  return {
    fd,
    close: (n: number) => libc.symbols.close(n),
    /** How many descriptors of this process are open on the file. */
    count(): number {
      return [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
        try {
          return Deno.readLinkSync(`/proc/self/fd/${e.name}`) === path;
        } catch {
          return false; // closed meanwhile
        }
      }).length;
    },
    async [Symbol.asyncDispose]() {
      libc.symbols.close(fd);
      libc.close();
      await Deno.remove(path);
    },
  };
}

Deno.test("500 subscribed connections: file reads, calls and new opens still settle; one signal reaches all", async () => {
  await using bus = await startBus();
  const conns = await Promise.all(Array.from({ length: 500 }, () => Connection.open(bus.address)));
  try {
    const got = new Set<number>();
    await Promise.all(
      conns.map((c, i) => c.subscribe({ member: "Fleet" }, () => void got.add(i))),
    );
    // The old design parked one pool thread per waiting connection: 32 of them starved the pool,
    // so these three never settled. Each must settle now (a liveness bound, not a timing).
    const settled = await Promise.race([
      Promise.all([
        Deno.readTextFile(new URL(import.meta.url)),
        conns[0].call(GET_ID),
        Connection.open(bus.address).then((c) => c.close()),
      ]).then(() => true),
      new Promise<false>((r) => setTimeout(() => r(false), 20_000)),
    ]);
    assert.ok(settled, "file read, call and open settle while 500 connections wait");
    await using emitter = await Connection.open(bus.address);
    emitter.emitSignal({ path: "/fleet", interface: "org.upstart.test.Fleet", member: "Fleet" });
    await until(() => got.size === 500, `the signal on every connection (${got.size}/500)`);
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
  assert.ok(conns.every((c) => !c.isOpen));
});

Deno.test("300 concurrent opens all succeed", async () => {
  await using bus = await startBus();
  const results = await Promise.allSettled(
    Array.from({ length: 300 }, () => Connection.open(bus.address)),
  );
  const failed = results.filter((r) => r.status === "rejected");
  for (const r of results) if (r.status === "fulfilled") await r.value.close();
  assert.deepEqual(failed, []);
  assert.equal(results.length, 300);
});

Deno.test("a throwing signal handler is reported to onError; delivery and the connection go on", async () => {
  await using bus = await startBus();
  const errors: unknown[] = [];
  await using receiver = await Connection.open(bus.address, { onError: (e) => errors.push(e) });
  const got: string[] = [];
  await receiver.subscribe({ member: "Tick" }, (s) => {
    got.push(s.body[0] as string);
    if (s.body[0] === "first") throw new Error("handler failure");
  });
  await using emitter = await Connection.open(bus.address);
  for (const text of ["first", "second"]) {
    emitter.emitSignal({
      path: "/t",
      interface: "org.upstart.test.T",
      member: "Tick",
      signature: "s",
      body: [text],
    });
  }
  await until(() => got.length === 2, "both signals");
  assert.deepEqual(got, ["first", "second"]);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, "handler failure");
  assert.ok(receiver.isOpen);
  assert.match((await receiver.call(GET_ID))[0] as string, /^[0-9a-f]{32}$/);
});

Deno.test("by default a throwing handler is printed and the process goes on to exit 0", async () => {
  await using bus = await startBus();
  await using script = await startScript(
    `const c = await Connection.open(Deno.args[0]);
const seen = Promise.withResolvers();
await c.subscribe({ member: "Boom" }, () => { seen.resolve(); throw new Error("boom in handler"); });
c.emitSignal({ path: "/b", interface: "org.upstart.test.B", member: "Boom" });
await seen.promise;
await c.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus", member: "GetId" });
await c.close();
console.log("still here");`,
    [bus.address],
  );
  const out = await script.child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(new TextDecoder().decode(out.stdout), "still here\n");
  assert.match(stderr, /signal handler threw[\s\S]*boom in handler/);
});

Deno.test("an unread stream under a flood of 300,000 signals stays bounded and ends with SignalOverflowError", async () => {
  await using bus = await startBus();
  // The consumer is its own process, so its memory is its own: it subscribes, reports READY,
  // reads nothing until told the flood is over, then drains the stream.
  await using script = await startScript(
    `const c = await Connection.open(Deno.args[0]);
const rss = () => Deno.memoryUsage().rss / 1048576;
const stream = await c.signals({ member: "Flood" });
const before = rss();
console.log("READY");
const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
await lines.read();
const after = rss();
let count = 0;
let error = null;
try {
  for await (const _ of stream) count++;
} catch (e) {
  error = { name: e.name, limit: e.limit, message: e.message };
}
console.log(JSON.stringify({ count, error, growthMB: after - before }));
await c.close();`,
    [bus.address],
    "piped",
  );
  const { child } = script;
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await out.read()).value?.trim(), "READY");
  await using emitter = await Connection.open(bus.address);
  const FLOOD = 300_000;
  const BATCH = 1000;
  for (let sent = 0; sent < FLOOD; sent += BATCH) {
    for (let i = 0; i < BATCH; i++) {
      emitter.emitSignal({
        path: "/flood",
        interface: "org.upstart.test.Flood",
        member: "Flood",
        signature: "su",
        body: ["a signal of the flood", sent + i],
      });
    }
    await emitter.call(GET_ID); // the bus has taken this batch: keep the emitter's queue short
  }
  // A last round trip through the consumer's bus name would need its name; a short settle lets
  // the bus finish routing (the assertion is on counts, which cannot be early: the queue is full).
  await new Promise((r) => setTimeout(r, 200));
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("DONE\n"));
  await writer.close();
  let text = "";
  for (;;) {
    const { value, done } = await out.read();
    if (done) break;
    text += value;
  }
  const status = await child.status;
  const stderr = new TextDecoder().decode(
    await new Response(child.stderr).arrayBuffer(),
  );
  assert.equal(status.code, 0, stderr);
  const report = JSON.parse(text.trim());
  console.log(`flood: RSS grew ${report.growthMB.toFixed(1)} MB`);
  assert.equal(report.count, 10_000, "the kept signals are read first");
  assert.equal(report.error?.name, "SignalOverflowError");
  assert.equal(report.error?.limit, 10_000);
  assert.ok(report.growthMB < 64, `RSS grew ${report.growthMB.toFixed(1)} MB (bound: 64 MB)`);
});

Deno.test("a stream's maxQueued is validated, and overflow is a SignalOverflowError in-process", async () => {
  await using bus = await startBus();
  await using c = await Connection.open(bus.address);
  await assert.rejects(c.signals({ member: "X" }, { maxQueued: 0 }), RangeError);
  const stream = await c.signals({ member: "Few" }, { maxQueued: 3 });
  await using emitter = await Connection.open(bus.address);
  for (let i = 0; i < 5; i++) {
    emitter.emitSignal({ path: "/f", interface: "org.upstart.test.F", member: "Few" });
  }
  await emitter.call(GET_ID);
  await c.call(GET_ID); // the bus delivers in order: every Few signal has reached us
  const seen: unknown[] = [];
  await assert.rejects(
    (async () => {
      for await (const s of stream) seen.push(s.member);
    })(),
    (e) => e instanceof SignalOverflowError && e.limit === 3,
  );
  assert.deepEqual(seen, ["Few", "Few", "Few"]);
});

Deno.test("descriptors in a reply of the wrong shape are closed, and the call is refused", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  assert.ok(client.canPassFds());
  await using file = await ownFile();
  const fd = file.fd;
  {
    server.export("/fds", [{
      name: "org.upstart.test.Fds",
      methods: { Give: { out: "hh", handler: () => [fd, fd] } },
    }]);
    const call = {
      destination: server.uniqueName!,
      path: "/fds",
      interface: "org.upstart.test.Fds",
      member: "Give",
    };
    const [a, b] = await client.call({ ...call, replySignature: "hh" });
    // Accepted: the two duplicates are the caller's, to close.
    assert.equal(file.count(), 3);
    file.close(a as number);
    file.close(b as number);
    assert.equal(file.count(), 1);
    for (let i = 0; i < 50; i++) {
      await assert.rejects(
        client.call({ ...call, replySignature: "s" }),
        (e) => e instanceof DBusError && /signature "hh", expected "s"/.test(e.message),
      );
    }
    assert.equal(file.count(), 1, "no descriptor left behind by 100 refused ones");
  }
});

Deno.test("descriptors sent in a refused Properties.Set are closed by the serving side", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  let level = "info";
  server.export("/p", [{
    name: "org.upstart.test.P",
    properties: {
      level: {
        signature: "s",
        access: "readwrite",
        get: () => level,
        set: (v) => void (level = v as string),
      },
    },
  }]);
  await using file = await ownFile();
  const fd = file.fd;
  {
    for (let i = 0; i < 50; i++) {
      await assert.rejects(
        client.setProperty({
          destination: server.uniqueName!,
          path: "/p",
          interface: "org.upstart.test.P",
          name: "level",
          signature: "h", // the wrong type: refused, and the duplicate received must not stay open
          value: fd,
        }),
        DBusError,
      );
    }
    assert.equal(file.count(), 1, "no descriptor left open by 50 refused Sets");
    assert.equal(level, "info");
  }
});

Deno.test("a peer that vanishes while a large message is half-written and signals are queued ends the connection cleanly", async () => {
  // libdbus closes the socket before its Disconnected is read; the reactor must not trip over
  // the closed descriptor (it once threw out of its loop and ended the process).
  await using peer = await startPythonPeer("burst_peer.py", ["400", "0.03"]);
  const c = await Connection.open(peer.address, { bus: false });
  let ticks = 0;
  await c.subscribe({ member: "Tick" }, () => {
    if (ticks++ === 0) {
      c.emitSignal({
        path: "/x",
        interface: "org.upstart.test.X",
        member: "Big",
        signature: "ay",
        body: [new Uint8Array(8 << 20)],
      });
    }
    const end = performance.now() + 0.2;
    while (performance.now() < end) { /* a handler doing some work */ }
  });
  const reason = await c.closed;
  assert.equal(reason?.name, "DisconnectedError");
  assert.equal(ticks, 400);
  // The reactor still serves others.
  await using bus = await startBus();
  await using other = await Connection.open(bus.address);
  assert.match((await other.call(GET_ID))[0] as string, /^[0-9a-f]{32}$/);
});

Deno.test("a descriptor inside a variant is handed out as a descriptor, and a refused one is closed", async () => {
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await using client = await Connection.open(bus.address);
  await using file = await ownFile();
  const fd = file.fd;
  {
    server.export("/v", [{
      name: "org.upstart.test.V",
      methods: { Give: { out: "v", handler: () => [new Variant("h", fd)] } },
    }]);
    const call = {
      destination: server.uniqueName!,
      path: "/v",
      interface: "org.upstart.test.V",
      member: "Give",
    };
    const [v] = await client.call(call) as [Variant];
    assert.equal(v.signature, "h");
    const got = v.value as number;
    assert.ok(got > 2 && got !== fd, `a fresh duplicate, not an index: ${got}`);
    assert.equal(file.count(), 2);
    file.close(got);
    await assert.rejects(client.call({ ...call, replySignature: "s" }), DBusError);
    assert.equal(file.count(), 1);
    assert.ok(Deno.statSync("/proc/self/fd/0"), "stdin is still open");
  }
});
