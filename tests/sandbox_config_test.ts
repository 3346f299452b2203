import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type DBusError, Variant } from "../ffi/mod.ts";
import { SANDBOX_VERSION } from "../src/sandbox/mod.ts";
import { startSandbox } from "./support/sandbox.ts";
import { until } from "./support/poll.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const UPSTART = "/com/ubuntu/Upstart";

Deno.test("job names come from paths; bad files are logged as FILE:LINE: REASON and skipped", async () => {
  await using sb = await startSandbox({
    jobs: {
      "my-job": "exec sleep 1\n",
      "sub/inner": "exec sleep 1\n",
      "broken": "description ok\nbogus\n",
      ".hidden/x": "exec sleep 1\n",
      "lone.override": "manual\n",
      "ov": "start on foo\nenv A=1\n",
      "ov.override": "manual\nenv B=2\n",
    },
  });
  const [jobs] = await sb.call("GetAllJobs");
  assertEquals((jobs as string[]).sort(), [
    `${JOBS}/my_2djob`,
    `${JOBS}/ov`,
    `${JOBS}/sub_2finner`,
  ]);
  assert(
    sb.sandbox.messages.some((l) => l.message === `${sb.jobDir}/broken.conf:2: Unknown stanza`),
  );
  const [path] = await sb.call("GetJobByName", "s", ["sub/inner"]);
  assertEquals(path, `${JOBS}/sub_2finner`);
  const props = await sb.client.getAllProperties({
    destination: "com.ubuntu.Upstart",
    path: `${JOBS}/ov`,
    interface: "com.ubuntu.Upstart0_6.Job",
  });
  assertEquals(props.start_on, []);
  assertEquals(props.name, "ov");
  const [env] = await sb.call("Start", "asb", [[], true], `${JOBS}/ov`)
    .then(() => sb.call("ListEnv", "as", [["ov", ""]]));
  assert((env as string[]).includes("A=1") && (env as string[]).includes("B=2"));
});

Deno.test("a file added or removed sends JobAdded / JobRemoved within a fraction of a second", async () => {
  await using sb = await startSandbox({ jobs: { a: "exec sleep 1000\n" } });
  await using rec = await sb.record();
  await sb.writeJob("b", "exec sleep 1000\n");
  await rec.until((m) => m.member === "JobAdded" && m.body[0] === `${JOBS}/b`, 2000);
  await sb.removeJob("a");
  await rec.until((m) => m.member === "JobRemoved" && m.body[0] === `${JOBS}/a`, 2000);
  await assert.rejects(sb.call("GetJobByName", "s", ["a"]), /Unknown job: a/);
});

Deno.test("a running instance keeps its old definition until it stops", async () => {
  await using sb = await startSandbox({ jobs: { svc: 'description "old"\nexec sleep 1000\n' } });
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  await using rec = await sb.record();
  await sb.writeJob("svc", 'description "new"\nexec sleep 1000\n');
  sb.sandbox.rescan();
  const desc = () =>
    sb.client.getProperty({
      destination: "com.ubuntu.Upstart",
      path: `${JOBS}/svc`,
      interface: "com.ubuntu.Upstart0_6.Job",
      name: "description",
    });
  assertEquals(await desc(), "old");
  await sb.call("Stop", "asb", [[], true], `${JOBS}/svc`);
  await rec.until((m) => m.member === "JobAdded");
  assertEquals(await desc(), "new");
  const s = rec.summary();
  assert(s.indexOf(`JobRemoved(${JOBS}/svc)`) < s.indexOf(`JobAdded(${JOBS}/svc)`));
  // The replaced definition goes with its last instance: Upstart sends no InstanceRemoved.
  assert(!s.some((x) => x.startsWith("InstanceRemoved")), s.join(" "));
});

Deno.test("ReloadConfiguration sends JobRemoved then JobAdded for each job without instances", async () => {
  await using sb = await startSandbox({ jobs: { a: "exec sleep 1\n" }, watch: false });
  await using rec = await sb.record();
  await sb.call("ReloadConfiguration");
  await rec.until((m) => m.member === "JobAdded");
  assertEquals(rec.summary(), [`JobRemoved(${JOBS}/a)`, `JobAdded(${JOBS}/a)`]);
});

Deno.test("Properties: version, log_priority, GetAll quirks and errors", async () => {
  await using sb = await startSandbox({
    jobs: { svc: "start on (a and b) or c KEY=val\nexec sleep 1000\n" },
  });
  const get = (path: string, iface: string, name: string) =>
    sb.client.getProperty({ destination: "com.ubuntu.Upstart", path, interface: iface, name });
  const version = await get(UPSTART, "com.ubuntu.Upstart0_6", "version") as string;
  assertEquals(version, SANDBOX_VERSION);
  assert(/^init \(upstart 1\.13\.2\)/.test(version));
  await sb.client.setProperty({
    destination: "com.ubuntu.Upstart",
    path: UPSTART,
    interface: "com.ubuntu.Upstart0_6",
    name: "log_priority",
    signature: "s",
    value: "debug",
  });
  assertEquals(await get(UPSTART, "com.ubuntu.Upstart0_6", "log_priority"), "debug");
  await assert.rejects(
    sb.call(
      "Set",
      "ssv",
      ["com.ubuntu.Upstart0_6", "log_priority", new Variant("s", "loud")],
      UPSTART,
      "org.freedesktop.DBus.Properties",
    ),
    (e: DBusError) => e.message === "The log priority given was not recognised",
  );
  await assert.rejects(
    sb.call(
      "Set",
      "ssv",
      ["com.ubuntu.Upstart0_6", "version", new Variant("s", "x")],
      UPSTART,
      "org.freedesktop.DBus.Properties",
    ),
    (e: DBusError) =>
      e.name === "org.freedesktop.DBus.Error.AccessDenied" &&
      e.message === "The version property is read-only",
  );
  const [all] = await sb.call(
    "GetAll",
    "s",
    [""],
    `${JOBS}/svc`,
    "org.freedesktop.DBus.Properties",
  );
  const map = all as Map<string, Variant>;
  assertEquals([...map.keys()].sort(), [
    "author",
    "description",
    "emits",
    "name",
    "start_on",
    "stop_on",
    "usage",
    "version",
  ]);
  assertEquals(map.get("start_on")!.value, [["a"], ["b"], ["/AND"], ["c", "KEY=val"], ["/OR"]]);
  const [foreign] = await sb.call(
    "GetAll",
    "s",
    ["org.example.Other"],
    `${JOBS}/svc`,
    "org.freedesktop.DBus.Properties",
  );
  assertEquals((foreign as Map<string, Variant>).size, 0);
  await assert.rejects(
    get(`${JOBS}/svc`, "com.ubuntu.Upstart0_6.Job", "nope"),
    (e: DBusError) =>
      e.name === "org.freedesktop.DBus.Error.UnknownMethod" &&
      e.message ===
        'Method "Get" with signature "ss" on interface "org.freedesktop.DBus.Properties" doesn\'t exist\n',
  );
  await assert.rejects(
    sb.call("GetAll", "s", [""], `${JOBS}/svc/_`, "org.freedesktop.DBus.Properties"),
    (e: DBusError) => e.name === "org.freedesktop.DBus.Error.UnknownMethod",
  );
});

Deno.test("session environment methods, with and without job_details", async () => {
  await using sb = await startSandbox({ jobs: { svc: "env FOO=bar\nexec sleep 1000\n" } });
  const [env0] = await sb.call("ListEnv", "as", [[]]);
  assert((env0 as string[]).some((e) => e.startsWith("PATH=")));
  await sb.call("SetEnv", "assb", [[], "X=1", true]);
  assertEquals((await sb.call("GetEnv", "ass", [[], "X"]))[0], "1");
  await sb.call("SetEnv", "assb", [[], "X=2", false]);
  assertEquals((await sb.call("GetEnv", "ass", [[], "X"]))[0], "1");
  await sb.call("SetEnvList", "asasb", [[], ["Y=3", "Z"], true]);
  assertEquals((await sb.call("GetEnv", "ass", [[], "Z"]))[0], "");
  await sb.call("UnsetEnvList", "asas", [[], ["Y", "Z"]]);
  await assert.rejects(
    sb.call("GetEnv", "ass", [[], "Y"]),
    (e: DBusError) =>
      e.name === "org.freedesktop.DBus.Error.InvalidArgs" && e.message === "No such variable: Y",
  );
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  assertEquals((await sb.call("GetEnv", "ass", [["svc", ""], "FOO"]))[0], "bar");
  assertEquals((await sb.call("GetEnv", "ass", [["svc", ""], "X"]))[0], "1");
  await assert.rejects(
    sb.call("ListEnv", "as", [["nope", ""]]),
    (e: DBusError) => e.message === "Unknown job: nope",
  );
  await assert.rejects(
    sb.call("ListEnv", "as", [["svc", "i"]]),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.UnknownJobInstance" &&
      e.message === "Unknown instance: i of job svc",
  );
  await sb.call("ResetEnv", "as", [[]]);
  await assert.rejects(sb.call("GetEnv", "ass", [[], "X"]), /No such variable: X/);
});

Deno.test("console log writes <logdir>/<job>.log and <job>-<instance>.log", async () => {
  await using sb = await startSandbox({
    jobs: {
      t: "task\nexec echo hello from $UPSTART_JOB\n",
      i: "task\ninstance $N\nscript\n  echo one\n  echo two >&2\nend script\n",
    },
  });
  await sb.call("Start", "asb", [[], true], `${JOBS}/t`);
  await sb.call("Start", "asb", [["N=a/b"], true], `${JOBS}/i`);
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/t.log`), "hello from t\r\n"); // the pty's CR LF, as Upstart writes it
  const log = await Deno.readTextFile(`${sb.sandbox.logDir}/i-a_b.log`);
  assertEquals(log.split("\r\n").sort(), ["", "one", "two"]);
});

/** Waits until the job's log contains `text` (a job writes a marker once its traps are set). */
async function waitForLog(path: string, text: string): Promise<string> {
  const end = Date.now() + 10000;
  for (;;) {
    const log = await Deno.readTextFile(path).catch(() => "");
    if (log.includes(text)) return log;
    if (Date.now() > end) {
      throw new Error(`${path} never contained ${JSON.stringify(text)}: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

Deno.test("kill signal and kill timeout: SIGKILL follows when the process ignores the signal", async () => {
  await using sb = await startSandbox({
    jobs: {
      stubborn: "kill timeout 1\nkill signal USR1\n" +
        "exec sh -c 'trap \"echo got-usr1\" USR1; echo ready; while true; do sleep 0.1; done'\n",
    },
  });
  const log = `${sb.sandbox.logDir}/stubborn.log`;
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[], true], `${JOBS}/stubborn`);
  // The signal must not arrive before the shell has set its trap (a race real Upstart has too).
  await waitForLog(log, "ready\r\n");
  await sb.call("Stop", "asb", [[], true], `${JOBS}/stubborn`);
  const usr1 = sb.sandbox.messages.findIndex((l) =>
    /Sending USR1 signal to stubborn main process/.test(l.message)
  );
  const kill = sb.sandbox.messages.findIndex((l) =>
    /Sending KILL signal to stubborn main process/.test(l.message)
  );
  assert(usr1 >= 0 && kill > usr1, "USR1 first, then KILL once the kill timeout ran out");
  assert(
    sb.sandbox.messages.some((l) =>
      l.message.startsWith("stubborn main process") &&
      l.message.endsWith("killed by KILL signal")
    ),
  );
  // The trap ran (dash may also report the `sleep` child that USR1 killed).
  assert((await waitForLog(log, "got-usr1\r\n")).startsWith("ready\r\n"));
  const stopping = rec.seen.find((m) => m.member === "EventEmitted" && m.body[0] === "stopping")!;
  assertEquals(stopping.body[1], ["JOB=stubborn", "INSTANCE=", "RESULT=ok"]);
});

Deno.test("Reload sends the reload signal; NotRunning when there is no main process", async () => {
  await using sb = await startSandbox({
    jobs: {
      r: "exec sh -c 'trap \"echo reloaded\" HUP; echo ready; while true; do sleep 0.1; done'\n",
      usr2: "reload signal USR2\n" +
        "exec sh -c 'trap \"echo got-usr2\" USR2; echo ready; while true; do sleep 0.1; done'\n",
      nomain: "pre-start exec true\n",
    },
  });
  await sb.call("Start", "asb", [[], true], `${JOBS}/r`);
  await waitForLog(`${sb.sandbox.logDir}/r.log`, "ready\r\n");
  await sb.call("Reload", "", [], `${JOBS}/r/_`);
  assert(await waitForLog(`${sb.sandbox.logDir}/r.log`, "reloaded\r\n"));
  await sb.call("Start", "asb", [[], true], `${JOBS}/usr2`);
  await waitForLog(`${sb.sandbox.logDir}/usr2.log`, "ready\r\n");
  await sb.call("Reload", "", [], `${JOBS}/usr2/_`);
  assert(await waitForLog(`${sb.sandbox.logDir}/usr2.log`, "got-usr2\r\n"));
  // Still running: a trapped reload signal does not stop the job.
  const state = await sb.client.getProperty({
    destination: "com.ubuntu.Upstart",
    path: `${JOBS}/usr2/_`,
    interface: "com.ubuntu.Upstart0_6.Instance",
    name: "state",
  });
  assertEquals(state, "running");
  await sb.call("Start", "asb", [[], true], `${JOBS}/nomain`);
  await assert.rejects(
    sb.call("Reload", "", [], `${JOBS}/nomain/_`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.NotRunning" &&
      e.message === "Job is not running: nomain",
  );
});

Deno.test("what the sandbox cannot enforce is loaded, published and reported", async () => {
  await using sb = await startSandbox({
    jobs: {
      root: 'description "needs root"\nsetuid nobody\nchroot /srv\noom score 100\nexec sleep 1\n',
    },
  });
  const [path] = await sb.call("GetJobByName", "s", ["root"]);
  assertEquals(path, `${JOBS}/root`);
  const ne = sb.sandbox.notEnforced("root");
  assert(ne.some((l) => l.startsWith("setuid nobody")));
  assert(ne.some((l) => l.startsWith("chroot /srv")));
  assert(ne.some((l) => l.startsWith("oom score 100")));
  assert(
    sb.sandbox.messages.some((l) => l.message.startsWith("root: not enforced by the sandbox: ")),
  );
});

Deno.test("object paths escape job and instance names as libnih does", async () => {
  await using sb = await startSandbox({
    jobs: { "a.b": "instance $N\nexec sleep 1000\n", "x_y": "exec sleep 1000\n" },
  });
  assertEquals((await sb.call("GetJobByName", "s", ["a.b"]))[0], `${JOBS}/a_2eb`);
  assertEquals((await sb.call("GetJobByName", "s", ["x_y"]))[0], `${JOBS}/x_5fy`);
  const [inst] = await sb.call("Start", "asb", [["N=with space"], true], `${JOBS}/a_2eb`);
  assertEquals(inst, `${JOBS}/a_2eb/with_20space`);
  assertEquals((await sb.call("GetInstanceByName", "s", ["with space"], `${JOBS}/a_2eb`))[0], inst);
  assertEquals((await sb.call("GetInstance", "as", [["N=with space"]], `${JOBS}/a_2eb`))[0], inst);
  const name = await sb.client.getProperty({
    destination: "com.ubuntu.Upstart",
    path: inst as string,
    interface: "com.ubuntu.Upstart0_6.Instance",
    name: "name",
  });
  assertEquals(name, "with space");
  await assert.rejects(
    sb.call("GetInstanceByName", "s", ["nope"], `${JOBS}/a_2eb`),
    (e: DBusError) =>
      e.name === "com.ubuntu.Upstart0_6.Error.UnknownInstance" &&
      e.message === "Unknown instance: nope",
  );
  assertEquals((await sb.call("Start", "asb", [[], true], `${JOBS}/x_5fy`))[0], `${JOBS}/x_5fy/_`);
});

Deno.test("Introspect lists Upstart's methods, signals and properties with their signatures", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  const xml = async (path: string) =>
    (await sb.call("Introspect", "", [], path, "org.freedesktop.DBus.Introspectable"))[0] as string;
  const manager = await xml(UPSTART);
  for (
    const m of [
      "ReloadConfiguration",
      "GetJobByName",
      "GetAllJobs",
      "GetState",
      "Restart",
      "GetEnv",
      "SetEnv",
      "SetEnvList",
      "UnsetEnv",
      "UnsetEnvList",
      "ListEnv",
      "ResetEnv",
      "EmitEvent",
      "EmitEventWithFile",
      "NotifyDiskWriteable",
      "NotifyDBusAddress",
      "NotifyCGroupManagerAddress",
      "EndSession",
    ]
  ) assert(manager.includes(`<method name="${m}">`), m);
  assert(manager.includes('<arg name="job_details" type="as" direction="in"/>'));
  assert(manager.includes('<property name="log_priority" type="s" access="readwrite"/>'));
  assert(manager.includes('<signal name="Restarted">'));
  const job = await xml(`${JOBS}/svc`);
  assert(
    /<method name="Start">\s*<arg name="env" type="as" direction="in"\/>\s*<arg name="wait" type="b" direction="in"\/>\s*<arg name="instance" type="o" direction="out"\/>/
      .test(job),
  );
  assert(job.includes('<property name="start_on" type="aas" access="read"/>'));
  const inst = await xml(`${JOBS}/svc/_`);
  assert(
    /<method name="Stop">\s*<arg name="wait" type="b" direction="in"\/>\s*<\/method>/.test(inst),
  );
  assert(inst.includes('<property name="processes" type="a(si)" access="read"/>'));
  assert(/<signal name="Failed">\s*<arg name="status" type="i"\/>/.test(inst));
});

Deno.test("a changed file replaces a job with no instance: JobRemoved, then JobAdded", async () => {
  await using sb = await startSandbox({ jobs: { a: 'description "one"\nexec sleep 1\n' } });
  await using rec = await sb.record();
  await sb.writeJob("a", 'description "two"\nexec sleep 1\n');
  await rec.until((m) => m.member === "JobAdded", 2000);
  assertEquals(rec.summary(), [`JobRemoved(${JOBS}/a)`, `JobAdded(${JOBS}/a)`]);
  const desc = await sb.client.getProperty({
    destination: "com.ubuntu.Upstart",
    path: `${JOBS}/a`,
    interface: "com.ubuntu.Upstart0_6.Job",
    name: "description",
  });
  assertEquals(desc, "two");
  // A file that no longer parses removes the job, with Upstart's log line.
  await sb.writeJob("a", "bogus\n");
  await rec.until((m) => m.member === "JobRemoved" && rec.seen.indexOf(m) > 1, 2000);
  assert(sb.sandbox.messages.some((l) => l.message === `${sb.jobDir}/a.conf:1: Unknown stanza`));
  await assert.rejects(sb.call("GetJobByName", "s", ["a"]), /Unknown job: a/);
});

Deno.test("Restart re-reads the job files and sends Restarted; jobs keep running", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" }, watch: false });
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  await sb.writeJob("new", "exec sleep 1\n");
  await using rec = await sb.record();
  await sb.call("Restart");
  await rec.until((m) => m.member === "Restarted");
  assertEquals((await sb.call("GetJobByName", "s", ["new"]))[0], `${JOBS}/new`);
  assertEquals((await sb.call("GetAllInstances", "", [], `${JOBS}/svc`))[0], [`${JOBS}/svc/_`]);
});

Deno.test("EmitEventWithFile emits the event and closes the descriptor it was handed", async () => {
  await using sb = await startSandbox({ jobs: { on: "task\nstart on with-file\nexec true\n" } });
  // A file only this test opens: its descriptors can be counted whatever other tests do.
  const path = await Deno.makeTempFile({ prefix: "emit-with-file-" });
  using _file = await Deno.open(path); // held open while the descriptor is sent
  const holders = () =>
    [...Deno.readDirSync("/proc/self/fd")].filter((e) => {
      try {
        return Deno.readLinkSync(`/proc/self/fd/${e.name}`) === path;
      } catch {
        return false; // closed meanwhile
      }
    }).map((e) => Number(e.name));
  const [fd] = holders();
  for (let i = 0; i < 10; i++) {
    await sb.call("EmitEventWithFile", "sasbh", ["with-file", [], true, fd]);
  }
  assertEquals(holders(), [fd]);
  await Deno.remove(path);
});

Deno.test("a job file whose name is not UTF-8 is logged, not skipped in silence", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  const made = await new Deno.Command("sh", {
    args: ["-c", `printf 'task\\n' > "$1/$(printf 'bad\\377')".conf`, "sh", sb.jobDir],
  }).output();
  assert.ok(made.success);
  await sb.call("ReloadConfiguration");
  assert.ok(
    sb.sandbox.messages.some((l) =>
      l.level === "warn" && /the file name is not valid UTF-8: not loaded/.test(l.message)
    ),
    JSON.stringify(sb.sandbox.messages),
  );
});

Deno.test("the job directory deleted and made again is watched again (new files are noticed)", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await Deno.remove(sb.jobDir, { recursive: true });
  await until(async () => {
    const [jobs] = await sb.call("GetAllJobs");
    return (jobs as string[]).length === 0;
  }, "the jobs of the deleted directory to go");
  await Deno.mkdir(sb.jobDir);
  await Deno.writeTextFile(`${sb.jobDir}/fresh.conf`, "exec sleep 1000\n");
  await until(async () => {
    const [jobs] = await sb.call("GetAllJobs");
    return (jobs as string[]).some((p) => p.endsWith("/fresh"));
  }, "the new file noticed without ReloadConfiguration");
  // And the new directory's watch works for later changes too.
  await Deno.writeTextFile(`${sb.jobDir}/later.conf`, "exec sleep 1000\n");
  await until(async () => {
    const [jobs] = await sb.call("GetAllJobs");
    return (jobs as string[]).some((p) => p.endsWith("/later"));
  }, "a later file noticed");
});
