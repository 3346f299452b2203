import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { DBusError } from "../ffi/mod.ts";
import { startSandbox } from "./support/sandbox.ts";
import { until } from "./support/poll.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const events = (summary: string[]) => summary.filter((s) => s.startsWith("EventEmitted"));

Deno.test("a task: Start with wait returns after it has run, and it leaves no instance", async () => {
  await using sb = await startSandbox({
    jobs: { t: 'task\nconsole none\nscript\n  sleep 0.2\n  echo done > "$OUT"\nend script\n' },
  });
  const out = `${sb.jobDir}.out`;
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[`OUT=${out}`], true], `${JOBS}/t`);
  assertEquals(await Deno.readTextFile(out), "done\n");
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "stopped");
  const states = rec.summary().filter((s) => s.startsWith("StateChanged"));
  // A task whose main process ends goes stopping, killed, post-stopping, post-stop, waiting.
  assertEquals(states.slice(-5), [
    "StateChanged(stopping)",
    "StateChanged(killed)",
    "StateChanged(post-stopping)",
    "StateChanged(post-stop)",
    "StateChanged(waiting)",
  ]);
  assertEquals((await sb.call("GetAllInstances", "", [], `${JOBS}/t`))[0], []);
  await Deno.remove(out);
});

Deno.test("respawn restarts a dying process until the limit, then Failed", async () => {
  await using sb = await startSandbox({
    jobs: { r: "respawn\nrespawn limit 3 10\nexec sleep 0.05\n" },
  });
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[], false], `${JOBS}/r`);
  const failed = await rec.until((m) => m.member === "Failed");
  assertEquals(failed.body, [0]);
  const stopped = await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "stopped");
  assertEquals(stopped.body[1], ["JOB=r", "INSTANCE=", "RESULT=failed", "PROCESS=respawn"]);
  // Started once, then respawned 3 times before the 4th death was one too many.
  const starts = rec.summary().filter((s) => s === "StateChanged(spawned)").length;
  assertEquals(starts, 4);
  assert(sb.sandbox.messages.some((l) => l.message === "r respawning too fast, stopped"));
});

Deno.test("an instance job runs two instances side by side; missing variable is an error", async () => {
  await using sb = await startSandbox({ jobs: { inst: "instance $N\nexec sleep 1000\n" } });
  const [a] = await sb.call("Start", "asb", [["N=1"], true], `${JOBS}/inst`);
  const [b] = await sb.call("Start", "asb", [["N=2"], true], `${JOBS}/inst`);
  assertEquals([a, b], [`${JOBS}/inst/1`, `${JOBS}/inst/2`]);
  const [all] = await sb.call("GetAllInstances", "", [], `${JOBS}/inst`);
  assertEquals((all as string[]).sort(), [a, b]);
  const pid = async (p: string) =>
    ((await sb.client.getProperty({
      destination: "com.ubuntu.Upstart",
      path: p,
      interface: "com.ubuntu.Upstart0_6.Instance",
      name: "processes",
    })) as [string, number][])[0][1];
  const [pa, pb] = [await pid(a as string), await pid(b as string)];
  assert(pa !== pb && pa > 0 && pb > 0);
  await assert.rejects(
    sb.call("Start", "asb", [["N=1"], true], `${JOBS}/inst`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.AlreadyStarted" &&
      e.message === "Job is already running: inst (1)",
  );
  await assert.rejects(
    sb.call("Start", "asb", [[], true], `${JOBS}/inst`),
    (e: DBusError) =>
      e.name === "org.freedesktop.DBus.Error.InvalidArgs" && e.message === "Unknown parameter: N",
  );
  await assert.rejects(
    sb.call("Stop", "asb", [["N=9"], true], `${JOBS}/inst`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.UnknownInstance" &&
      e.message === "Unknown instance: 9",
  );
});

Deno.test("pre-start failure leaves the job stopped with Failed and RESULT=failed", async () => {
  await using sb = await startSandbox({
    jobs: { p: "pre-start exec false\nexec sleep 1000\n" },
  });
  await using rec = await sb.record();
  await assert.rejects(
    sb.call("Start", "asb", [[], true], `${JOBS}/p`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.JobFailed" && e.message === "Job failed to start",
  );
  const stopped = await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "stopped");
  assertEquals(stopped.body[1], [
    "JOB=p",
    "INSTANCE=",
    "RESULT=failed",
    "PROCESS=pre-start",
    "EXIT_STATUS=1",
  ]);
  const s = rec.summary();
  // `starting` finishes once the walk stops at pre-start; with no main process to kill, the
  // `stopping` event releases the job straight through to waiting before it is reported.
  assertEquals(s.slice(s.indexOf("StateChanged(pre-start)")), [
    "StateChanged(pre-start)",
    "EventEmitted(starting)",
    "Failed(1)",
    "GoalChanged(stop)",
    "StateChanged(stopping)",
    "StateChanged(killed)",
    "StateChanged(post-stopping)",
    "StateChanged(post-stop)",
    "StateChanged(waiting)",
    `InstanceRemoved(${JOBS}/p/_)`,
    "EventEmitted(stopping)",
    "EventEmitted(stopped)",
  ]);
  assert(!s.includes("StateChanged(spawning)"));
});

Deno.test("a main process that cannot be spawned fails with -1 and PROCESS=main", async () => {
  await using sb = await startSandbox({ jobs: { x: "exec /nonexistent/program\n" } });
  await using rec = await sb.record();
  await assert.rejects(sb.call("Start", "asb", [[], true], `${JOBS}/x`), /Job failed to start/);
  const stopped = await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "stopped");
  assertEquals(stopped.body[1], ["JOB=x", "INSTANCE=", "RESULT=failed", "PROCESS=main"]);
  assert(rec.summary().includes("Failed(-1)"));
});

Deno.test("errors: unknown job, already started, already stopped, unknown instance", async () => {
  await using sb = await startSandbox({
    // pre-stop never ends, so the stop stays under way and the instance object stays there.
    jobs: { svc: "exec sleep 1000\npre-stop exec sleep 1000\n" },
  });
  await assert.rejects(
    sb.call("GetJobByName", "s", ["nope"]),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.UnknownJob" && e.message === "Unknown job: nope",
  );
  await assert.rejects(
    sb.call("Stop", "asb", [[], true], `${JOBS}/svc`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.UnknownInstance" &&
      e.message === "Unknown instance: ",
  );
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  await assert.rejects(
    sb.call("Start", "asb", [[], true], `${JOBS}/svc`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.AlreadyStarted" &&
      e.message === "Job is already running: svc",
  );
  await using rec = await sb.record();
  await sb.call("Stop", "asb", [[], false], `${JOBS}/svc`);
  await rec.until((m) => m.member === "StateChanged" && m.body[0] === "pre-stop");
  // The stop is under way (in pre-stop): a second stop is refused, by the job and the instance.
  await assert.rejects(
    sb.call("Stop", "asb", [[], false], `${JOBS}/svc`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.AlreadyStopped" &&
      e.message === "Job has already been stopped: svc",
  );
  await assert.rejects(
    sb.call("Stop", "b", [false], `${JOBS}/svc/_`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.AlreadyStopped" &&
      e.message === "Job has already been stopped: svc",
  );
  await assert.rejects(
    sb.call("Start", "asb", [["BAD"], true], `${JOBS}/svc`),
    (e: DBusError) =>
      e.name === "org.freedesktop.DBus.Error.InvalidArgs" &&
      e.message === "Env must be KEY=VALUE pairs",
  );
  await assert.rejects(
    sb.call("EmitEvent", "sasb", ["", [], false]),
    (e: DBusError) => e.message === "Name may not be empty string",
  );
});

Deno.test("an emitted event starts jobs whose start on matches, and not the others", async () => {
  await using sb = await startSandbox({
    jobs: {
      kv: "start on go KEY=yes\nexec sleep 1000\n",
      neg: "start on go KEY!=yes\nexec sleep 1000\n",
      glob: "start on go KEY=y*\nexec sleep 1000\n",
      pos: "start on go yes\nexec sleep 1000\n",
      both: "start on go and other\nexec sleep 1000\n",
      either: "start on go or other\nexec sleep 1000\n",
      never: "start on go KEY=no\nexec sleep 1000\n",
    },
  });
  await using rec = await sb.record();
  // `both` half-matches and holds `go` until `other` comes, so a waiting emit would block here.
  await sb.call("EmitEvent", "sasb", ["go", ["KEY=yes"], false]);
  await rec.until((m) =>
    m.member === "EventEmitted" && m.body[0] === "started" &&
    (m.body[1] as string[])[0] === "JOB=either"
  );
  const running = async () => {
    const out: string[] = [];
    for (const name of ["kv", "neg", "glob", "pos", "both", "either", "never"]) {
      const [all] = await sb.call("GetAllInstances", "", [], `${JOBS}/${name}`);
      if ((all as string[]).length) out.push(name);
    }
    return out;
  };
  assertEquals(await running(), ["kv", "glob", "pos", "either"]);
  assert(!events(rec.summary()).includes("EventEmitted(go)"));
  await sb.call("EmitEvent", "sasb", ["other", [], true]);
  assertEquals(await running(), ["kv", "glob", "pos", "both", "either"]);
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "go");
});

Deno.test("stop on an event stops the job; the stop env reaches pre-stop", async () => {
  await using sb = await startSandbox({
    jobs: {
      s: "start on up\nstop on down\nconsole none\nexec sleep 1000\n" +
        "pre-stop exec sh -c 'echo $WHY $UPSTART_STOP_EVENTS > $OUT'\n",
    },
  });
  const out = `${sb.jobDir}.why`;
  await sb.call("EmitEvent", "sasb", ["up", [`OUT=${out}`], true]);
  assertEquals((await sb.call("GetAllInstances", "", [], `${JOBS}/s`))[0], [`${JOBS}/s/_`]);
  await sb.call("EmitEvent", "sasb", ["down", ["WHY=because"], true]);
  assertEquals((await sb.call("GetAllInstances", "", [], `${JOBS}/s`))[0], []);
  assertEquals(await Deno.readTextFile(out), "because down\n");
  await Deno.remove(out);
});

Deno.test("EmitEvent with wait fails with EventFailed when a job it started fails", async () => {
  await using sb = await startSandbox({ jobs: { bad: "start on go\ntask\nexec false\n" } });
  await using rec = await sb.record();
  await assert.rejects(
    sb.call("EmitEvent", "sasb", ["go", [], true]),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.EventFailed" && e.message === "Event failed",
  );
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "go/failed");
  assert(events(rec.summary()).includes("EventEmitted(go)"));
});

Deno.test("a detached child holding the console log pipe does not hold the job: stop and a task finish", async () => {
  const dir = await Deno.makeTempDir();
  const pids = `${dir}/pids`;
  await using sb = await startSandbox({
    jobs: {
      svc: `script\n  setsid sleep 600 &\n  echo $! >> ${pids}\n  exec sleep 600\nend script\n`,
      tsk: `task\nscript\n  setsid sleep 600 &\n  echo $! >> ${pids}\n  echo done\nend script\n`,
    },
  });
  try {
    await sb.call("Start", "asb", [[], true], `${JOBS}/tsk`); // returns: the task's shell exited
    await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
    await sb.call("Stop", "asb", [[], true], `${JOBS}/svc`); // returns: the main process is gone
    const [svc] = await sb.call("GetAllInstances", "", [], `${JOBS}/svc`);
    assert.deepEqual(svc, []);
    await until(async () => {
      const log = await Deno.readTextFile(`${sb.sandbox.logDir}/tsk.log`).catch(() => "");
      return log.includes("done");
    }, "the task's output in its log");
  } finally {
    for (const pid of (await Deno.readTextFile(pids).catch(() => "")).split("\n")) {
      if (pid) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch { /* gone */ }
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});
