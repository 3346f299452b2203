import assert from "node:assert/strict";
import { applyOverride, parseJob, toUpstartConditions } from "../src/jobfile/mod.ts";

// Cases o1-o4, o10-o13 of job-files-verification.txt (runs 2 and 4), observed on Upstart 1.13.2.

Deno.test("o1: replace, accumulate, and manual clears the conf's start on", () => {
  const r = applyOverride(
    "description conf\nauthor conf-author\nenv A=1\nemits x\nstart on foo\nnormal exit 1\n",
    "description override\nenv B=2\nemits y\nnormal exit 2\nmanual\n",
  );
  assert.deepEqual(r.errors, []);
  const c = r.config!;
  assert.equal(c.description, "override");
  assert.equal(c.author, "conf-author");
  assert.deepEqual(c.env, ["A=1", "B=2"]);
  assert.deepEqual(c.emits, ["x", "y"]);
  assert.deepEqual(c.normalExit, [{ status: 1 }, { status: 2 }]);
  assert.equal(c.startOn, null);
});

Deno.test("o2: a broken conf with a valid override gives the override's job alone", () => {
  const r = applyOverride(
    parseJob("description broken-conf\nbogus stanza\n", {
      filename: "o2.conf",
      throwOnError: false,
    }),
    parseJob("description from-override-only\nstart on bar\n", { filename: "o2.override" }),
  );
  assert.deepEqual(r.errors.map((e) => e.message), ["o2.conf:2: Unknown stanza"]);
  assert.equal(r.config?.description, "from-override-only");
  assert.deepEqual(toUpstartConditions(r.config!.startOn), [["bar"]]);
});

Deno.test("o3: an error in the override keeps the stanzas before it", () => {
  const r = applyOverride(
    "description conf3\nstart on foo\nauthor a3\n",
    "manual\nauthor changed\nbogus\ndescription never\n",
    { overrideFilename: "o3.override" },
  );
  assert.deepEqual(r.errors.map((e) => e.message), ["o3.override:3: Unknown stanza"]);
  assert.equal(r.config?.author, "changed");
  assert.equal(r.config?.description, "conf3");
  assert.equal(r.config?.startOn, null);
});

Deno.test("o4: a signal error in the conf means no job, and the override is not read", () => {
  const r = applyOverride("description conf4\nkill signal FOO\n", "description ov4\n", {
    confFilename: "o4.conf",
  });
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.map((e) => e.message), [
    "o4.conf: Error while loading configuration file: Illegal signal status, expected integer",
  ]);
});

Deno.test("o10: a signal error in the override keeps the conf's job", () => {
  const r = applyOverride("description conf10\n", "kill signal FOO\n");
  assert.equal(r.config?.description, "conf10");
  assert.ok(r.errors[0].lineless);
});

Deno.test("o7/o11: a failing start on in the override drops the conf's start on", () => {
  const r = applyOverride("description conf11\nstart on foo\n", "start on (a or\n", {
    overrideFilename: "o11.override",
  });
  assert.deepEqual(r.errors.map((e) => e.message), ["o11.override:1: Expected event"]);
  assert.equal(r.config?.startOn, null);
  assert.equal(r.config?.description, "conf11");
  const r7 = applyOverride("description conf7\n", "description ov7\nstart on (a or\n");
  assert.equal(r7.errors[0].line, 2);
  assert.equal(r7.config?.description, "ov7");
});

Deno.test("o12: a failing stanza that stores before checking keeps the bad value", () => {
  const r = applyOverride("description conf12\nenv A=1\n", "env B=2\nnice 99\ndescription never\n");
  assert.equal(r.errors[0].reason, "Illegal nice value, expected -20 to 19");
  assert.equal(r.config?.nice, 99);
  assert.deepEqual(r.config?.env, ["A=1", "B=2"]);
  assert.equal(r.config?.description, "conf12");
});

Deno.test("o13: the override's start on replaces the conf's", () => {
  const r = applyOverride("start on foo\n", "start on bar\n");
  assert.deepEqual(toUpstartConditions(r.config!.startOn), [["bar"]]);
});

Deno.test("a broken conf and a broken override give no job", () => {
  const r = applyOverride("bogus\n", "nice 99\n");
  assert.equal(r.config, null);
  assert.equal(r.errors.length, 2);
});

Deno.test("applyOverride rejects arguments that are not job text", () => {
  assert.throws(() => applyOverride(42 as unknown as string, ""), TypeError);
  assert.throws(() => applyOverride("", null as unknown as string), TypeError);
});
