/** statusAll, watch() and the remote path against the sandboxed Upstart. */
import assert from "node:assert/strict";
import { python, sandboxSystem } from "./support/api_sandbox.ts";
import { System } from "../src/system.ts";
import type { UpstartEvent } from "../src/events.ts";

Deno.test("statusAll lists every job and instance, equal to job.status(), at any concurrency", async () => {
  const jobs: Record<string, string> = { "inst": "instance $N\nexec sleep 1000\n" };
  for (let i = 0; i < 20; i++) jobs[`job-${i}`] = "exec sleep 1000\n";
  await using sb = await sandboxSystem(jobs);
  for (let i = 0; i < 20; i += 3) await (await sb.system.job(`job-${i}`)).start();
  const inst = await sb.system.job("inst");
  await inst.start({ env: { N: "a" } });
  await inst.start({ env: { N: "b" } });
  const all = await sb.system.statusAll();
  assert.deepEqual(all.map((j) => j.name), await sb.system.jobNames());
  for (const { name, path, instances } of all) {
    const job = await sb.system.job(name);
    assert.equal(path, job.path);
    assert.deepEqual(instances, await job.status(), name);
  }
  assert.equal(all.find((j) => j.name === "job-3")?.instances[0].state, "running");
  assert.deepEqual(all.find((j) => j.name === "job-1")?.instances, []);
  // In the daemon's (hash-table) order, as initctl lists them: compare as a set.
  assert.deepEqual(all.find((j) => j.name === "inst")?.instances.map((i) => i.name).sort(), [
    "a",
    "b",
  ]);
  assert.deepEqual(await sb.system.statusAll({ concurrency: 1 }), all);
  // python3-dbus walks the same objects one call at a time and sees the same.
  const py = await python(
    sb.address,
    `out = {}
for p in up.GetAllJobs(dbus_interface="com.ubuntu.Upstart0_6"):
    j = bus.get_object("com.ubuntu.Upstart", p)
    name = str(j.Get("com.ubuntu.Upstart0_6.Job", "name", dbus_interface=dbus.PROPERTIES_IFACE))
    insts = []
    for ip in j.GetAllInstances(dbus_interface="com.ubuntu.Upstart0_6.Job"):
        i = bus.get_object("com.ubuntu.Upstart", ip)
        insts.append(plain(i.GetAll("com.ubuntu.Upstart0_6.Instance", dbus_interface=dbus.PROPERTIES_IFACE)))
    out[name] = {"path": str(p), "instances": insts}
print(json.dumps(out))`,
  ) as Record<string, { path: string; instances: Record<string, unknown>[] }>;
  assert.deepEqual(
    Object.fromEntries(all.map((j) => [j.name, {
      path: j.path,
      instances: j.instances.map((i) => ({
        name: i.name,
        goal: i.goal,
        state: i.state,
        processes: i.processes.map((p) => [p.type, p.pid]),
      })),
    }])),
    py,
  );
  await assert.rejects(() => sb.system.statusAll({ concurrency: 0 }), RangeError);
});

Deno.test("watch yields typed events in Upstart's order and stops cleanly on break", async () => {
  await using sb = await sandboxSystem({ "svc": "exec sleep 1000\n" });
  const job = await sb.system.job("svc");
  const events: UpstartEvent[] = [];
  const stream = sb.system.watch();
  await stream.ready;
  const started = job.start();
  for await (const ev of stream) {
    events.push(ev);
    if (ev.type === "EventEmitted" && ev.name === "started") break;
  }
  await started;
  const types = events.map((e) => e.type);
  assert.equal(types[0], "InstanceAdded");
  assert.deepEqual(events[0], {
    type: "InstanceAdded",
    job: "svc",
    instance: "",
    path: "/com/ubuntu/Upstart/jobs/svc/_",
  });
  assert.ok(events.some((e) => e.type === "GoalChanged" && e.goal === "start"));
  const states = events.flatMap((e) => e.type === "StateChanged" ? [e.state] : []);
  assert.deepEqual(states.slice(-3), ["post-starting", "post-start", "running"]);
  // After break, the subscription is gone: the next watch works and the first sees nothing more.
  const result = await stream.next();
  assert.equal(result.done, true);
  const filtered = sb.system.watch({ types: ["InstanceRemoved"], job: "svc" });
  await filtered.ready;
  const stopping = job.stop();
  const first = await filtered.next();
  assert.deepEqual(first.value, {
    type: "InstanceRemoved",
    job: "svc",
    instance: "",
    path: "/com/ubuntu/Upstart/jobs/svc/_",
  });
  await filtered.return!();
  await stopping;
  assert.throws(() => sb.system.watch({ types: ["Nope" as "Failed"] }), TypeError);
});

Deno.test("watch reports Failed with the exit status", async () => {
  await using sb = await sandboxSystem({ "bad": "exec sh -c 'exit 3'\n" });
  const stream = sb.system.watch({ types: ["Failed"], job: "bad" });
  await stream.ready;
  await (await sb.system.job("bad")).start({ wait: false });
  const { value } = await stream.next();
  assert.equal(value?.type === "Failed" && value.status, 3);
  await stream.return!();
});

Deno.test("a remote host: System.connect over the ssh transport reaches the same Upstart", async () => {
  await using sb = await sandboxSystem({ "svc": "exec sleep 1000\n" });
  const socket = /unix:path=([^,]+)/.exec(sb.address)?.[1];
  assert.ok(socket, `a unix:path address: ${sb.address}`);
  const dir = await Deno.makeTempDir();
  try {
    const ssh = `${dir}/ssh`;
    await Deno.writeTextFile(ssh, '#!/bin/sh\nfor last; do :; done\nexec sh -c "$last"\n');
    await Deno.chmod(ssh, 0o755);
    await using remote = await System.connect({
      host: "admin@far",
      sshCommand: ssh,
      remoteSocket: socket,
    });
    assert.equal(remote.target.remote?.host, "admin@far");
    assert.equal(remote.target.label, `the socket ${socket} over ssh`);
    assert.equal(await remote.version(), await sb.system.version());
    const inst = await (await remote.job("svc")).start();
    assert.equal(inst.state, "running");
    assert.deepEqual(
      (await remote.statusAll()).find((j) => j.name === "svc")?.instances,
      await (await sb.system.job("svc")).status(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
