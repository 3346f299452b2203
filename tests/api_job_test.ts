/** Job and Instance against the sandboxed Upstart: controls, errors, waits, signals, instance jobs. */
import assert from "node:assert/strict";
import { python, sandboxSystem } from "./support/api_sandbox.ts";
import { System } from "../src/system.ts";
import {
  AlreadyStartedError,
  InvalidEnvError,
  JobFailedError,
  UnknownInstanceError,
  WaitTimeoutError,
} from "../src/errors.ts";

const JOBS = {
  "svc": "exec sleep 1000\n",
  "inst": "instance $N\nexec sleep 1000\n",
  "fails": "pre-start exec /bin/false\nexec sleep 1000\n",
  "slow": "pre-start exec sleep 0.3\nexec sleep 1000\n",
};

Deno.test("start (waits by default), status, stop; python3-dbus reads the same instance", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("svc");
  assert.deepEqual(await job.status(), []);
  const inst = await job.start();
  assert.equal(inst.name, "");
  assert.equal(inst.path, "/com/ubuntu/Upstart/jobs/svc/_");
  assert.equal(inst.goal, "start");
  assert.equal(inst.state, "running");
  assert.equal(inst.processes.length, 1);
  assert.equal(inst.processes[0].type, "main");
  assert.ok(inst.processes[0].pid > 0);
  const status = await job.status();
  assert.deepEqual(status, [{
    name: "",
    goal: "start",
    state: "running",
    processes: inst.processes,
  }]);
  const py = await python(
    sb.address,
    `i = bus.get_object("com.ubuntu.Upstart", "/com/ubuntu/Upstart/jobs/svc/_")
print(json.dumps(plain(i.GetAll("com.ubuntu.Upstart0_6.Instance", dbus_interface=dbus.PROPERTIES_IFACE))))`,
  ) as Record<string, unknown>;
  assert.deepEqual(py, {
    name: "",
    goal: "start",
    state: "running",
    processes: inst.processes.map((p) => [p.type, p.pid]),
  });
  await assert.rejects(() => job.start(), (e: unknown) => {
    assert.ok(e instanceof AlreadyStartedError);
    assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.AlreadyStarted");
    return true;
  });
  await job.stop();
  assert.deepEqual(await job.status(), []);
  await assert.rejects(() => job.stop(), UnknownInstanceError);
  await assert.rejects(() => job.restart(), UnknownInstanceError);
  assert.equal((await inst.status()).state, "waiting");
});

Deno.test("restart gives a new main process; instance-level controls work", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("svc");
  const first = await job.start();
  const again = await job.restart();
  assert.equal(again.state, "running");
  assert.notEqual(again.processes[0].pid, first.processes[0].pid);
  const inst = await job.instance();
  await inst.stop();
  assert.equal(inst.state, "waiting");
  await assert.rejects(() => job.instance(), UnknownInstanceError);
});

Deno.test("wait: false returns at once; waitFor then sees the instance reach running", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("slow");
  const inst = await job.start({ wait: false });
  assert.equal(inst.goal, "start");
  assert.notEqual(inst.state, "running");
  const status = await inst.waitFor("running", { timeout: 5000 });
  assert.equal(status.state, "running");
  assert.equal(inst.state, "running");
  await inst.stop();
});

Deno.test("waitFor with a trigger misses nothing; predicates see processes; timeouts are typed", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("slow");
  const inst = await job.start();
  const seen: string[] = [];
  const done = await inst.waitFor((s) => {
    seen.push(s.state);
    return seen.includes("pre-start") && s.state === "running" &&
      s.processes.some((p) => p.type === "main");
  }, { timeout: 5000, trigger: () => inst.restart({ wait: false }) });
  assert.equal(done.state, "running");
  assert.ok(seen.includes("pre-start"), seen.join(","));
  const again = await inst.waitFor("running", {
    timeout: 5000,
    trigger: () => inst.restart({ wait: false }),
  });
  assert.equal(again.state, "running");
  await assert.rejects(
    () => inst.waitFor("killed", { timeout: 100 }),
    (e: unknown) => e instanceof WaitTimeoutError && /Timed out after 100 ms/.test(e.message),
  );
  await assert.rejects(() => inst.waitFor("bogus" as "running"), RangeError);
  await job.stop();
});

Deno.test("waitFor rejects when the instance fails before reaching the state", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("fails");
  await assert.rejects(async () => {
    const inst = await job.start({ wait: false });
    await inst.waitFor("running", { timeout: 5000 });
  }, (e: unknown) => e instanceof JobFailedError || e instanceof UnknownInstanceError);
});

Deno.test("instance jobs: env selects the instance; missing variable is InvalidEnvError", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("inst");
  await assert.rejects(() => job.start(), InvalidEnvError);
  const one = await job.start({ env: { N: "1" } });
  const two = await job.start({ env: ["N=2"] });
  assert.equal(one.name, "1");
  assert.equal(two.name, "2");
  assert.equal(two.path, "/com/ubuntu/Upstart/jobs/inst/2");
  assert.deepEqual((await job.instances()).map((i) => i.name).sort(), ["1", "2"]); // daemon order
  assert.equal((await job.instance("2")).state, "running");
  assert.equal((await job.instanceFor({ N: "1" })).name, "1");
  await assert.rejects(() => job.instance("3"), UnknownInstanceError);
  await job.stop({ env: { N: "1" } });
  assert.deepEqual((await job.status()).map((s) => s.name), ["2"]);
  await (await job.instance("2")).stop();
  assert.deepEqual(await job.status(), []);
});

Deno.test("reload sends the reload signal to the main process; a stopped job has none", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using sb = await sandboxSystem({
      ...JOBS,
      "hup": `exec sh -c 'trap "echo hup >> ${dir}/got" HUP; while :; do sleep 0.05; done'\n`,
    });
    const job = await sb.system.job("hup");
    await assert.rejects(() => job.reload(), UnknownInstanceError);
    const inst = await job.start();
    await new Promise((r) => setTimeout(r, 100)); // let the shell install its trap
    await job.reload();
    let got = "";
    for (let i = 0; i < 100 && !got; i++) {
      await new Promise((r) => setTimeout(r, 20));
      got = await Deno.readTextFile(`${dir}/got`).catch(() => "");
    }
    assert.equal(got, "hup\n");
    assert.equal((await inst.status()).state, "running");
    await inst.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("waitFor ends when the instance stops after its job file was removed (no InstanceRemoved)", async () => {
  await using sb = await sandboxSystem(JOBS);
  const inst = await (await sb.system.job("svc")).start();
  await sb.sandbox.removeJob("svc");
  await assert.rejects(
    () => inst.waitFor("running", { timeout: 10_000, trigger: () => inst.stop({ wait: false }) }),
    UnknownInstanceError,
  );
});

Deno.test("a waited call has no time limit unless given one; then it is a WaitTimeoutError", async () => {
  await using sb = await sandboxSystem({
    "task": "task\nexec sleep 0.5\n",
    "on-event": "task\nstart on slow-event\nexec sleep 0.5\n",
  });
  // A connection whose calls time out after 100 ms: the waited start still returns.
  await using quick = await System.connect({ address: sb.address, peer: false, timeout: 100 });
  const task = await quick.job("task");
  await task.start();
  await assert.rejects(
    () => task.start({ timeout: 100 }),
    (e: unknown) =>
      e instanceof WaitTimeoutError && /Start did not finish within 100 ms/.test(e.message),
  );
  await quick.emit("slow-event");
  await assert.rejects(() => quick.emit("slow-event", {}, { timeout: 100 }), WaitTimeoutError);
});

Deno.test("the environment of a job that is not running: UnknownInstanceError", async () => {
  await using sb = await sandboxSystem(JOBS);
  await assert.rejects(() => sb.system.getEnv("X", { job: "svc" }), UnknownInstanceError);
});

Deno.test("console.log and JSON.stringify show a job's and an instance's state, never the connection", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("svc");
  const inst = await job.start();
  const pid = inst.processes[0].pid;
  assert.deepEqual(JSON.parse(JSON.stringify(job)), {
    name: "svc",
    path: "/com/ubuntu/Upstart/jobs/svc",
    description: null,
    author: null,
    version: null,
    usage: null,
    emits: [],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(inst)), {
    job: "svc",
    name: "",
    path: "/com/ubuntu/Upstart/jobs/svc/_",
    goal: "start",
    state: "running",
    processes: [{ type: "main", pid }],
  });
  const shown = Deno.inspect(inst, { colors: false, depth: 4 });
  assert.match(shown, /^Instance \{/);
  for (const part of ['goal: "start"', 'state: "running"', `pid: ${pid}`, 'job: "svc"']) {
    assert.ok(shown.includes(part), `${part} in ${shown}`);
  }
  const jobShown = Deno.inspect(job, { colors: false });
  assert.match(jobShown, /^Job \{/);
  assert.ok(jobShown.includes('name: "svc"'), jobShown);
  // Neither shows the System, its connection or the client (they are big and not data).
  for (const text of [shown, jobShown, JSON.stringify(job), JSON.stringify(inst)]) {
    assert.ok(!/connection|Connection|System|system/.test(text), text);
  }
  await job.stop();
  assert.equal(JSON.parse(JSON.stringify(inst)).state, "running"); // as last seen
  await inst.status();
  assert.equal(JSON.parse(JSON.stringify(inst)).state, "waiting");
});
