import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import {
  conditionToString,
  fromUpstartConditions,
  type JobConfig,
  ParseError,
  parseJob,
  quoteArg,
  renderCommand,
  renderScriptBody,
  toUpstartConditions,
} from "../src/jobfile/mod.ts";
import { readVerification } from "./support/jobfile_verification.ts";

const enc = new TextEncoder();

/** Our config in the shape of Upstart's GetState JobClass JSON (job-files-verification.txt). */
function asState(c: JobConfig): Record<string, unknown> {
  const processes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.processes)) {
    processes[k] = { script: v!.kind === "script" ? 1 : 0, command: v!.command };
  }
  if (c.apparmorLoad !== null) {
    processes.security = { script: 0, command: "/sbin/apparmor_parser -r -W " + c.apparmorLoad };
  }
  const sig: Record<string, number> = { HUP: 1, INT: 2, TERM: 15, USR1: 10, USR2: 12 };
  const limits: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(c.limits)) {
    limits[k] = [v!.soft, v!.hard].map((x) => (x === "unlimited" ? -1 : x));
  }
  const rl = c.respawnLimit === "unlimited" ? { count: 0, interval: 0 } : c.respawnLimit;
  return {
    instance: c.instance ?? "",
    description: c.description,
    author: c.author,
    version: c.version,
    usage: c.usage,
    env: c.env,
    export: c.export,
    emits: c.emits,
    process: processes,
    expect: "EXPECT_" + c.expect.toUpperCase(),
    task: c.task ? 1 : 0,
    kill_timeout: c.killTimeout,
    kill_signal: c.killSignal.number,
    reload_signal: c.reloadSignal.number,
    respawn: c.respawn ? 1 : 0,
    respawn_limit: rl.count,
    respawn_interval: rl.interval,
    normalexit: c.normalExit.map((e) => ("status" in e ? e.status : (sig[e.signal] ?? -1) << 8)),
    console: "CONSOLE_" + c.console.toUpperCase(),
    umask: c.umask,
    nice: c.nice ?? -21,
    oom_score_adj: c.oomScore === "never" ? -1000 : (c.oomScore ?? 0),
    limits,
    chroot: c.chroot,
    chdir: c.chdir,
    setuid: c.setuid,
    setgid: c.setgid,
    apparmor_switch: c.apparmorSwitch,
    start_on: toUpstartConditions(c.startOn),
    stop_on: toUpstartConditions(c.stopOn),
  };
}

const DEFAULTS = asState(parseJob("").config);

const cases = readVerification(
  new URL("upstart/job-files-verification.txt", SHARED ?? "file:///nonexistent/"),
);

Deno.test({
  name: "verification log: every single-file case gives Upstart's verdict and values",
  ignore: cases === null,
  fn() {
    assert.ok(cases!.length > 200, "expected the whole log");
    const failures: string[] = [];
    for (const c of cases!) {
      const doc = parseJob(c.input, { filename: c.name, throwOnError: false });
      if (c.error) {
        const e = doc.error;
        if (!e) failures.push(`${c.name}: accepted, want ${c.error.reason}`);
        else if (
          e.reason !== c.error.reason || (c.error.line !== null && e.line !== c.error.line)
        ) {
          failures.push(
            `${c.name}: ${e.line}: ${e.reason}, want ${c.error.line}: ${c.error.reason}`,
          );
        } else if ((c.error.line === null) !== e.lineless) failures.push(`${c.name}: lineless`);
        continue;
      }
      if (doc.error) {
        failures.push(`${c.name}: rejected (${doc.error.message})`);
        continue;
      }
      const got = asState(doc.config);
      for (const [k, want] of Object.entries({ ...DEFAULTS, ...c.state })) {
        if (k === "process" && !c.state!.process) continue;
        if (!(k in got)) continue;
        const w = want === undefined ? DEFAULTS[k] : want;
        let same = true;
        try {
          assert.deepEqual(got[k], w);
        } catch {
          same = w === "" && got[k] === null;
        }
        if (!same) {
          if (c.state![k] === undefined && DEFAULTS[k] === got[k]) continue;
          failures.push(`${c.name}: ${k} = ${JSON.stringify(got[k])}, want ${JSON.stringify(w)}`);
        }
      }
      if (!c.state!.process && Object.keys(got.process as object).length) {
        failures.push(`${c.name}: unexpected processes`);
      }
      // every accepted file round-trips byte for byte
      assert.deepEqual(doc.toBytes(), c.input);
    }
    assert.deepEqual(failures, []);
  },
});

function err(text: string | Uint8Array): ParseError {
  const doc = parseJob(text, { filename: "t.conf", throwOnError: false });
  assert.ok(doc.error, "expected a parse error");
  return doc.error;
}

Deno.test('trap 1-2: \\" is no escape, and whitespace before an escape is mangled', () => {
  assert.equal(
    parseJob('description "a \\"quoted\\" value"\n').config.description,
    'a\\\\"quoted\\" value',
  );
  assert.equal(parseJob("exec echo \\$HOME\n").config.processes.main?.command, "echo\\\\$HOME");
});

Deno.test("trap 3: an unquoted # ends the token mid-word", () => {
  assert.equal(parseJob("description foo#bar\n").config.description, "foo");
  assert.equal(
    parseJob("exec /bin/sh -c 'echo #x'  # real\n").config.processes.main?.command,
    "/bin/sh -c 'echo #x'",
  );
});

Deno.test("trap 4: empty quotes are Expected token, except before a continuation", () => {
  assert.equal(err('description ""\n').reason, "Expected token");
  assert.equal(err('env ""\n').reason, "Expected token");
  assert.equal(parseJob('description ""\\\n\n').config.description, "");
});

Deno.test("trap 5-6: backslash-newline and newlines inside quotes", () => {
  assert.equal(parseJob("description foo\\\nbar\n").config.description, "foo bar");
  const e = err("description foo \\\nbar\n");
  assert.equal([e.line, e.reason].join(), "2,Unexpected token");
  assert.equal(parseJob('description "multi  \n   line"\n').config.description, "multi line");
});

Deno.test("trap 7: a blank line in a script body turns dedent off", () => {
  const c = parseJob("script\n    echo a\n\n    echo b\nend script\n").config;
  assert.equal(c.processes.main?.command, "    echo a\n\n    echo b\n");
  assert.equal(
    parseJob("script\n    echo a\n      b\nend script\n").config.processes.main?.command,
    "echo a\n  b\n",
  );
});

Deno.test("trap 8: end script is matched before quoting; trailing text makes it a body line", () => {
  const c = parseJob("script\n  echo\nend script foo\nend script#x\n").config;
  assert.equal(c.processes.main?.command, "  echo\nend script foo\n");
});

Deno.test("trap 9 and 12: and/or have equal precedence; AND and quoted and are arguments", () => {
  const c = parseJob("start on a or b and c\n").config;
  assert.deepEqual(toUpstartConditions(c.startOn), [["a"], ["b"], ["/OR"], ["c"], ["/AND"]]);
  assert.deepEqual(toUpstartConditions(parseJob("start on a AND b\n").config.startOn), [[
    "a",
    "AND",
    "b",
  ]]);
  assert.deepEqual(toUpstartConditions(parseJob('start on a "and" b\n').config.startOn), [[
    "a",
    "and",
    "b",
  ]]);
});

Deno.test("trap 10-11 and 13: parenthesised expressions across lines", () => {
  assert.equal(err("start on (a or\n\n  b)\n").line, 2);
  const e = err("start on (a or b\nexec /bin/true\n");
  assert.equal([e.line, e.reason].join(), "3,Mismatched parentheses");
  assert.equal(err('description "abc\nline2\nline3\n').line, 4);
  assert.equal(err("description x\nscript\n  echo a\n").line, 4);
  assert.equal(err("description x\nscript\n  echo a").line, 3);
});

Deno.test("trap 14: unknown stanza is reported after the keyword's continuation", () => {
  assert.equal(err("bogus \\\n  arg\n").line, 2);
  assert.equal(err("bogus # c\n").line, 1);
});

Deno.test("trap 15: bad signals are logged without a line", () => {
  const e = err("description x\nkill signal FOO\n");
  assert.equal(
    e.message,
    "t.conf: Error while loading configuration file: Illegal signal status, expected integer",
  );
  assert.equal(e.line, 2);
  assert.ok(e.lineless);
  assert.ok(e instanceof SyntaxError);
});

Deno.test("trap 16: manual and debug consume nothing", () => {
  const c = parseJob("start on foo\nmanual exec /bin/true\n").config;
  assert.equal(c.startOn, null);
  assert.equal(c.processes.main?.command, "/bin/true");
  assert.equal(err("manual foo\n").reason, "Unknown stanza");
  assert.equal(err("debug foo\n").reason, "Unknown stanza");
});

Deno.test("trap 17-20: numbers as Upstart converts them", () => {
  const c = parseJob("respawn limit 5 10\n").config;
  assert.equal(c.respawn, false);
  assert.deepEqual(c.respawnLimit, { count: 5, interval: 10 });
  assert.equal(err("respawn limit x 5\n").reason, "Illegal limit, expected 'unlimited' or integer");
  assert.equal(parseJob("oom -17\n").config.oomScore, -1000);
  assert.equal(parseJob("oom score -1000\n").config.oomScore, -1000);
  assert.equal(parseJob("nice 4294967286\n").config.nice, -10);
  assert.equal(parseJob("umask 40000000000\n").config.umask, 0);
  assert.deepEqual(parseJob("limit nofile -1 5\n").config.limits.nofile, {
    soft: "unlimited",
    hard: 5,
  });
  assert.equal(parseJob("kill signal 0\n").config.killSignal.number, 0);
  assert.equal(err("console bogus\n").reason, "Unknown stanza");
});

Deno.test("trap 24: quoting of keywords", () => {
  assert.equal(parseJob('expect "fork"\n').config.expect, "fork");
  assert.equal(err('kill "timeout" 5\n').reason, "Unknown stanza");
});

Deno.test("trap 25: NUL is whitespace in stanzas and truncates script lines", () => {
  assert.equal(err(enc.encode("description a\0b c\n")).reason, "Unexpected token");
  const c = parseJob(enc.encode("script\n  ab\0cd\n  ef\nend script\n")).config;
  assert.equal(c.processes.main?.command, "abef\n");
});

Deno.test("a UTF-8 BOM is part of the first keyword", () => {
  const e = err(new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode("description x\n")]));
  assert.equal([e.line, e.reason].join(), "1,Unknown stanza");
});

Deno.test("ParseError fields and message; default filename", () => {
  assert.throws(() => parseJob("task\n  task extra\n"), (e: unknown) => {
    assert.ok(e instanceof ParseError);
    assert.equal(e.message, "<input>:2: Unexpected token");
    assert.equal(e.filename, "<input>");
    assert.equal(e.offset, 12);
    assert.equal(e.column, 8);
    return true;
  });
});

Deno.test("the tree: stanzas, comments, blanks, tokens and script spans", () => {
  const text = "# head\n\n  start on a and (b or c) # why\nscript\n  echo\nend script\n";
  const doc = parseJob(text);
  assert.deepEqual(doc.nodes.map((n) => n.type), ["comment", "blank", "stanza", "stanza"]);
  const [on, sc] = doc.stanzas;
  assert.equal(on.keyword, "start");
  assert.equal(on.line, 3);
  assert.deepEqual(on.args, ["on", "a", "and", "(", "b", "or", "c", ")"]);
  assert.deepEqual(on.comments.map((c) => c.text), ["# why"]);
  assert.equal(doc.sourceOf({ start: on.keywordStart, end: on.keywordEnd }), "start");
  assert.equal(sc.line, 4);
  assert.equal(sc.endLine, 6);
  assert.equal(doc.sourceOf({ start: sc.script!.bodyStart, end: sc.script!.bodyEnd }), "  echo\n");
  assert.equal(doc.toString(), text);
});

Deno.test("conditions: aas round trip and minimal parentheses", () => {
  for (
    const text of [
      "a and b or c",
      "a or (b and c)",
      "(a or b) and (c or d) or e",
      'started JOB=foo* INSTANCE!=x[0-9] and stopped "quoted ev"',
      "runlevel [!2345]",
    ]
  ) {
    const tree = parseJob(`start on ${text}\n`).config.startOn!;
    const aas = toUpstartConditions(tree);
    assert.deepEqual(fromUpstartConditions(aas), tree);
    const again = parseJob(`start on ${conditionToString(tree)}\n`).config.startOn;
    assert.deepEqual(again, tree);
  }
  assert.equal(
    conditionToString(parseJob("start on (a and b) or c\n").config.startOn!),
    "a and b or c",
  );
  assert.equal(fromUpstartConditions([]), null);
  assert.throws(() => fromUpstartConditions([["/AND"]]), TypeError);
  assert.throws(() => fromUpstartConditions([["a"], ["b"]]), TypeError);
  assert.throws(() => fromUpstartConditions([[]]), TypeError);
  assert.throws(() => fromUpstartConditions("x" as unknown as string[][]), TypeError);
});

Deno.test("conditions: named matches split at the first != else the first =", () => {
  const t = parseJob("start on e A=b!=c K=v [2345]x\n", { throwOnError: false });
  assert.equal(t.error?.reason, "Expected variable name before value");
  const c = parseJob("start on e pos A=b!=c K=v\n").config.startOn!;
  assert.ok(c.type === "event");
  assert.deepEqual(c.args.map((a) => [a.key, a.value, a.negated]), [[null, "pos", false], [
    "A=b",
    "c",
    true,
  ], ["K", "v", false]]);
});

Deno.test("edits: set replaces in place keeping comments, add appends, remove deletes lines", () => {
  const doc = parseJob("# top\ndescription old # why\n\nenv A=1\nmanual exec /bin/x\n# end\n");
  doc.set("description", 'say "hi"');
  assert.equal(doc.config.description, 'say "hi"');
  doc.add("env", "B=two words");
  assert.deepEqual(doc.config.env, ["A=1", "B=two words"]);
  doc.set("env", "A=3");
  assert.deepEqual(doc.config.env, ["A=3", "B=two words"]);
  doc.set("kill timeout", 30).set("start on", "runlevel [2345]").set("task");
  assert.equal(doc.config.killTimeout, 30);
  assert.equal(doc.config.task, true);
  assert.equal(doc.remove("manual"), 1);
  assert.equal(doc.config.manual, false);
  doc.set("pre-start script", "echo pre\n");
  assert.equal(doc.config.processes["pre-start"]?.command, "echo pre\n");
  assert.equal(
    doc.toString(),
    '# top\ndescription "say "\'"\'"hi"\'"\' # why\n\nenv A=3\nenv "B=two words"\nexec /bin/x\n# end\n' +
      "kill timeout 30\nstart on runlevel [2345]\ntask\npre-start script\necho pre\nend script\n",
  );
  doc.set("task", false);
  assert.equal(doc.config.task, false);
});

Deno.test("edits: values that cannot be written or that Upstart rejects throw TypeError", () => {
  const doc = parseJob("description x\n");
  assert.throws(() => doc.set("description", "a\nb"), TypeError);
  assert.throws(() => doc.set("description", ""), TypeError);
  assert.throws(() => doc.set("nice", 99), /Illegal nice value/);
  assert.throws(() => doc.set("bogus", "x"), /Unknown stanza/);
  assert.throws(() => doc.set("script", "echo\nend script\n"), /would end the block/);
  assert.throws(() => doc.set("exec", "echo # x"), TypeError);
  assert.equal(doc.toString(), "description x\n");
  const bad = parseJob("bogus\n", { throwOnError: false });
  assert.throws(() => bad.set("task"), TypeError);
});

Deno.test("quoteArg: every printable value round-trips through the parser", () => {
  const samples = [
    "a",
    "a b",
    'a"b',
    "a'b",
    "a\\b",
    "x \\y",
    "#",
    "(x)",
    " lead",
    "trail ",
    "tab\tx",
    "é ✓",
    "\"'",
    "a\\",
  ];
  for (const v of samples) {
    const doc = parseJob(`description ${quoteArg(v)}\n`);
    assert.equal(doc.config.description, v);
  }
  assert.equal(quoteArg("and", { operand: true }), '"and"');
  for (const bad of ["", "a\nb", "a\0b"]) assert.throws(() => quoteArg(bad), TypeError);
  assert.throws(() => renderCommand("echo \\$HOME"), TypeError);
  assert.equal(renderCommand("echo '$HOME'"), "echo '$HOME'");
  assert.throws(() => renderScriptBody("  a\n  b\n"), TypeError);
  assert.equal(renderScriptBody("  a\n\n  b\n"), "  a\n\n  b\n");
});
