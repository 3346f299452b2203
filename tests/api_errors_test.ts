/**
 * Typed errors from a live daemon: a non-root user's view of the system bus (Upstart's own
 * policy rules) turns every control call into PermissionDeniedError with its hint, while the
 * read-only calls keep working; Upstart's own errors keep their D-Bus name and message.
 */
import assert from "node:assert/strict";
import { policySandbox, sandboxSystem } from "./support/api_sandbox.ts";
import { System } from "../src/system.ts";
import {
  AlreadyStoppedError,
  EventFailedError,
  JobFailedError,
  PermissionDeniedError,
  UnknownInstanceError,
  UpstartError,
} from "../src/errors.ts";

function denied(e: unknown): boolean {
  assert.ok(e instanceof PermissionDeniedError, String(e));
  assert.ok(e instanceof UpstartError);
  assert.equal(e.dbusName, "org.freedesktop.DBus.Error.AccessDenied");
  assert.match(e.dbusMessage, /^Rejected send message/);
  assert.ok(e.message.startsWith(e.dbusMessage.trimEnd()));
  assert.match(e.message, /\(this call needs root .*or a D-Bus policy that allows it\)$/);
  return true;
}

Deno.test("not root on the system bus: reads work, controls are PermissionDeniedError with the hint", async () => {
  await using sb = await policySandbox({ "svc": "exec sleep 1000\n" });
  await using system = await System.connect({ address: sb.address, peer: false });
  assert.match(await system.version(), /upstart/);
  assert.deepEqual(await system.jobNames(), ["svc"]);
  const job = await system.job("svc");
  assert.deepEqual(await system.statusAll(), [{ name: "svc", path: job.path, instances: [] }]);
  assert.equal(await job.startOn(), null);
  await assert.rejects(() => job.start(), denied);
  await assert.rejects(() => job.stop(), denied);
  await assert.rejects(() => system.emit("x"), denied);
  await assert.rejects(() => system.setLogPriority("debug"), denied);
  await assert.rejects(() => system.reloadConfiguration(), denied);
  assert.equal(await system.logPriority(), "message");
});

Deno.test("Upstart's errors keep their D-Bus name and Upstart's message", async () => {
  await using sb = await sandboxSystem({
    "fail": "pre-start exec /bin/false\nexec sleep 1000\n",
    "on-go": "start on go\npre-start exec /bin/false\nexec sleep 1000\n",
    "slowstop": "exec sleep 1000\npost-stop exec sleep 0.5\n",
  });
  const s = sb.system;
  await assert.rejects(() => s.job("fail").then((j) => j.start()), (e: unknown) => {
    assert.ok(e instanceof JobFailedError);
    assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.JobFailed");
    assert.equal(e.dbusMessage, e.message);
    return true;
  });
  await assert.rejects(() => s.emit("go"), (e: unknown) => {
    assert.ok(e instanceof EventFailedError);
    assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.EventFailed");
    return true;
  });
  const slow = await s.job("slowstop");
  await slow.start();
  const stopping = slow.stop();
  await assert.rejects(() => slow.stop({ wait: false }), (e: unknown) => {
    assert.ok(e instanceof AlreadyStoppedError);
    assert.equal(e.message, "Job has already been stopped: slowstop");
    return true;
  });
  await stopping;
  await assert.rejects(() => slow.stop(), (e: unknown) => {
    assert.ok(e instanceof UnknownInstanceError);
    assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.UnknownInstance");
    return true;
  });
});

Deno.test("every error class: a literal name that survives renaming, (message, options), no D-Bus name unless given", async () => {
  const mod = await import("../mod.ts");
  const classes = Object.entries(mod).filter(([, v]) =>
    v === mod.UpstartError || (typeof v === "function" && v.prototype instanceof mod.UpstartError)
  ) as [string, new (message: string, options: never) => InstanceType<typeof UpstartError>][];
  assert.ok(classes.length >= 14, `${classes.length} classes`);
  const extra = { tried: [], feature: "GetEnv", since: "1.7", daemonVersion: "1.5" } as never;
  for (const [exported, Class] of classes) {
    const cause = new Error("underneath");
    const e = new Class("it failed\x1b[31m", { cause, ...(extra as object) } as never);
    assert.equal(e.name, exported);
    assert.equal(e.cause, cause);
    assert.equal(e.dbusName, null, `${exported} built here has no D-Bus name`);
    assert.ok(e.message.startsWith("it failed\x1b[31m"), exported); // kept as given (the CLI escapes)
    assert.ok(String(e).startsWith(`${exported}: `));
  }
  // A minifier renames classes: the name is a literal, not constructor.name.
  const { UnknownJobError } = mod;
  const original = Object.getOwnPropertyDescriptor(UnknownJobError, "name")!;
  Object.defineProperty(UnknownJobError, "name", { value: "a" });
  try {
    assert.equal(new UnknownJobError("x").name, "UnknownJobError");
  } finally {
    Object.defineProperty(UnknownJobError, "name", original);
  }
  // From the bus: the D-Bus name and message are kept.
  const dbus = new mod.UnknownJobError("Unknown job: x", {
    dbusName: "com.ubuntu.Upstart0_6.Error.UnknownJob",
  });
  assert.equal(dbus.dbusName, "com.ubuntu.Upstart0_6.Error.UnknownJob");
  assert.equal(dbus.dbusMessage, "Unknown job: x");
});
