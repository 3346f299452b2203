/** Name escaping (libnih's nih_dbus_path), versions, env checks, error mapping and connect targets: no daemon needed. */
import assert from "node:assert/strict";
import { DBusError } from "../ffi/mod.ts";
import {
  assertJobName,
  escapePathElement,
  instancePath,
  isLossyPathElement,
  jobPath,
  splitUpstartPath,
  unescapePathElement,
} from "../src/names.ts";
import {
  compareVersions,
  FEATURES,
  hasFeature,
  parseVersion,
  requireFeature,
} from "../src/versions.ts";
import { fromEnvList, jobDetails, toEnvList } from "../src/env.ts";
import {
  AlreadyStartedError,
  AlreadyStoppedError,
  EventFailedError,
  InvalidArgumentError,
  InvalidEnvError,
  JobFailedError,
  NotRunningError,
  PermissionDeniedError,
  toUpstartError,
  UnknownInstanceError,
  UnknownJobError,
  UnsupportedError,
  UpstartError,
} from "../src/errors.ts";
import { connectTargets, PRIVATE_ADDRESS } from "../src/connect.ts";
import { failureText } from "../src/instance.ts";
import { toUpstartEvent } from "../src/events.ts";

Deno.test("escapePathElement follows nih_dbus_path: alnum kept, other bytes _xx, empty is _", () => {
  assert.equal(escapePathElement("my-job"), "my_2djob");
  assert.equal(escapePathElement("a.b"), "a_2eb");
  assert.equal(escapePathElement("x_y"), "x_5fy");
  assert.equal(escapePathElement("with space"), "with_20space");
  assert.equal(escapePathElement("sub/dir"), "sub_2fdir");
  assert.equal(escapePathElement(""), "_");
  assert.equal(escapePathElement("ABCxyz019"), "ABCxyz019");
  assert.equal(escapePathElement("\x01~"), "_01_7e");
});

Deno.test("non-ASCII bytes escape to _ff each, as Upstart 1.13's signed-char bug does", () => {
  assert.equal(escapePathElement("é"), "_ff_ff"); // two UTF-8 bytes
  assert.equal(escapePathElement("café"), escapePathElement("cafè")); // they collide
  assert.ok(isLossyPathElement("caf_ff_ff"));
  assert.ok(!isLossyPathElement("x_5fff")); // "_5f" then plain "ff"
  assert.ok(!isLossyPathElement("my_2djob"));
});

Deno.test("unescapePathElement reverses escapePathElement for every ASCII name", () => {
  const names = ["", "a", "my-job", "x_y", "a.b.c", "sub/dir/job", "_", "__", "-", "~!@#$%^&*()"];
  for (let c = 1; c < 128; c++) names.push(`j${String.fromCharCode(c)}k`);
  for (const name of names) assert.equal(unescapePathElement(escapePathElement(name)), name);
  assert.equal(unescapePathElement("caf_c3_a9"), "café"); // proper UTF-8 escapes decode too
});

Deno.test("unescapePathElement rejects what nih_dbus_path cannot produce", () => {
  for (const bad of ["", "a-b", "_2", "_zz", "a_", "_2D", "é"]) {
    assert.throws(() => unescapePathElement(bad), TypeError, bad);
  }
});

Deno.test("job names that no job file can produce are rejected before any call", () => {
  for (const bad of ["", "/ssh", "ssh/", "a//b", "./a", "a/../b", "nul\0"]) {
    assert.throws(() => assertJobName(bad), TypeError, JSON.stringify(bad));
  }
  assert.throws(() => assertJobName("\ud800"), TypeError);
  assert.throws(() => assertJobName(3 as unknown as string), TypeError);
  for (const good of ["ssh", "network-interface", "sub/dir/job", "a.conf", "x y", "café"]) {
    assert.equal(assertJobName(good), good);
  }
});

Deno.test("job and instance paths", () => {
  assert.equal(jobPath("avahi-daemon"), "/com/ubuntu/Upstart/jobs/avahi_2ddaemon");
  assert.equal(instancePath("ssh", ""), "/com/ubuntu/Upstart/jobs/ssh/_");
  assert.equal(instancePath("tty", "tty1"), "/com/ubuntu/Upstart/jobs/tty/tty1");
  assert.deepEqual(splitUpstartPath("/com/ubuntu/Upstart/jobs/ssh/_"), {
    job: "ssh",
    instance: "_",
  });
  assert.deepEqual(splitUpstartPath("/com/ubuntu/Upstart/jobs/ssh"), {
    job: "ssh",
    instance: null,
  });
  assert.equal(splitUpstartPath("/com/ubuntu/Upstart"), null);
  assert.equal(splitUpstartPath("/com/ubuntu/Upstart/jobs/a/b/c"), null);
});

Deno.test("parseVersion reads init (upstart X.Y[.Z]) with any suffix", () => {
  assert.deepEqual(parseVersion("init (upstart 1.13.2)")?.numbers, [1, 13, 2]);
  assert.deepEqual(parseVersion("init (upstart 0.6.5)")?.numbers, [0, 6, 5]);
  assert.deepEqual(parseVersion("init (upstart 1.5)")?.numbers, [1, 5, 0]);
  assert.equal(parseVersion("init (upstart 1.13.2) sandbox")?.suffix, "sandbox");
  assert.equal(parseVersion("init (upstart 1.12.1-0ubuntu4)")?.suffix, "-0ubuntu4");
  assert.equal(parseVersion("something else"), null);
});

Deno.test("compareVersions orders numerically", () => {
  assert.ok(compareVersions("1.5", "1.13") < 0);
  assert.ok(compareVersions("0.6.7", "0.6.5") > 0);
  assert.equal(compareVersions("1.7", "1.7.0"), 0);
  assert.throws(() => compareVersions("1", "2"), TypeError);
});

Deno.test("features by version: RHEL 6 (0.6.5), Ubuntu 12.04 (1.5), 14.04 (1.13)", () => {
  const rhel6 = parseVersion("init (upstart 0.6.5)");
  const precise = parseVersion("init (upstart 1.5)");
  const trusty = parseVersion("init (upstart 1.13.2)");
  assert.ok(!hasFeature(rhel6, "job.start_on"));
  assert.ok(!hasFeature(rhel6, "instance.StateChanged"));
  assert.ok(hasFeature(precise, "job.start_on"));
  assert.ok(hasFeature(precise, "manager.NotifyDiskWriteable"));
  assert.ok(!hasFeature(precise, "manager.GetEnv"));
  assert.ok(!hasFeature(precise, "instance.Reload"));
  for (const key of Object.keys(FEATURES)) assert.ok(hasFeature(trusty, key), key);
  assert.ok(hasFeature(null, "manager.GetEnv")); // unknown version: allowed
  assert.ok(hasFeature(rhel6, "manager.EmitEvent")); // not in the table: in every version
  const e = assert.throws(() => requireFeature(precise, "manager.GetEnv"), (e: unknown) => {
    assert.ok(e instanceof UnsupportedError);
    assert.equal(e.since, "1.7");
    assert.equal(e.feature, "GetEnv");
    assert.match(
      e.message,
      /GetEnv needs Upstart 1\.7 or later: the daemon is "init \(upstart 1\.5\)"/,
    );
    return true;
  });
  void e;
});

Deno.test("toEnvList accepts objects and KEY=VALUE lists as Upstart does, rejects bad keys and NUL", () => {
  assert.deepEqual(toEnvList({ A: "1", B: "x=y" }), ["A=1", "B=x=y"]);
  assert.deepEqual(toEnvList(["A=1", "B="]), ["A=1", "B="]);
  assert.deepEqual(toEnvList(undefined), []);
  assert.throws(() => toEnvList({ "A=B": "1" }), /may not contain "="/);
  assert.throws(() => toEnvList({ "": "1" }), /empty/);
  assert.throws(() => toEnvList({ A: "x\0" }), /NUL/);
  assert.throws(() => toEnvList({ A: 1 as unknown as string }), TypeError);
  assert.throws(() => toEnvList(["NOEQUALS"]), /expected KEY=VALUE/);
  assert.deepEqual(toEnvList(["=x"]), ["=x"]); // Upstart's environ_all_valid takes it
  assert.throws(() => toEnvList("A=1" as unknown as string[]), TypeError);
  assert.deepEqual(fromEnvList(["A=1", "B=x=y", "C"]), { A: "1", B: "x=y", C: "" });
  assert.deepEqual(jobDetails({}), []);
  assert.deepEqual(jobDetails({ job: "web", instance: "8080" }), ["web", "8080"]);
  assert.throws(() => jobDetails({ instance: "x" }), TypeError);
  assert.throws(() => jobDetails({ job: "" }), TypeError);
});

Deno.test("toUpstartError maps every Upstart error name and keeps name and message", () => {
  const E = "com.ubuntu.Upstart0_6.Error.";
  const cases: [string, string, new (...a: never[]) => UpstartError][] = [
    [E + "UnknownJob", "Unknown job: x", UnknownJobError],
    [E + "UnknownInstance", "Unknown instance: ", UnknownInstanceError],
    [E + "AlreadyStarted", "Job is already running: svc", AlreadyStartedError],
    [E + "AlreadyStopped", "Job has already been stopped: svc", AlreadyStoppedError],
    [E + "NotRunning", "Job is not running: svc", NotRunningError],
    [E + "JobFailed", "Job failed to start", JobFailedError],
    [E + "EventFailed", "Event failed", EventFailedError],
    [E + "PermissionDenied", "You do not have permission to modify job: x", PermissionDeniedError],
    ["org.freedesktop.DBus.Error.AccessDenied", "Rejected send message", PermissionDeniedError],
    [
      "org.freedesktop.DBus.Error.AccessDenied",
      "The version property is read-only",
      InvalidArgumentError,
    ],
    ["org.freedesktop.DBus.Error.InvalidArgs", "Env must be KEY=VALUE pairs", InvalidEnvError],
    ["org.freedesktop.DBus.Error.InvalidArgs", "Unknown parameter: N", InvalidEnvError],
    ["org.freedesktop.DBus.Error.InvalidArgs", "No such variable: X", InvalidArgumentError],
    [E + "CGroupManagerNotAvailable", "", UpstartError],
  ];
  for (const [name, message, Class] of cases) {
    const cause = new DBusError(name, message);
    const e = toUpstartError(cause) as UpstartError;
    assert.ok(e instanceof Class, name);
    assert.equal(e.dbusName, name);
    assert.equal(e.dbusMessage, message);
    assert.equal(e.cause, cause);
    assert.equal(e.name, Class.name);
    if (Class === PermissionDeniedError) assert.match(e.message, /needs root/);
    else assert.equal(e.message, message);
  }
  const other = new DBusError("org.freedesktop.DBus.Error.NoReply", "x");
  assert.equal(toUpstartError(other), other);
  const plain = new Error("x");
  assert.equal(toUpstartError(plain), plain);
});

Deno.test("connectTargets follows initctl: UPSTART_SESSION, else root private+system, else system", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.deepEqual(connectTargets({}, env({ UPSTART_SESSION: "unix:abstract=/s" }), 0), [
    { label: "the user session unix:abstract=/s", address: "unix:abstract=/s", peer: true },
  ]);
  const root = connectTargets({}, env({}), 0);
  assert.deepEqual(root.map((t) => [t.address, t.peer]), [[PRIVATE_ADDRESS, true], [
    "system",
    false,
  ]]);
  assert.deepEqual(connectTargets({}, env({}), 1000).map((t) => t.address), ["system"]);
  assert.deepEqual(connectTargets({ bus: "private" }, env({}), 1000).map((t) => t.peer), [true]);
  assert.deepEqual(
    connectTargets({ bus: "session" }, env({ DBUS_SESSION_BUS_ADDRESS: "unix:path=/b" }), 0)
      .map((t) => [t.address, t.peer]),
    [["unix:path=/b", false]],
  );
  assert.deepEqual(connectTargets({ address: "unix:path=/x" }, env({}), 0)[0].peer, null);
  assert.deepEqual(
    connectTargets({ address: "unix:path=/x", peer: true }, env({}), 0)[0].peer,
    true,
  );
  assert.throws(() => connectTargets({ bus: "user" }, env({}), 0), /UPSTART_SESSION is not set/);
  assert.throws(() => connectTargets({ bus: "nope" as "user" }, env({}), 0), TypeError);
  assert.throws(() => connectTargets({ bus: "system", address: "x" }, env({}), 0), /only one/);
});

Deno.test("Failed statuses and signals become typed events", () => {
  assert.equal(failureText(-1), "could not be spawned");
  assert.equal(failureText(1), "exit status 1");
  assert.equal(failureText(256), "killed by signal 1");
  assert.equal(failureText(0), "respawning too fast");
  const base = { sender: null, signature: "o" };
  assert.deepEqual(
    toUpstartEvent({
      ...base,
      path: "/com/ubuntu/Upstart",
      interface: "com.ubuntu.Upstart0_6",
      member: "JobAdded",
      body: ["/com/ubuntu/Upstart/jobs/avahi_2ddaemon"],
    }),
    { type: "JobAdded", job: "avahi-daemon", path: "/com/ubuntu/Upstart/jobs/avahi_2ddaemon" },
  );
  assert.deepEqual(
    toUpstartEvent({
      ...base,
      path: "/com/ubuntu/Upstart/jobs/tty",
      interface: "com.ubuntu.Upstart0_6.Job",
      member: "InstanceRemoved",
      body: ["/com/ubuntu/Upstart/jobs/tty/tty1"],
    }),
    {
      type: "InstanceRemoved",
      job: "tty",
      instance: "tty1",
      path: "/com/ubuntu/Upstart/jobs/tty/tty1",
    },
  );
  assert.deepEqual(
    toUpstartEvent({
      ...base,
      path: "/com/ubuntu/Upstart/jobs/svc/_",
      interface: "com.ubuntu.Upstart0_6.Instance",
      member: "Failed",
      signature: "i",
      body: [256],
    }),
    {
      type: "Failed",
      job: "svc",
      instance: "",
      path: "/com/ubuntu/Upstart/jobs/svc/_",
      status: 256,
    },
  );
  assert.equal(
    toUpstartEvent({ ...base, path: "/x", interface: "org.x", member: "Y", body: [] }),
    null,
  );
});
