// Behaviour observed on a real Upstart 1.13.2 (`init --user --session`) with the dev-only
// differential script tests/support/compare_upstart.ts, asserted here against the sandbox only.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { alive, until } from "./support/poll.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";

async function instanceProps(sb: Awaited<ReturnType<typeof startSandbox>>, path: string) {
  return await sb.client.getAllProperties({
    destination: "com.ubuntu.Upstart",
    path,
    interface: "com.ubuntu.Upstart0_6.Instance",
  });
}

Deno.test("Reload signals the main process only, not its process group", async () => {
  // Observed ("reload"): a `script` main process that traps HUP keeps running after Reload on
  // real Upstart (job_reload calls kill (pid, reload_signal)); its `sleep` children live on.
  const marks = await Deno.makeTempDir();
  await using sb = await startSandbox({
    jobs: {
      hup: `script\n  trap 'echo hup' HUP\n  touch ${marks}/trapped\n` +
        "  while true; do sleep 0.1; done\nend script\n",
    },
  });
  await sb.call("Start", "asb", [[], true], `${JOBS}/hup`);
  // Running is reported once the shell is spawned, before it has read its trap.
  await until(() => Deno.stat(`${marks}/trapped`).then(() => true, () => false), "the trap");
  const before = (await instanceProps(sb, `${JOBS}/hup/_`)).processes as [string, number][];
  await using rec = await sb.record();
  await sb.call("Reload", "", [], `${JOBS}/hup/_`);
  await new Promise((r) => setTimeout(r, 400));
  const after = await instanceProps(sb, `${JOBS}/hup/_`);
  assertEquals(after.state, "running");
  assertEquals(after.goal, "start");
  assertEquals(after.processes, before);
  assert(alive(before[0][1]));
  assertEquals(rec.summary(), []); // no Failed, no state change
  await Deno.remove(marks, { recursive: true });
});

Deno.test("GetAllJobs comes in Upstart's hash-table order", async () => {
  // Observed ("names"): [svc, sub_2fdir], libnih's FNV-1 hash into 17 bins, not file order.
  // (GetAllInstances is [inst/b, inst/a] on Upstart; the sandbox still answers in start order.)
  await using sb = await startSandbox({
    jobs: {
      "sub/dir": "exec sleep 1000\n",
      svc: "exec sleep 1000\n",
    },
  });
  const [jobs] = await sb.call("GetAllJobs");
  assertEquals(jobs, [`${JOBS}/svc`, `${JOBS}/sub_2fdir`]);
});

Deno.test("an event starts its jobs in hash-table order, and a task's stopped comes before the event", async () => {
  // Observed ("events"): EmitEvent(foo, wait) starts tsk, then kv, then pos (bins 7, 8, 8), and
  // EventEmitted(stopped tsk) is sent before EventEmitted(foo): event_poll walks the live list,
  // so the `stopped` queued while the task finished goes out in the same pass.
  await using sb = await startSandbox({
    jobs: {
      kv: "start on foo\nexec sleep 1000\n",
      pos: "start on foo\nexec sleep 1000\n",
      tsk: "start on foo\ntask\nexec sleep 0.2\n",
    },
  });
  await using rec = await sb.record();
  await sb.call("EmitEvent", "sasb", ["foo", [], true]);
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "foo");
  const added = rec.seen.filter((m) => m.member === "InstanceAdded").map((m) => m.body[0]);
  assertEquals(added, [`${JOBS}/tsk/_`, `${JOBS}/kv/_`, `${JOBS}/pos/_`]);
  const emitted = rec.seen.filter((m) => m.member === "EventEmitted").map((m) =>
    `${m.body[0]}${m.body[0] === "foo" ? "" : ` ${(m.body[1] as string[])[0]}`}`
  );
  assertEquals(emitted.slice(-3), ["stopping JOB=tsk", "stopped JOB=tsk", "foo"]);
});

Deno.test("Introspect answers as libnih does", async () => {
  // Observed ("introspect"): <node name="PATH">, the Upstart interface, then Properties and
  // Introspectable with libnih's argument names, no Peer, then the children.
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  const introspect = async (path: string) =>
    (await sb.call("Introspect", "", [], path, "org.freedesktop.DBus.Introspectable"))[0] as string;
  const manager = await introspect("/com/ubuntu/Upstart");
  assert(
    manager.includes(
      '<node name="/com/ubuntu/Upstart">\n  <interface name="com.ubuntu.Upstart0_6">',
    ),
  );
  assert(!manager.includes("org.freedesktop.DBus.Peer"));
  assert(manager.includes('<arg name="interface_name" type="s" direction="in"/>'));
  assert(manager.includes('<arg name="data" type="s" direction="out"/>'));
  assert(manager.endsWith('  </interface>\n  <node name="jobs"/>\n</node>\n'));
  const order = [
    "com.ubuntu.Upstart0_6.Job",
    "org.freedesktop.DBus.Properties",
    "org.freedesktop.DBus.Introspectable",
  ];
  const job = await introspect(`${JOBS}/svc`);
  assertEquals(
    [...job.matchAll(/<interface name="([^"]+)">/g)].map((m) => m[1]),
    order,
  );
  assert(job.startsWith(
    '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
      '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n' +
      `<node name="${JOBS}/svc">\n`,
  ));
  assert(job.endsWith('  <node name="_"/>\n</node>\n'));
  const inst = await introspect(`${JOBS}/svc/_`);
  assert(inst.includes(`<node name="${JOBS}/svc/_">`));
  assert(inst.endsWith("  </interface>\n</node>\n"));
});

Deno.test("nihHashBin puts names in the bins that explain Upstart's observed orders", async () => {
  const { nihHashBin } = await import("../src/sandbox/nih_hash.ts");
  // svc before sub/dir, b before a, tsk before kv before pos (same bin: insertion order).
  assertEquals(
    ["svc", "sub/dir", "a", "b", "tsk", "kv", "pos"].map(nihHashBin),
    [1, 6, 15, 14, 7, 8, 8],
  );
});

Deno.test("a known method with the wrong arguments is InvalidArgs, as libnih replies", async () => {
  // Observed ("errors"): Start with no arguments on a real Upstart gives
  // org.freedesktop.DBus.Error.InvalidArgs "Invalid arguments to Start method".
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  for (
    const [path, iface, member] of [
      [`${JOBS}/svc`, "com.ubuntu.Upstart0_6.Job", "Start"],
      ["/com/ubuntu/Upstart", "com.ubuntu.Upstart0_6", "EmitEvent"],
    ]
  ) {
    await assert.rejects(
      sb.call(member, "s", ["x"], path, iface),
      (e: Error) =>
        e.name === "org.freedesktop.DBus.Error.InvalidArgs" &&
        e.message === `Invalid arguments to ${member} method`,
    );
  }
  // An unknown method is still UnknownMethod.
  await assert.rejects(
    sb.call("Nope", "", [], `${JOBS}/svc`, "com.ubuntu.Upstart0_6.Job"),
    (e: Error) => e.name === "org.freedesktop.DBus.Error.UnknownMethod",
  );
});
