/**
 * The typed API over a peer-to-peer connection, as root uses Upstart's private socket and a
 * user session its `$UPSTART_SESSION`: a python3-dbus proxy serves the sandbox peer-to-peer.
 * Also initctl's default choice of where to connect, run for real in a subprocess.
 */
import assert from "node:assert/strict";
import { peerProxy, sandboxSystem } from "./support/api_sandbox.ts";
import { startSandbox } from "./support/sandbox.ts";
import { AlreadyStartedError, UnknownJobError } from "../src/errors.ts";
import type { UpstartEvent } from "../src/events.ts";

const JOBS = {
  "svc": "exec sleep 1000\n",
  "slow": "pre-start exec sleep 0.2\nexec sleep 1000\n",
  "inst": "instance $N\nexec sleep 1000\n",
};

Deno.test("peer-to-peer: version, jobs, start/stop with typed errors, statusAll", async () => {
  await using sb = await sandboxSystem(JOBS, { peer: true });
  const s = sb.system;
  assert.equal(s.target.peer, true);
  assert.equal(s.connection.isBus, false);
  assert.equal(s.isPeer, true);
  assert.equal(s.dest, undefined);
  assert.match(await s.version(), /^init \(upstart 1\.13\.2\)/);
  assert.deepEqual(await s.jobNames(), ["inst", "slow", "svc"]);
  const svc = await s.job("svc");
  const inst = await svc.start();
  assert.equal(inst.state, "running");
  await assert.rejects(() => svc.start(), AlreadyStartedError);
  await assert.rejects(() => s.job("nope"), UnknownJobError);
  const job = await s.job("inst");
  await job.start({ env: { N: "1" } });
  const all = await s.statusAll();
  assert.deepEqual(all.find((j) => j.name === "inst")?.instances.map((i) => i.name), ["1"]);
  assert.equal(all.find((j) => j.name === "svc")?.instances[0].state, "running");
  await svc.stop();
  await job.stop({ env: { N: "1" } });
  assert.deepEqual((await s.statusAll()).flatMap((j) => j.instances), []);
  await sb.proxy!.until((calls) => calls.includes("com.ubuntu.Upstart0_6.Job.Start"));
});

Deno.test("peer-to-peer: waitFor and watch see the signals (no sender on a peer)", async () => {
  await using sb = await sandboxSystem(JOBS, { peer: true });
  const job = await sb.system.job("slow");
  const stream = sb.system.watch({ job: "slow" });
  await stream.ready;
  const inst = await job.start({ wait: false });
  const seen: UpstartEvent[] = [];
  for await (const ev of stream) {
    seen.push(ev);
    if (ev.type === "StateChanged" && ev.state === "running") break;
  }
  assert.equal(seen[0].type, "InstanceAdded");
  assert.ok(seen.some((e) => e.type === "StateChanged" && e.state === "pre-start"));
  assert.equal((await stream.next()).done, true);
  const status = await inst.waitFor("running", {
    timeout: 10_000,
    trigger: () => inst.restart({ wait: false }),
  });
  assert.equal(status.state, "running");
  await job.stop();
});

/** Runs `System.connect()` with the given environment in a fresh, least-privileged process. */
async function connectIn(env: Record<string, string>): Promise<Record<string, unknown>> {
  const script = `
import { System, UpstartNotRunningError } from "${new URL("../mod.ts", import.meta.url).href}";
try {
  await using system = await System.connect();
  console.log(JSON.stringify({ label: system.target.label, jobs: await system.jobNames() }));
} catch (e) {
  if (!(e instanceof UpstartNotRunningError)) throw e;
  console.log(JSON.stringify({ error: e.message, tried: e.tried.map((t) => t.target) }));
}
`;
  const clean = { ...Deno.env.toObject() };
  delete clean.UPSTART_SESSION;
  delete clean.DBUS_SYSTEM_BUS_ADDRESS;
  const file = await Deno.makeTempFile({ prefix: "upstart-connect-", suffix: ".ts" });
  await Deno.writeTextFile(file, script);
  // The permissions the README asks for: libdbus, the environment, and the uid (root or not).
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-ffi", "--allow-env", file],
    env: { ...clean, ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output().finally(() => Deno.remove(file));
  const text = new TextDecoder().decode(out.stdout);
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

Deno.test("default connect: $UPSTART_SESSION (a user session, peer-to-peer) comes first", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  await using proxy = await peerProxy(sb.address);
  const result = await connectIn({
    UPSTART_SESSION: proxy.address,
    DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/nonexistent/system_bus_socket",
  });
  assert.equal(result.label, `the user session ${proxy.address}`);
  assert.deepEqual(result.jobs, ["inst", "slow", "svc"]);
});

Deno.test("default connect without $UPSTART_SESSION: (as root the private socket, then) the system bus", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const result = await connectIn({ DBUS_SYSTEM_BUS_ADDRESS: sb.address });
  assert.equal(result.label, "the system bus");
  assert.deepEqual(result.jobs, ["inst", "slow", "svc"]);
});

Deno.test("default connect with nothing there: UpstartNotRunningError lists what was tried", async () => {
  const result = await connectIn({
    DBUS_SYSTEM_BUS_ADDRESS: "unix:path=/nonexistent/system_bus_socket",
  });
  const expected = Deno.uid() === 0
    ? ["the private socket unix:abstract=/com/ubuntu/upstart", "the system bus"]
    : ["the system bus"];
  assert.deepEqual(result.tried, expected);
  assert.match(
    result.error as string,
    /^Upstart is not running or cannot be reached: .*the system bus: .*\/nonexistent\/system_bus_socket/,
  );
});

Deno.test("on a bus: isPeer is false and dest names the bus name calls go to", async () => {
  await using sb = await sandboxSystem(JOBS);
  assert.equal(sb.system.isPeer, false);
  assert.equal(sb.system.dest, "com.ubuntu.Upstart");
});
