/**
 * How the sandbox resolves job and instance object paths (looked up by name, not by scanning every
 * job): canonical escapes only, Upstart 1.13's lossy non-ASCII paths shared by several jobs, and a
 * path that keeps naming the running definition while a changed one waits.
 */

import assert from "node:assert/strict";
import { DBusError, type Variant } from "../ffi/mod.ts";
import { escapePathElement, JOBS_PATH } from "../src/names.ts";
import { startSandbox, type TestSandbox } from "./support/sandbox.ts";

const JOB = "com.ubuntu.Upstart0_6.Job";
const INSTANCE = "com.ubuntu.Upstart0_6.Instance";

async function prop(sb: TestSandbox, path: string, iface: string, name: string): Promise<unknown> {
  const [v] = await sb.call("Get", "ss", [iface, name], path, "org.freedesktop.DBus.Properties");
  return (v as Variant).value;
}

/** Rejects as an object nobody serves (libnih's UnknownMethod for any call there). */
async function assertNoObject(sb: TestSandbox, path: string, iface: string): Promise<void> {
  await assert.rejects(
    prop(sb, path, iface, "name"),
    (e: unknown) => e instanceof DBusError && e.name === "org.freedesktop.DBus.Error.UnknownMethod",
    path,
  );
}

Deno.test("job and instance paths resolve by their canonical escape only", async () => {
  await using sb = await startSandbox({
    watch: false,
    jobs: {
      "a": "exec sleep 1000\n",
      "my-job": "instance $N\nexec sleep 1000\n",
      "sub/dir": "exec sleep 1000\n",
    },
  });
  const [paths] = await sb.call("GetAllJobs", "", []);
  for (const path of paths as string[]) {
    const name = await prop(sb, path, JOB, "name") as string;
    assert.equal(path, `${JOBS_PATH}/${escapePathElement(name)}`);
  }
  assert.equal(await prop(sb, `${JOBS_PATH}/my_2djob`, JOB, "name"), "my-job");
  assert.equal(await prop(sb, `${JOBS_PATH}/sub_2fdir`, JOB, "name"), "sub/dir");
  await assertNoObject(sb, `${JOBS_PATH}/_61`, JOB); // "a" spelt as an escape
  await assertNoObject(sb, `${JOBS_PATH}/my_2Djob`, JOB); // upper-case hex
  await assertNoObject(sb, `${JOBS_PATH}/nope`, JOB);
  await assertNoObject(sb, `${JOBS_PATH}/_`, JOB);

  const job = `${JOBS_PATH}/my_2djob`;
  for (const n of ["x-1", "plain", "_"]) {
    const [inst] = await sb.call("Start", "asb", [[`N=${n}`], false], job, JOB);
    assert.equal(inst, `${job}/${escapePathElement(n)}`);
    assert.equal(await prop(sb, inst as string, INSTANCE, "name"), n);
  }
  assert.equal(await prop(sb, `${job}/x_2d1`, INSTANCE, "name"), "x-1");
  assert.equal(await prop(sb, `${job}/_5f`, INSTANCE, "name"), "_");
  await assertNoObject(sb, `${job}/_78_2d1`, INSTANCE); // "x" spelt as an escape
  await assertNoObject(sb, `${job}/_70lain`, INSTANCE);
  await assertNoObject(sb, `${job}/_`, INSTANCE); // no instance named ""
  await assertNoObject(sb, `${job}/x_2d1/more`, INSTANCE);
});

Deno.test("non-ASCII names sharing one lossy path: the first registered job answers", async () => {
  await using sb = await startSandbox({
    watch: false,
    jobs: { "café": "exec sleep 1000\n", "cafè": "exec sleep 1000\n" },
  });
  const path = `${JOBS_PATH}/caf_ff_ff`;
  const [paths] = await sb.call("GetAllJobs", "", []);
  assert.deepEqual(paths, [path, path]);
  const first = sb.sandbox.jobNames()[0];
  assert.equal(await prop(sb, path, JOB, "name"), first);
  // Once the first one is gone, the path names the other.
  await sb.removeJob(first);
  sb.sandbox.rescan();
  assert.equal(await prop(sb, path, JOB, "name"), first === "café" ? "cafè" : "café");
});

Deno.test("a changed job's path names the running definition until its instance stops", async () => {
  await using sb = await startSandbox({
    watch: false,
    jobs: { "svc": 'description "old"\nexec sleep 1000\n' },
  });
  const path = `${JOBS_PATH}/svc`;
  const [inst] = await sb.call("Start", "asb", [[], true], path, JOB);
  await sb.writeJob("svc", 'description "new"\nexec sleep 1000\n');
  sb.sandbox.rescan();
  assert.equal(await prop(sb, path, JOB, "description"), "old");
  assert.equal(await prop(sb, inst as string, INSTANCE, "state"), "running");
  await sb.call("Stop", "b", [true], inst as string, INSTANCE);
  assert.equal(await prop(sb, path, JOB, "description"), "new");
  await assertNoObject(sb, inst as string, INSTANCE);
  // Removed while running: still served until it stops, then gone.
  await sb.call("Start", "asb", [[], true], path, JOB);
  await sb.removeJob("svc");
  sb.sandbox.rescan();
  assert.equal(await prop(sb, path, JOB, "description"), "new");
  await sb.call("Stop", "asb", [[], true], path, JOB);
  await assertNoObject(sb, path, JOB);
});
