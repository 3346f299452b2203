import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import { checkJob, type JobProblem, parseJob } from "../src/jobfile/mod.ts";

const NO_ACCOUNTS = { users: null, groups: null } as const;

function codes(text: string, options = {}): [string, number][] {
  return checkJob(text, { ...NO_ACCOUNTS, ...options }).map((p) => [p.code, p.line]);
}

Deno.test({
  name: "check: corpus verdicts: accepted files have no error, rejected ones Upstart's error",
  ignore: SHARED === null,
  fn() {
    const lines = Deno.readTextFileSync(new URL("corpus/EXPECTED.jsonl", SHARED!)).trim();
    let rejected = 0;
    for (const line of lines.split("\n")) {
      const want = JSON.parse(line);
      const bytes = Deno.readFileSync(new URL(`corpus/jobs/${want.file}`, SHARED!));
      const problems = checkJob(bytes, { filename: want.file });
      const errors = problems.filter((p) => p.severity === "error");
      if (want.ok) {
        assert.deepEqual(errors, [], want.file);
      } else {
        rejected++;
        assert.equal(problems.length, 1, want.file);
        assert.equal(errors[0].message, want.reason, want.file);
        assert.equal(errors[0].code, "parse");
        assert.ok(errors[0].error, "the ParseError is attached");
        if (want.line) assert.equal(errors[0].line, want.line, want.file);
      }
      for (const p of problems) assert.ok(p.line >= 1 && p.column >= 1, `${want.file}: ${p.code}`);
    }
    assert.equal(rejected, 26);
  },
});

Deno.test("check: a clean job has no problems", () => {
  assert.deepEqual(
    checkJob(
      'description "web"\nstart on runlevel [2345]\nrespawn\nexpect fork\nexec /usr/bin/web\n',
      NO_ACCOUNTS,
    ),
    [],
  );
});

Deno.test("check: the parse error, with Upstart's line and reason", () => {
  const [p, ...rest] = checkJob("description ok\nrespawn\nbogus\ntask\n", { filename: "a.conf" });
  assert.deepEqual(rest, []);
  assert.equal(p.severity, "error");
  assert.equal(p.line, 3);
  assert.equal(p.message, "Unknown stanza");
  assert.equal(p.error?.message, "a.conf:3: Unknown stanza");
});

Deno.test("check: task with respawn; respawn without a process; respawn limit alone", () => {
  assert.deepEqual(codes("task\n\nrespawn\nexec /bin/x\n"), [["task-respawn", 3]]);
  assert.deepEqual(codes("respawn\n"), [["respawn-no-process", 1]]);
  assert.deepEqual(codes("exec /bin/x\nrespawn limit 5 10\n"), [["respawn-limit-alone", 2]]);
});

Deno.test("check: expect fork/daemon on a script, or with no main process", () => {
  assert.deepEqual(codes("expect daemon\nscript\n  exec x\nend script\n"), [["expect-script", 1]]);
  assert.deepEqual(codes("expect fork\n"), [["expect-no-process", 1]]);
  assert.deepEqual(codes("expect stop\nscript\n  x\nend script\n"), []);
  // the effective main process counts: a later exec replaces the script
  assert.deepEqual(codes("script\n x\nend script\nexpect fork\nexec /bin/x\n"), [["duplicate", 1]]);
});

Deno.test("check: stanzas that silently override earlier ones", () => {
  const text = [
    "description a",
    "env A=1",
    "env B=1",
    "env A=2",
    "exec /bin/a",
    "script",
    "  b",
    "end script",
    "limit nofile 1 1",
    "limit core 1 1",
    "limit nofile 2 2",
    "oom 5",
    "oom score 10",
    "respawn",
    "respawn",
    "emits x",
    "emits x",
    "description b",
    "",
  ].join("\n");
  const found = checkJob(text, NO_ACCOUNTS);
  assert.deepEqual(found.map((p) => [p.code, p.line]), [
    ["duplicate", 1],
    ["duplicate", 2],
    ["duplicate", 5],
    ["duplicate", 9],
    ["duplicate", 12],
    ["duplicate", 14],
  ]);
  assert.equal(found[0].message, "description is set again on line 18: this one has no effect");
  assert.equal(found[1].message, "env A is set again on line 4: this one has no effect");
  assert.equal(found[2].message, "the main process is set again on line 6: this one has no effect");
  assert.equal(found[5].message, "respawn is repeated on line 15");
});

Deno.test("check: manual clearing a start on, and manual without effect", () => {
  assert.deepEqual(codes("start on startup\nmanual\n"), [["manual-clears-start", 1]]);
  assert.deepEqual(codes("manual\nstart on startup\n"), [["manual-ignored", 1]]);
});

Deno.test("check: setuid/setgid against the given names, /etc/passwd by default, or not at all", () => {
  const text = "setuid web\nsetgid web\nexec /bin/x\n";
  assert.deepEqual(codes(text, { users: ["root"], groups: new Set(["root"]) }), [
    ["unknown-user", 1],
    ["unknown-group", 2],
  ]);
  assert.deepEqual(codes(text, { users: ["web"], groups: ["web"] }), []);
  assert.deepEqual(codes(text), []);
  // By default the machine's own files are read (the tests run with read permission).
  const passwd = Deno.readTextFileSync("/etc/passwd");
  assert.match(passwd, /^root:/m);
  assert.deepEqual(checkJob("setuid root\nsetgid root\n").map((p) => p.code), []);
  assert.deepEqual(
    checkJob("setuid no-such-user-4f1c\n").map((p) => [p.code, p.message]),
    [[
      "unknown-user",
      'setuid user "no-such-user-4f1c" does not exist on this machine: the job would fail to start',
    ]],
  );
});

Deno.test("check: libnih's backslash quirks, with the value Upstart really reads", () => {
  const mangled = checkJob('description "a \\"quoted\\" value"\n', NO_ACCOUNTS);
  assert.deepEqual(mangled.map((p) => [p.code, p.line, p.column]), [["backslash-mangled", 1, 16]]);
  assert.equal(
    mangled[0].message,
    `whitespace before "\\"" is mangled by libnih: Upstart reads ${
      JSON.stringify('a\\\\"quoted\\" value') // a, two backslashes, a quote, …
    }`,
  );
  assert.deepEqual(codes("exec echo \\$HOME\n"), [["backslash-mangled", 1]]);
  assert.deepEqual(codes("description a\\$b\n"), [["backslash-kept", 1]]);
  assert.deepEqual(codes('start on foo\\(x\\) "(y)"\n'), [["backslash-kept", 1]]);
  // not quirks: escapes libnih handles, and backslashes the shell handles in a command
  assert.deepEqual(codes("description a\\\\b\\ c\nexec echo a\\$HOME \\\n  b\n"), []);
  assert.deepEqual(codes("env A=1\\\n\n"), []);
});

Deno.test("check: constant instance names, signals that are none, CR in scripts, bad UTF-8", () => {
  assert.deepEqual(codes("instance web\n"), [["instance-constant", 1]]);
  assert.deepEqual(codes("instance $PORT\n"), []);
  assert.deepEqual(codes("kill signal 0\nreload signal 99\n"), [
    ["kill-signal", 1],
    ["kill-signal", 2],
  ]);
  assert.deepEqual(codes("script\r\n  echo\r\nend script\r\n"), [["script-crlf", 1]]);
  const bytes = new Uint8Array([...new TextEncoder().encode("task\ndescription "), 0xff, 0x0a]);
  const p: JobProblem[] = checkJob(bytes, NO_ACCOUNTS);
  assert.deepEqual(p.map((x) => [x.code, x.line]), [["invalid-utf8", 2]]);
  assert.deepEqual(codes("# \xff in a comment is fine\nexec /bin/true\n"), []);
});

Deno.test("check: documents and text give the same problems; a rejected document's error", () => {
  const text = "task\nrespawn\nexec /bin/x\n";
  assert.deepEqual(checkJob(parseJob(text), NO_ACCOUNTS), checkJob(text, NO_ACCOUNTS));
  const doc = parseJob("kill signal FOO\n", { throwOnError: false, filename: "k.conf" });
  const [p] = checkJob(doc);
  assert.equal(
    p.error?.message,
    "k.conf: Error while loading configuration file: Illegal signal status, expected integer",
  );
});
