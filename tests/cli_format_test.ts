import assert from "node:assert/strict";
import {
  checkConditions,
  checkLines,
  conditionText,
  enumeratedLine,
  enumerateEvents,
  statusText,
} from "../src/cli/format.ts";
import { parseOptions, UsageError } from "../src/cli/options.ts";
import { graphDot } from "../src/cli/graph.ts";
import { fnmatch } from "../src/fnmatch.ts";

// The jobs of initctl.md's transcript, as Upstart publishes their conditions.
const COND = [["a"], ["b"], ["/AND"], ["c", "KEY=val"], ["/OR"]];
const JOBS = [
  { name: "cond", emits: [], startOn: COND, stopOn: [["d"]] },
  { name: "inst", emits: [], startOn: [], stopOn: [] },
  { name: "meta", emits: ["meta-ready", "meta-done"], startOn: [], stopOn: [] },
  { name: "rl", emits: [], startOn: [["runlevel", "[2345]"]], stopOn: [["runlevel", "[!2345]"]] },
];

Deno.test("status lines match initctl's transcript", () => {
  assert.equal(statusText("svc", null), "svc stop/waiting");
  const running = {
    name: "",
    goal: "start",
    state: "running",
    processes: [{ type: "main", pid: 1629 }],
  };
  assert.equal(statusText("svc", running), "svc start/running, process 1629");
  assert.equal(
    statusText("inst", { ...running, name: "2", processes: [{ type: "main", pid: 1659 }] }),
    "inst (2) start/running, process 1659",
  );
  // A stop/waiting instance has gone: initctl prints the bare job.
  assert.equal(
    statusText("inst", { name: "1", goal: "stop", state: "waiting", processes: [] }),
    "inst stop/waiting",
  );
  assert.equal(
    statusText("slowstop", {
      name: "",
      goal: "stop",
      state: "post-stop",
      processes: [{ type: "post-stop", pid: 550 }],
    }),
    "slowstop stop/post-stop, process 550",
  );
  assert.equal(
    statusText("j", {
      name: "",
      goal: "start",
      state: "post-start",
      processes: [{ type: "main", pid: 5 }, { type: "post-start", pid: 6 }],
    }),
    "j start/post-start, process 5\n\tpost-start process 6",
  );
  assert.equal(
    statusText("j", {
      name: "",
      goal: "stop",
      state: "pre-stop",
      processes: [{ type: "pre-stop", pid: 7 }],
    }),
    "j stop/pre-stop, (pre-stop) process 7",
  );
});

Deno.test("show-config text and -e lines match the transcript", () => {
  assert.equal(conditionText(COND), "((a and b) or c KEY=val)");
  assert.equal(conditionText([["runlevel", "[!2345]"]]), "runlevel [!2345]");
  assert.equal(conditionText([]), null);
  const lines = [
    ...enumerateEvents("start on", COND),
    ...enumerateEvents("stop on", [["d"]]),
  ].map(enumeratedLine);
  assert.deepEqual(lines, [
    "  start on a (job:, env:)",
    "  start on b (job:, env:)",
    "  start on c (job:, env: KEY=val)",
    "  stop on d (job:, env:)",
  ]);
  assert.equal(
    enumeratedLine(enumerateEvents("start on", [["started", "A=B", "JOB=db"]])[0]),
    "  start on started (job: db, env: A=B)",
  );
});

Deno.test("check-config reports the transcript's unknown events in initctl's order", () => {
  const checks = checkConditions(JOBS);
  assert.deepEqual(checks.flatMap(checkLines), [
    "cond",
    "  start on: unknown event c",
    "  start on: unknown event b",
    "  start on: unknown event a",
    "  stop on: unknown event d",
    "rl",
    "  start on: unknown event runlevel",
    "  stop on: unknown event runlevel",
  ]);
});

Deno.test("check-config: emits globs, job events, ignored events, or and -w", () => {
  const jobs = [
    { name: "db", emits: ["db-*"], startOn: [], stopOn: [] },
    { name: "web", emits: [], startOn: [["started", "db"], ["db-ready"], ["/AND"]], stopOn: [] },
    { name: "bad", emits: [], startOn: [["started", "JOB=nosuch"]], stopOn: [] },
    { name: "either", emits: [], startOn: [["db-up"], ["nothing"], ["/OR"]], stopOn: [] },
  ];
  const checks = checkConditions(jobs, { ignored: [] });
  assert.deepEqual(checks.map((c) => c.name), ["bad"]);
  assert.deepEqual(checks[0].problems, [{ stanza: "start on", kind: "job", name: "nosuch" }]);
  // -w: an or needs both sides.
  assert.deepEqual(
    checkConditions(jobs, { warn: true }).map((c) => c.name),
    ["bad", "either"],
  );
  assert.deepEqual(checkConditions(jobs, { warn: true, ignored: ["nothing"] }).map((c) => c.name), [
    "bad",
  ]);
  // session-end is Upstart's own only in a user session.
  const se = [{ name: "s", emits: [], startOn: [["session-end"]], stopOn: [] }];
  assert.equal(checkConditions(se).length, 1);
  assert.equal(checkConditions(se, { userMode: true }).length, 0);
});

Deno.test("fnmatch handles *, ?, sets and escapes", () => {
  assert.ok(fnmatch("net-*", "net-device-up"));
  assert.ok(fnmatch("tty[0-9]", "tty1"));
  assert.ok(!fnmatch("tty[!0-9]", "tty1"));
  assert.ok(fnmatch("a\\*", "a*"));
  assert.ok(!fnmatch("a\\*", "ab"));
  assert.ok(fnmatch("a.b", "a.b") && !fnmatch("a.b", "axb"));
});

Deno.test("options follow libnih: anywhere, =VAL or next non-option, clusters, --", () => {
  const specs = [
    { long: "no-wait", short: "n", help: "" },
    { long: "quiet", short: "q", help: "" },
    { long: "ignore-events", short: "i", arg: "LIST", multiple: true, help: "" },
    { long: "dest", arg: "NAME", help: "" },
  ];
  let p = parseOptions(["svc", "-nq", "A=1", "--dest=x"], specs);
  assert.deepEqual(p.args, ["svc", "A=1"]);
  assert.equal(p.values["no-wait"], true);
  assert.equal(p.values.quiet, true);
  assert.equal(p.values.dest, "x");
  p = parseOptions(["-i", "-n", "a,b", "job", "-ic"], specs);
  assert.deepEqual(p.values["ignore-events"], ["a,b", "c"]);
  assert.deepEqual(p.args, ["job"]);
  p = parseOptions(["--", "-n"], specs);
  assert.deepEqual(p.args, ["-n"]);
  p = parseOptions(["--quiet", "start", "-n"], specs, true);
  assert.deepEqual(p.args, ["start", "-n"]);
  assert.throws(
    () => parseOptions(["--bogus"], specs),
    (e) => e instanceof UsageError && e.message === "invalid option: --bogus",
  );
  assert.throws(() => parseOptions(["-x"], specs), /invalid option: -x/);
  assert.throws(() => parseOptions(["--quiet=1"], specs), /unexpected argument: --quiet=1/);
  assert.throws(() => parseOptions(["--dest"], specs), /missing argument: --dest/);
});

Deno.test("graph draws events, job events and emits", () => {
  const dot = graphDot([
    { name: "db", emits: ["db-ready"], startOn: [["runlevel", "[2345]"]], stopOn: [] },
    { name: "web", emits: [], startOn: [["started", "db"]], stopOn: [["stopping", "JOB=db"]] },
  ]);
  assert.match(dot, /^digraph upstart \{/);
  assert.match(dot, /"job:db" -> "event:db-ready" \[style=dashed/);
  assert.match(
    dot,
    /"event:runlevel" -> "job:db" \[color=darkgreen, label="start on runlevel \[2345\]"\]/,
  );
  assert.match(dot, /"job:db" -> "job:web" \[color=darkgreen, label="start on started"\]/);
  assert.match(dot, /"job:db" -> "job:web" \[color=red, label="stop on stopping"\]/);
  assert.ok(dot.trimEnd().endsWith("}"));
});
