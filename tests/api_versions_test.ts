/**
 * Older daemons: a peer proxy in front of the sandbox reports an old `version` and answers
 * `UnknownMethod` for what that release lacks, as the real one would. Calls the daemon lacks
 * fail with `UnsupportedError` naming the release that added them, before anything is sent.
 */
import assert from "node:assert/strict";
import { sandboxSystem } from "./support/api_sandbox.ts";
import { NotRunningError, UnknownInstanceError, UnsupportedError } from "../src/errors.ts";
import { until } from "./support/poll.ts";
import { FEATURES } from "../src/versions.ts";

const JOBS = { "svc": "exec sleep 1000\n" };

/** The members of FEATURES a release lacks. */
function lacking(version: string): string[] {
  const [a, b, c = 0] = version.split(".").map(Number);
  return Object.values(FEATURES).filter((f) => {
    const [x, y, z = 0] = f.since.split(".").map(Number);
    return x > a || (x === a && (y > b || (y === b && z > c)));
  }).map((f) => f.member);
}

function unsupported(since: string, feature: string) {
  return (e: unknown) => {
    assert.ok(e instanceof UnsupportedError, String(e));
    assert.equal(e.since, since);
    assert.equal(e.feature, feature);
    assert.match(e.message, new RegExp(`^${feature} needs Upstart ${since.replace(".", "\\.")}`));
    return true;
  };
}

Deno.test("Ubuntu 12.04 (1.5): env calls and NotifyDBusAddress are UnsupportedError", async () => {
  await using sb = await sandboxSystem(JOBS, {
    peer: true,
    version: "init (upstart 1.5)",
    missing: lacking("1.5"),
  });
  const s = sb.system;
  assert.equal(await s.version(), "init (upstart 1.5)");
  assert.deepEqual(s.versionInfo?.numbers, [1, 5, 0]);
  await assert.rejects(() => s.getEnv("PATH"), unsupported("1.7", "GetEnv"));
  await assert.rejects(() => s.setEnv({ A: "1" }), unsupported("1.7", "SetEnv"));
  await assert.rejects(() => s.listEnv(), unsupported("1.7", "ListEnv"));
  await assert.rejects(() => s.endSession(), unsupported("1.7", "EndSession"));
  await assert.rejects(
    () => s.notifyDBusAddress("unix:path=/x"),
    unsupported("1.11", "NotifyDBusAddress"),
  );
  await assert.rejects(() => s.reexec(), unsupported("1.6.1", "Restart"));
  await assert.rejects(
    () => s.notifyCGroupManagerAddress("unix:path=/x"),
    unsupported("1.13", "NotifyCGroupManagerAddress"),
  );
  const job = await s.job("svc");
  const inst = await job.start();
  // What 1.5 has works: conditions, waits, disk notification.
  assert.equal(await job.startOn(), null);
  await s.notifyDiskWriteable();
  await inst.waitFor("running", { timeout: 10_000 });
  await job.stop();
  // Refused before sending: the daemon never saw the calls it lacks.
  await sb.proxy!.sync(s.connection);
  const sent = sb.proxy!.calls.map((c) => c.slice(c.lastIndexOf(".") + 1));
  for (
    const member of ["GetEnv", "SetEnv", "ListEnv", "EndSession", "NotifyDBusAddress", "Reload"]
  ) {
    assert.ok(!sent.includes(member), member);
  }
});

Deno.test("RHEL 6 (0.6.5): no start_on/stop_on, no instance signals to wait on", async () => {
  await using sb = await sandboxSystem(JOBS, {
    peer: true,
    version: "init (upstart 0.6.5)",
    missing: lacking("0.6.5"),
  });
  const s = sb.system;
  const job = await s.job("svc");
  await assert.rejects(() => job.startOn(), unsupported("0.6.7", "start_on"));
  await assert.rejects(() => job.stopOnRaw(), unsupported("0.6.7", "stop_on"));
  const inst = await job.start();
  assert.equal(inst.state, "running");
  await assert.rejects(() => inst.waitFor("running"), unsupported("0.6.7", "StateChanged"));
  assert.equal((await s.statusAll()).find((j) => j.name === "svc")?.instances[0].state, "running");
  await job.stop();
});

Deno.test("Upstart 1.7 to 1.12: several variables are set one SetEnv at a time (no SetEnvList)", async () => {
  await using sb = await sandboxSystem(JOBS, {
    peer: true,
    version: "init (upstart 1.12.1)",
    missing: lacking("1.12.1"),
  });
  const s = sb.system;
  await s.setEnv({ A: "1", B: "2" });
  await s.unsetEnv(["A"]);
  assert.deepEqual(Object.entries(await s.listEnv()).filter(([k]) => k === "A" || k === "B"), [
    ["B", "2"],
  ]);
  await sb.proxy!.sync(s.connection);
  const sent = sb.proxy!.calls.map((c) => c.slice(c.lastIndexOf(".") + 1));
  assert.equal(sent.filter((m) => m === "SetEnv").length, 2);
  assert.ok(!sent.includes("SetEnvList"));
});

/** A job whose main process logs `ready` once it traps SIGHUP, then `hup` for each one. */
const hupJob = (log: string) =>
  `exec sh -c 'trap "echo hup >> ${log}" HUP; echo ready >> ${log}; while :; do sleep 0.05; done'\n`;

Deno.test("Ubuntu 12.04 (1.5): reload sends SIGHUP from here (no Instance.Reload), as initctl does", async () => {
  const log = await Deno.makeTempFile();
  try {
    await using sb = await sandboxSystem({ hup: hupJob(log) }, {
      peer: true,
      version: "init (upstart 1.5)",
      missing: lacking("1.5"),
    });
    const job = await sb.system.job("hup");
    // Not running: initctl's own message.
    await assert.rejects(() => job.reload(), UnknownInstanceError);
    const inst = await job.start();
    await until(async () => (await Deno.readTextFile(log)).includes("ready"), "ready");
    await inst.reload();
    await until(async () => (await Deno.readTextFile(log)).includes("hup"), "the first SIGHUP");
    await job.reload();
    await until(
      async () => (await Deno.readTextFile(log)).split("hup").length === 3,
      "the second SIGHUP",
    );
    assert.equal((await inst.status()).state, "running");
    await job.stop();
    // An instance with no main process: Not running, nothing signalled.
    await assert.rejects(() => inst.reload(), (e: unknown) => {
      assert.ok(e instanceof NotRunningError, String(e));
      assert.equal(e.message, "Not running");
      return true;
    });
    await sb.proxy!.sync(sb.system.connection);
    assert.ok(!sb.proxy!.calls.includes("com.ubuntu.Upstart0_6.Instance.Reload"));
  } finally {
    await Deno.remove(log);
  }
});
