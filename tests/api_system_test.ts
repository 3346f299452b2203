/** System against the sandboxed Upstart on a private bus, cross-checked with python3-dbus. */
import assert from "node:assert/strict";
import { python, sandboxSystem } from "./support/api_sandbox.ts";
import { InvalidArgumentError, UnknownJobError, UpstartError } from "../src/errors.ts";
import { System } from "../src/system.ts";

const JOBS = {
  "svc": 'description "a service"\nauthor "me"\nversion "1.0"\nusage "svc PORT=n"\n' +
    "emits svc-ready\nstart on (a and b) or c KEY=val\nstop on runlevel [!2345]\nexec sleep 1000\n",
  "my-job": "exec sleep 1000\n",
  "a.b": "task\nexec true\n",
};

Deno.test("version, parsed, and equal to what python3-dbus reads", async () => {
  await using sb = await sandboxSystem(JOBS);
  const version = await sb.system.version();
  assert.match(version, /^init \(upstart \d+\.\d+(\.\d+)?\)/);
  assert.ok(sb.system.versionInfo);
  const py = await python(
    sb.address,
    `print(json.dumps(plain(up.Get("com.ubuntu.Upstart0_6", "version", dbus_interface=dbus.PROPERTIES_IFACE))))`,
  );
  assert.equal(version, py);
});

Deno.test("logPriority / setLogPriority, validated against Upstart's names", async () => {
  await using sb = await sandboxSystem(JOBS);
  await sb.system.setLogPriority("debug");
  assert.equal(await sb.system.logPriority(), "debug");
  const py = await python(
    sb.address,
    `print(json.dumps(plain(up.Get("com.ubuntu.Upstart0_6", "log_priority", dbus_interface=dbus.PROPERTIES_IFACE))))`,
  );
  assert.equal(py, "debug");
  await sb.system.setLogPriority("message");
  assert.equal(await sb.system.logPriority(), "message");
  await assert.rejects(() => sb.system.setLogPriority("loud" as "info"), RangeError);
});

Deno.test("jobNames are decoded and sorted; python sees the escaped paths", async () => {
  await using sb = await sandboxSystem(JOBS);
  const names = await sb.system.jobNames();
  for (const name of Object.keys(JOBS)) assert.ok(names.includes(name), name);
  assert.deepEqual(names, [...names].sort());
  const paths = await python(
    sb.address,
    `print(json.dumps(plain(up.GetAllJobs(dbus_interface="com.ubuntu.Upstart0_6"))))`,
  ) as string[];
  assert.ok(paths.includes("/com/ubuntu/Upstart/jobs/my_2djob"));
  assert.ok(paths.includes("/com/ubuntu/Upstart/jobs/a_2eb"));
});

Deno.test("job(name) reads the job's properties; UnknownJobError keeps Upstart's name and message", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("svc");
  assert.equal(job.name, "svc");
  assert.equal(job.path, "/com/ubuntu/Upstart/jobs/svc");
  assert.equal(job.description, "a service");
  assert.equal(job.author, "me");
  assert.equal(job.version, "1.0");
  assert.equal(job.usage, "svc PORT=n");
  assert.deepEqual(job.emits, ["svc-ready"]);
  const py = await python(
    sb.address,
    `j = bus.get_object("com.ubuntu.Upstart", "/com/ubuntu/Upstart/jobs/svc")
print(json.dumps(plain(j.GetAll("com.ubuntu.Upstart0_6.Job", dbus_interface=dbus.PROPERTIES_IFACE))))`,
  ) as Record<string, unknown>;
  for (const key of ["name", "description", "author", "version", "usage", "emits"] as const) {
    assert.deepEqual(job[key], py[key], key);
  }
  const plain = await sb.system.job("my-job");
  assert.equal(plain.description, null);
  await assert.rejects(() => sb.system.job("nope"), (e: unknown) => {
    assert.ok(e instanceof UnknownJobError);
    assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.UnknownJob");
    assert.equal(e.message, "Unknown job: nope");
    return true;
  });
  await assert.rejects(() => sb.system.job("/etc/init/svc"), TypeError);
  await assert.rejects(() => sb.system.job(""), TypeError);
  assert.equal((await sb.system.jobs()).length, (await sb.system.jobNames()).length);
});

Deno.test("startOn/stopOn are the parser's trees; the raw aas matches python3-dbus", async () => {
  await using sb = await sandboxSystem(JOBS);
  const job = await sb.system.job("svc");
  const raw = await job.startOnRaw();
  assert.deepEqual(raw, [["a"], ["b"], ["/AND"], ["c", "KEY=val"], ["/OR"]]);
  const py = await python(
    sb.address,
    `j = bus.get_object("com.ubuntu.Upstart", "/com/ubuntu/Upstart/jobs/svc")
print(json.dumps([plain(j.Get("com.ubuntu.Upstart0_6.Job", p, dbus_interface=dbus.PROPERTIES_IFACE)) for p in ("start_on", "stop_on")]))`,
  ) as string[][][];
  assert.deepEqual(py, [raw, await job.stopOnRaw()]);
  const tree = await job.startOn();
  assert.equal(tree?.type, "or");
  if (tree?.type === "or") {
    assert.equal(tree.left.type, "and");
    assert.deepEqual(tree.right, {
      type: "event",
      name: "c",
      args: [{ raw: "KEY=val", key: "KEY", value: "val", negated: false }],
    });
  }
  const stop = await job.stopOn();
  assert.equal(stop?.type === "event" && stop.name, "runlevel");
  assert.equal(await (await sb.system.job("my-job")).startOn(), null);
});

Deno.test("emit validates name and env, honours wait, and runs the jobs it starts", async () => {
  await using sb = await sandboxSystem({
    "on-ping": "start on ping\ntask\nexec true\n",
  });
  const stream = sb.system.watch({ types: ["StateChanged", "EventEmitted"] });
  await stream.ready;
  await sb.system.emit("ping", { WHO: "test" });
  const seen: string[] = [];
  for await (const ev of stream) {
    if (ev.type === "StateChanged" && ev.job === "on-ping") seen.push(ev.state);
    if (ev.type === "EventEmitted" && ev.name === "ping") {
      assert.deepEqual(ev.env, ["WHO=test"]);
      break;
    }
  }
  assert.ok(seen.includes("running") || seen.includes("stopping"), seen.join(","));
  await assert.rejects(
    () => sb.system.emit(""),
    (e) => e instanceof InvalidArgumentError && e.dbusMessage === "Name may not be empty string",
  );
  await assert.rejects(() => sb.system.emit("a\0b"), TypeError);
  await assert.rejects(() => sb.system.emit("x", { "A=B": "1" }), TypeError);
  await assert.rejects(() => sb.system.emit("x", ["NOEQ"]), TypeError);
  await assert.rejects(() => sb.system.emit("x", { A: "\0" }), TypeError);
  await sb.system.emit("x", ["A=1"], { wait: false });
});

Deno.test("reloadConfiguration answers", async () => {
  await using sb = await sandboxSystem(JOBS);
  await sb.system.reloadConfiguration();
  assert.ok((await sb.system.jobNames()).includes("svc"));
});

Deno.test("session environment: set, get, list, unset, reset, globally and per job", async () => {
  await using sb = await sandboxSystem(JOBS);
  const s = sb.system;
  await s.setEnv({ FOO: "bar", BAZ: "1" });
  assert.equal(await s.getEnv("FOO"), "bar");
  assert.equal((await s.listEnv()).BAZ, "1");
  await s.setEnv(["FOO=keep"], { replace: false });
  assert.equal(await s.getEnv("FOO"), "bar");
  await s.unsetEnv(["FOO", "BAZ"]);
  assert.equal(await s.getEnv("FOO"), undefined);
  // As Upstart's environ_remove: unsetting an absent variable succeeds while the environment has any.
  await s.unsetEnv("FOO");
  assert.equal(await s.getEnv("FOO"), undefined);
  await s.setEnv({ X: "1" });
  await s.resetEnv();
  assert.equal(await s.getEnv("X"), undefined);
  await assert.rejects(() => s.getEnv("A=B"), TypeError);
  await assert.rejects(() => s.setEnv({ X: "1" }, { instance: "i" }), TypeError);
  // A job's environment: the instance must exist.
  const job = await s.job("my-job");
  await job.start();
  await s.setEnv({ JOBVAR: "j" }, { job: "my-job" });
  assert.equal(await s.getEnv("JOBVAR", { job: "my-job" }), "j");
  assert.equal((await s.listEnv({ job: "my-job" })).JOBVAR, "j");
  await job.stop();
});

Deno.test("notifyDiskWriteable and notifyDBusAddress answer", async () => {
  await using sb = await sandboxSystem(JOBS);
  await sb.system.notifyDiskWriteable();
  await sb.system.notifyDBusAddress(sb.address);
  await assert.rejects(() => sb.system.notifyDBusAddress(""), TypeError);
  await sb.system.notifyCGroupManagerAddress("unix:path=/sys/fs/cgroup/cgmanager/sock");
  await assert.rejects(() => sb.system.notifyCGroupManagerAddress(""), TypeError);
});

Deno.test("reexec sends Restart without waiting for a reply (Upstart sends none)", async () => {
  await using sb = await sandboxSystem(JOBS, { peer: true });
  await sb.system.reexec();
  assert.match(await sb.system.version(), /upstart/); // the sandbox stays; a real daemon drops us
  await sb.proxy!.until((calls) => calls.includes("com.ubuntu.Upstart0_6.Restart"));
});

Deno.test("endSession answers with success or a typed Upstart error", async () => {
  await using sb = await sandboxSystem(JOBS);
  const result = await sb.system.endSession().then(() => "ok", (e) => e);
  assert.ok(result === "ok" || result instanceof UpstartError, String(result));
});

Deno.test("System.openJob connects, finds the job, and closes its connection on dispose", async () => {
  await using sb = await sandboxSystem(JOBS);
  let conn;
  {
    await using job = await System.openJob("svc", { address: sb.address, peer: false });
    conn = job.system.connection;
    assert.equal(job.description, "a service");
    assert.ok(conn.isOpen);
  }
  assert.equal(conn.isOpen, false);
  await assert.rejects(
    () => System.openJob("nope", { address: sb.address, peer: false }),
    UnknownJobError,
  );
});

Deno.test("System.connect with { address } guesses bus vs peer", async () => {
  await using sb = await sandboxSystem(JOBS);
  await using system = await System.connect({ address: sb.address });
  assert.equal(system.target.peer, null);
  assert.equal(await system.version(), await sb.system.version());
});

Deno.test("getState returns Upstart's state as JSON text", async () => {
  await using sb = await sandboxSystem(JOBS);
  const state = JSON.parse(await sb.system.getState());
  assert.equal(typeof state, "object");
  assert.ok(state !== null);
});

Deno.test("statusAll and jobs in the daemon's order on request, by name by default", async () => {
  const names = ["zeta", "alpha", "sub/dir", "mid", "beta"];
  await using sb = await sandboxSystem(
    Object.fromEntries(names.map((n) => [n, "exec sleep 1000\n"])),
  );
  const s = sb.system;
  const [daemonPaths] = await s.connection.call({
    destination: "com.ubuntu.Upstart",
    path: "/com/ubuntu/Upstart",
    interface: "com.ubuntu.Upstart0_6",
    member: "GetAllJobs",
  }) as [string[]];
  assert.deepEqual((await s.statusAll({ order: "daemon" })).map((j) => j.path), daemonPaths);
  assert.deepEqual((await s.jobs({ order: "daemon" })).map((j) => j.path), daemonPaths);
  const byName = [...names].sort();
  assert.deepEqual((await s.statusAll()).map((j) => j.name), byName);
  assert.deepEqual((await s.jobs()).map((j) => j.name), byName);
  await assert.rejects(() => s.jobs({ order: "size" as "name" }), TypeError);
});
