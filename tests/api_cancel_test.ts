/**
 * Cancellation and lifetime: `signal` on waited start/stop/restart, `emit`, `waitFor` and
 * `watch` (aborted before the call, and while it waits: the promise rejects with
 * `signal.reason`, as denoland/std does, and Upstart goes on); a `watch()` stream never used
 * does not keep a process alive; a `Connection` dropped unclosed is closed when collected.
 */
import assert from "node:assert/strict";
import { sandboxSystem } from "./support/api_sandbox.ts";
import { startSandbox } from "./support/sandbox.ts";
import { startScript } from "./support/script.ts";
import { until } from "./support/poll.ts";
import { ConnectionClosedError } from "../ffi/mod.ts";

const MOD = new URL("../mod.ts", import.meta.url).href;

const JOBS = {
  svc: "exec sleep 1000\n",
  // Starting takes long: a waited start is still waiting when the test aborts it.
  slow: "pre-start exec sleep 30\nexec sleep 1000\n",
  // Started by `go`: a waited emit waits for its long pre-start.
  "on-go": "start on go\npre-start exec sleep 30\nexec sleep 1000\n",
};

/** A reason only these tests use, so that rejecting with it proves where it came from. */
function reason(what: string): Error {
  return new Error(`test abort: ${what}`);
}

/** An `assert.rejects` check that the error is exactly `expected`. */
const is = (expected: unknown) => (e: unknown) => {
  assert.equal(e, expected);
  return true;
};

Deno.test("an aborted signal: start, stop, restart, emit and waitFor reject with its reason and send nothing", async () => {
  await using sb = await sandboxSystem(JOBS);
  const s = sb.system;
  const svc = await s.job("svc");
  const why = reason("before");
  const signal = AbortSignal.abort(why);
  await assert.rejects(() => svc.start({ signal }), is(why));
  assert.deepEqual(await svc.status(), [], "not started");
  const inst = await svc.start();
  await assert.rejects(() => svc.stop({ signal }), is(why));
  await assert.rejects(() => svc.restart({ signal }), is(why));
  await assert.rejects(() => inst.stop({ signal }), is(why));
  await assert.rejects(() => inst.restart({ signal }), is(why));
  await assert.rejects(() => inst.waitFor("waiting", { signal }), is(why));
  assert.equal((await inst.status()).state, "running", "still running");
  await assert.rejects(() => s.emit("go", {}, { signal }), is(why));
  assert.deepEqual(await (await s.job("on-go")).status(), [], "the event was not emitted");
  // `wait: false` calls do not wait, but an aborted signal still stops them before sending.
  await assert.rejects(() => svc.stop({ wait: false, signal }), is(why));
  assert.equal((await inst.status()).state, "running");
  await svc.stop();
});

Deno.test("aborting a waited start or emit rejects at once with the reason; Upstart goes on", async () => {
  await using sb = await sandboxSystem(JOBS);
  const s = sb.system;
  const slow = await s.job("slow");
  const controller = new AbortController();
  const why = reason("start");
  const started = slow.start({ signal: controller.signal });
  // Upstart has the start once the instance appears; then the call is waiting for pre-start.
  await until(async () => (await slow.status()).length === 1, "the slow instance");
  controller.abort(why);
  await assert.rejects(started, is(why));
  const [status] = await slow.status();
  assert.equal(status.goal, "start", "Upstart goes on starting it");

  const go = new AbortController();
  const emitted = s.emit("go", {}, { signal: go.signal });
  const onGo = await s.job("on-go");
  await until(async () => (await onGo.status()).length === 1, "the job the event starts");
  go.abort(reason("emit"));
  await assert.rejects(emitted, (e: unknown) => e === go.signal.reason);
  await slow.stop({ wait: false });
  await onGo.stop({ wait: false });
});

Deno.test("aborting waitFor rejects with the reason, and a later waitFor still works", async () => {
  await using sb = await sandboxSystem(JOBS);
  const svc = await sb.system.job("svc");
  const inst = await svc.start();
  const controller = new AbortController();
  const why = reason("waitFor");
  let checked = 0;
  const waiting = inst.waitFor(() => (checked++, false), { signal: controller.signal });
  await until(() => checked > 0, "the first status check");
  controller.abort(why);
  await assert.rejects(waiting, is(why));
  // Aborted while it subscribes: it rejects with the reason, and the trigger never runs.
  const early = new AbortController();
  let triggered = false;
  const subscribing = inst.waitFor("waiting", {
    signal: early.signal,
    trigger: () => (triggered = true),
  });
  early.abort(why);
  await assert.rejects(subscribing, is(why));
  assert.equal(triggered, false);
  // Its subscriptions are gone, the next wait sees what happens.
  const stopped = inst.waitFor("waiting", { trigger: () => inst.stop({ wait: false }) });
  assert.equal((await stopped).state, "waiting");
});

Deno.test("watch: the signal ends the stream with its reason, before first use and while waiting", async () => {
  await using sb = await sandboxSystem(JOBS);
  const s = sb.system;
  const early = reason("watch before");
  const before = s.watch({ signal: AbortSignal.abort(early) });
  await assert.rejects(() => before.ready, is(early));
  await assert.rejects(() => before.next(), is(early));

  const controller = new AbortController();
  const why = reason("watch");
  const stream = s.watch({ types: ["StateChanged"], job: "svc", signal: controller.signal });
  await stream.ready;
  const seen: string[] = [];
  // Its end is taken at once: the stream may end (the job running) before start() returns.
  const ended = (async () => {
    for await (const ev of stream) {
      if (ev.type !== "StateChanged") continue;
      seen.push(ev.state);
      if (ev.state === "running") controller.abort(why);
    }
  })().then(() => null, (e: unknown) => e);
  await (await s.job("svc")).start();
  assert.equal(await ended, why);
  assert.equal(seen.at(-1), "running");
  // Ended for good: std's abortable() convention.
  await assert.rejects(() => stream.next(), is(why));
  assert.throws(() => s.watch({ signal: "stop" as unknown as AbortSignal }), TypeError);
  const svc = await s.job("svc");
  await svc.stop();
  const notASignal = { aborted: true } as unknown as AbortSignal;
  await assert.rejects(() => svc.start({ signal: notASignal }), /expected an AbortSignal/);
  await assert.rejects(() => s.emit("x", {}, { signal: notASignal }), /expected an AbortSignal/);
  assert.deepEqual(await svc.status(), [], "nothing was started");
});

/** Runs `code` (with `System` imported) against `address`; its exit status, or null if it had to be killed. */
async function runsToEnd(code: string, address: string, ms: number): Promise<number | null> {
  await using script = await startScript(
    `import { System } from "${MOD}";\nconst address = Deno.args[0];\n${code}`,
    [address],
  );
  const { child } = script;
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  try {
    const [status] = await Promise.all([
      child.status,
      child.stdout.cancel(),
      child.stderr.cancel(),
    ]);
    return status.signal === "SIGKILL" ? null : status.code;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("a watch() stream never used, or an aborted call, does not keep the process alive (a stream in use does)", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const connect = "const system = await System.connect({ address, peer: false });\n";
  // Made, never iterated, never disposed, the connection never closed: the process ends.
  assert.equal(await runsToEnd(`${connect}system.watch();\n`, sb.address, 20_000), 0);
  assert.equal(
    await runsToEnd(
      `${connect}system.watch({ types: ["JobAdded"], job: "x" });\n`,
      sb.address,
      20_000,
    ),
    0,
  );
  // An aborted waited start leaves nothing pending: the process ends though Upstart goes on.
  const aborted = `${connect}const c = new AbortController();
const p = (await system.job("slow")).start({ signal: c.signal });
setTimeout(() => c.abort(), 100);
await p.catch(() => {});
`;
  assert.equal(await runsToEnd(aborted, sb.address, 20_000), 0);
  // The control: once subscribed (ready read), the stream holds the process until disposed.
  assert.equal(
    await runsToEnd(`${connect}await system.watch().ready;\n`, sb.address, 3_000),
    null,
  );
  assert.equal(
    await runsToEnd(
      `${connect}const w = system.watch();\nawait w.ready;\nawait w.return();\n`,
      sb.address,
      20_000,
    ),
    0,
  );
});

Deno.test("a Connection dropped without close() is closed once collected; a closed one is left alone", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const code = `
// Open sockets: each connection has one.
const fds = () =>
  [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
    try {
      return Deno.readLinkSync(\`/proc/self/fd/\${e.name}\`).startsWith("socket:");
    } catch {
      return false; // the directory's own descriptor, closed by now
    }
  }).length;
const settle = () => new Promise((r) => setTimeout(r, 10));
// The reactor's own descriptors and the timers exist before counting.
await (await Connection.open(address)).close();
await settle();
const before = fds();
const closed = await Connection.open(address);
await closed.close();
for (let i = 0; i < 5; i++) await Connection.open(address); // dropped, never closed
const opened = fds();
for (let i = 0; i < 200 && fds() > before; i++) {
  globalThis.gc();
  await settle();
}
console.log(JSON.stringify({ before, opened, after: fds() }));
`;
  await using script = await startScript(
    `const address = Deno.args[0];\n${code}`,
    [sb.address],
    "null",
    [
      "--v8-flags=--expose-gc",
    ],
  );
  const out = await script.child.output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const { before, opened, after } = JSON.parse(text);
  assert.ok(opened >= before + 5, `five sockets opened: ${text}`);
  assert.equal(after, before, `every dropped connection was closed: ${text}`);
});

Deno.test("a wait whose connection closes ends with ConnectionClosedError instead of hanging", async () => {
  await using sb = await sandboxSystem(JOBS);
  const inst = await (await sb.system.job("slow")).start({ wait: false });
  const waiting = inst.waitFor("running").then(() => null, (e: unknown) => e);
  await new Promise((r) => setTimeout(r, 100));
  await sb.system.close();
  const e = await waiting;
  assert.ok(e instanceof ConnectionClosedError, String(e));
});
