import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { DBusError } from "../ffi/mod.ts";
import { startSandbox } from "./support/sandbox.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const stoppedEnv = (m: { member: string; body: unknown[] }, job: string) =>
  m.member === "EventEmitted" && m.body[0] === "stopped" &&
  (m.body[1] as string[])[0] === `JOB=${job}`;

Deno.test("script runs through /bin/sh -e: the first failing command fails the job", async () => {
  await using sb = await startSandbox({
    jobs: { t: "task\nscript\n  echo before\n  false\n  echo after\nend script\n" },
  });
  await using rec = await sb.record();
  await assert.rejects(
    sb.call("Start", "asb", [[], true], `${JOBS}/t`),
    (e: DBusError) => e.name === "com.ubuntu.Upstart0_6.Error.JobFailed",
  );
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/t.log`), "before\r\n");
  const stopped = await rec.until((m) => stoppedEnv(m, "t"));
  assertEquals(stopped.body[1], [
    "JOB=t",
    "INSTANCE=",
    "RESULT=failed",
    "PROCESS=main",
    "EXIT_STATUS=1",
  ]);
  assert(rec.summary().includes("Failed(1)"));
});

Deno.test("exec with shell characters goes through /bin/sh -e", async () => {
  await using sb = await startSandbox({
    jobs: { shell: "task\nexec echo $((6 * 7)) > /dev/stdout\n" },
  });
  await sb.call("Start", "asb", [[], true], `${JOBS}/shell`);
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/shell.log`), "42\r\n");
});

Deno.test("env, export, Start's environment and UPSTART_JOB/UPSTART_INSTANCE reach the job and its events", async () => {
  await using sb = await startSandbox({
    jobs: {
      e: 'env A=1\nenv B="two words"\nexport A\nexport C\ntask\n' +
        'exec echo "A=$A B=$B C=$C job=$UPSTART_JOB inst=[$UPSTART_INSTANCE]"\n',
    },
  });
  await using rec = await sb.record();
  await sb.call("Start", "asb", [["A=override", "C=3"], true], `${JOBS}/e`);
  assertEquals(
    await Deno.readTextFile(`${sb.sandbox.logDir}/e.log`),
    "A=override B=two words C=3 job=e inst=[]\r\n",
  );
  const starting = await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "starting");
  assertEquals(starting.body[1], ["JOB=e", "INSTANCE=", "A=override", "C=3"]);
  const stopped = await rec.until((m) => stoppedEnv(m, "e"));
  assertEquals(stopped.body[1], ["JOB=e", "INSTANCE=", "RESULT=ok", "A=override", "C=3"]);
});

Deno.test("chdir sets the working directory (default /)", async () => {
  const dir = await Deno.makeTempDir();
  await using sb = await startSandbox({
    jobs: { here: `chdir ${dir}\ntask\nexec pwd\n`, root: "task\nexec pwd\n" },
  });
  await sb.call("Start", "asb", [[], true], `${JOBS}/here`);
  await sb.call("Start", "asb", [[], true], `${JOBS}/root`);
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/here.log`), `${dir}\r\n`);
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/root.log`), "/\r\n");
  await Deno.remove(dir);
});

Deno.test("normal exit: a listed status stops a respawning job cleanly; another one fails it", async () => {
  await using sb = await startSandbox({
    jobs: {
      ok: "respawn\nnormal exit 0 3\nexec sh -c 'exit 3'\n",
      bad: "normal exit 3\nexec sh -c 'exit 2'\n",
    },
  });
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[], false], `${JOBS}/ok`);
  const ok = await rec.until((m) => stoppedEnv(m, "ok"));
  assertEquals(ok.body[1], ["JOB=ok", "INSTANCE=", "RESULT=ok"]);
  assert(!rec.summary().some((s) => s.startsWith("Failed")));
  assert(
    !sb.sandbox.messages.some((l) => l.message.startsWith("ok main process ended, respawning")),
  );
  await sb.call("Start", "asb", [[], false], `${JOBS}/bad`);
  const bad = await rec.until((m) => stoppedEnv(m, "bad"));
  assertEquals(bad.body[1], [
    "JOB=bad",
    "INSTANCE=",
    "RESULT=failed",
    "PROCESS=main",
    "EXIT_STATUS=2",
  ]);
  assert(rec.summary().includes("Failed(2)"));
});

Deno.test("a main process killed by a signal: Failed(signal << 8) and EXIT_SIGNAL", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  const procs = await sb.client.getProperty({
    destination: "com.ubuntu.Upstart",
    path: `${JOBS}/svc/_`,
    interface: "com.ubuntu.Upstart0_6.Instance",
    name: "processes",
  }) as [string, number][];
  Deno.kill(procs[0][1], "SIGHUP");
  const stopped = await rec.until((m) => stoppedEnv(m, "svc"));
  assertEquals(stopped.body[1], [
    "JOB=svc",
    "INSTANCE=",
    "RESULT=failed",
    "PROCESS=main",
    "EXIT_SIGNAL=HUP",
  ]);
  assert(rec.summary().includes("Failed(256)"));
  assert(
    sb.sandbox.messages.some((l) =>
      l.level === "warn" && /^svc main process \(\d+\) killed by HUP signal$/.test(l.message)
    ),
  );
});

Deno.test("EmitEvent with wait returns once the jobs it started have finished; they see its env", async () => {
  await using sb = await startSandbox({
    jobs: {
      t: 'start on go\ntask\nscript\n  sleep 0.2\n  echo "X=$X events=$UPSTART_EVENTS"\nend script\n',
      svc: "start on go or other\nexec sleep 1000\n",
    },
  });
  await sb.call("EmitEvent", "sasb", ["go", ["X=1"], true]);
  // Returned only after the task ran to its end.
  assertEquals(await Deno.readTextFile(`${sb.sandbox.logDir}/t.log`), "X=1 events=go\r\n");
  assertEquals((await sb.call("GetEnv", "ass", [["svc", ""], "X"]))[0], "1");
  assertEquals((await sb.call("GetEnv", "ass", [["svc", ""], "UPSTART_EVENTS"]))[0], "go");
  assertEquals((await sb.call("GetAllInstances", "", [], `${JOBS}/t`))[0], []);
});

Deno.test("start on with positional arguments and globs: Upstart's matching", async () => {
  await using sb = await startSandbox({
    jobs: {
      pos2: "start on net eth0 up\ntask\nexec true\n",
      globpos: "start on net eth[0-9] *\ntask\nexec true\n",
      toomany: "start on net eth0 up extra\ntask\nexec true\n",
      negmiss: "start on net NOPE!=x\ntask\nexec true\n",
    },
  });
  await using rec = await sb.record();
  await sb.call("EmitEvent", "sasb", ["net", ["IFACE=eth0", "STATE=up"], true]);
  const started = rec.seen
    .filter((m) => m.member === "EventEmitted" && m.body[0] === "started")
    .map((m) => (m.body[1] as string[])[0]).sort();
  // Too many positional arguments, or a negated match on a missing key, do not match.
  assertEquals(started, ["JOB=globpos", "JOB=pos2"]);
});

Deno.test("stop on expands $VAR against the instance's environment", async () => {
  await using sb = await startSandbox({
    jobs: { w: "instance $N\nstart on up N=*\nstop on down N=$N\nexec sleep 1000\n" },
  });
  await sb.call("EmitEvent", "sasb", ["up", ["N=1"], true]);
  await sb.call("EmitEvent", "sasb", ["up", ["N=2"], true]);
  const instances = async () =>
    ((await sb.call("GetAllInstances", "", [], `${JOBS}/w`))[0] as string[]).sort();
  assertEquals(await instances(), [`${JOBS}/w/1`, `${JOBS}/w/2`]);
  await sb.call("EmitEvent", "sasb", ["down", ["N=1"], true]);
  assertEquals(await instances(), [`${JOBS}/w/2`]);
});
