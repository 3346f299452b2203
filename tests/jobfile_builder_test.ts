import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import { formatJob, JobBuilder, parseJob } from "../src/jobfile/mod.ts";

const JOBS = new URL("corpus/jobs/", SHARED ?? "file:///nonexistent/");

Deno.test({
  name: "builder: fromConfig rebuilds every accepted corpus config to an equal config",
  ignore: SHARED === null,
  fn() {
    let n = 0;
    for (const e of [...Deno.readDirSync(JOBS)].sort((a, b) => a.name < b.name ? -1 : 1)) {
      const doc = parseJob(Deno.readFileSync(new URL(e.name, JOBS)), { throwOnError: false });
      if (doc.error) continue;
      const text = JobBuilder.fromConfig(doc.config).toString();
      assert.deepEqual(parseJob(text).config, doc.config, e.name);
      assert.equal(formatJob(text), text, `${e.name}: builder output is canonical`);
      n++;
    }
    assert.ok(n > 380, `${n} configs rebuilt`);
  },
});

Deno.test("builder: the issue's example, and every stanza kind", () => {
  assert.equal(
    new JobBuilder().description("web").startOn("runlevel [2345]").respawn()
      .exec("/usr/bin/web --port 80").toString(),
    "description web\n\nstart on runlevel [2345]\n\nrespawn\n\nexec /usr/bin/web --port 80\n",
  );
  const b = new JobBuilder()
    .comment("Managed by tests\n\nDo not edit")
    .description("all").author("me").version("1").usage("X=1")
    .emits("a", "b").startOnRunlevel([2, 3]).stopOnStopping("db").instance("$X")
    .task().expect("stop").respawn().respawnLimit(3, 60).normalExit(0, 2, "TERM")
    .killTimeout(9).killSignal("SIGINT").reloadSignal(10).console("none")
    .env("A", "1").env({ B: "two words", C: 3 }).env("HOME").export("A", "B")
    .umask(0o27).nice(-5).oomScore(-500).limit("nofile", 1024, 4096).limit("core", "unlimited")
    .limit("as", 1n << 40n).chroot("/srv").chdir("/").setuid("nobody").setgid("nogroup")
    .apparmorLoad("/etc/apparmor.d/x").apparmorSwitch("x").cgroup("cpu")
    .cgroup("memory", { name: "web", key: "memory.limit_in_bytes", value: "1G" }).debug()
    .preStartExec("mkdir -p /run/x").postStartScript("sleep 1\n").preStopExec("/bin/true")
    .postStopScript("rm -f /run/x/pid\n").exec("/usr/bin/x");
  const text = b.toString();
  assert.match(text, /^# Managed by tests\n#\n# Do not edit\n\ndescription all\n/);
  const c = parseJob(text).config;
  assert.deepEqual(
    { ...c, startOn: undefined, stopOn: undefined },
    {
      ...c,
      startOn: undefined,
      stopOn: undefined,
      description: "all",
      author: "me",
      version: "1",
      usage: "X=1",
      emits: ["a", "b"],
      instance: "$X",
      task: true,
      expect: "stop",
      respawn: true,
      respawnLimit: { count: 3, interval: 60 },
      normalExit: [{ status: 0 }, { status: 2 }, { signal: "TERM" }],
      killTimeout: 9,
      killSignal: { number: 2, name: "INT" },
      reloadSignal: { number: 10, name: "USR1" },
      console: "none",
      env: ["A=1", "B=two words", "C=3", "HOME"],
      export: ["A", "B"],
      umask: 0o27,
      nice: -5,
      oomScore: -500,
      limits: {
        nofile: { soft: 1024, hard: 4096 },
        core: { soft: "unlimited", hard: "unlimited" },
        as: { soft: 2 ** 40, hard: 2 ** 40 },
      },
      chroot: "/srv",
      chdir: "/",
      setuid: "nobody",
      setgid: "nogroup",
      apparmorLoad: "/etc/apparmor.d/x",
      apparmorSwitch: "x",
      cgroups: [
        { controller: "cpu", name: null, key: null, value: null },
        { controller: "memory", name: "web", key: "memory.limit_in_bytes", value: "1G" },
      ],
      processes: {
        "pre-start": { kind: "exec", command: "mkdir -p /run/x" },
        "post-start": { kind: "script", command: "sleep 1\n" },
        "pre-stop": { kind: "exec", command: "/bin/true" },
        "post-stop": { kind: "script", command: "rm -f /run/x/pid\n" },
        main: { kind: "exec", command: "/usr/bin/x" },
      },
    },
  );
  assert.equal(c.startOn?.type, "event");
  assert.deepEqual(c.stopOn, {
    type: "event",
    name: "stopping",
    args: [{ raw: "db", key: null, value: "db", negated: false }],
  });
});

Deno.test("builder: single-valued stanzas keep the last value; env per variable", () => {
  const c = new JobBuilder().description("a").description("b").env("X", "1").env("Y", "2")
    .env("X", "3").exec("/bin/a").script("b\n").emits("e1").emits("e2").config;
  assert.equal(c.description, "b");
  assert.deepEqual(c.env, ["Y=2", "X=3"]);
  assert.deepEqual(c.processes.main, { kind: "script", command: "b\n" });
  assert.deepEqual(c.emits, ["e1", "e2"]);
});

Deno.test("builder: manual after startOn turns it off; before startOn it does not", () => {
  assert.equal(new JobBuilder().startOn("startup").manual().config.startOn, null);
  const on = new JobBuilder().manual().startOn("startup").config;
  assert.equal(on.manual, true);
  assert.equal(on.startOn?.type, "event");
});

Deno.test("builder: conditions from text, trees and event lists", () => {
  const list = new JobBuilder().startOn(
    [{ name: "net-device-up", env: { IFACE: "eth0" } }, "started db or started cache", {
      name: "x",
      args: ["and"],
    }],
    "and",
  ).toString();
  assert.equal(
    list,
    'start on net-device-up IFACE=eth0 and (started db or started cache) and x "and"\n',
  );
  const tree = parseJob("start on a or (b and c)\n").config.startOn!;
  assert.equal(new JobBuilder().stopOn(tree).toString(), "stop on a or (b and c)\n");
  assert.equal(new JobBuilder().startOn("a   or  b # c").toString(), "start on a or b\n");
  assert.throws(() => new JobBuilder().startOn("a and"), /JobBuilder.startOn: .*Expected event/);
  assert.throws(() => new JobBuilder().startOn([]), TypeError);
  assert.throws(() => new JobBuilder().startOnRunlevel("2; rm"), RangeError);
  assert.throws(
    () => new JobBuilder().startOn([{ name: "e", args: ["K=V"] }]),
    /positional argument "K=V" contains "="/,
  );
});

Deno.test("builder: injection attempts are written safely or refused with a clear error", () => {
  // Values that can be written are written so that Upstart reads exactly them back.
  const tricky = [
    'say "hi"',
    "it's",
    "a # not a comment",
    "end script",
    "back\\slash \\$HOME",
    "(paren) and or",
    "  spaced  ",
    "tab\there",
  ];
  for (const v of tricky) {
    const text = new JobBuilder().description(v).author(v).env("V", v).emits(v).toString();
    const c = parseJob(text).config;
    assert.equal(c.description, v, text);
    assert.equal(c.author, v);
    assert.deepEqual(c.env, [`V=${v}`]);
    assert.deepEqual(c.emits, [v]);
    assert.equal(parseJob(text).stanzas.length, 4, "no extra stanza");
    const on = new JobBuilder().startOn([{ name: "e", args: [v] }]).config.startOn;
    assert.equal(on?.type === "event" && on.args[0].raw, v);
  }
  // Values that cannot be written are refused, saying where and what.
  const refused: [() => unknown, RegExp][] = [
    [
      () => new JobBuilder().description("web\nexec /bin/evil"),
      /TypeError: JobBuilder.description: .*newline/,
    ],
    [() => new JobBuilder().description(""), /TypeError: JobBuilder.description: .*empty/],
    [() => new JobBuilder().author("a\0b"), /TypeError: JobBuilder.author: .*NUL/],
    [() => new JobBuilder().env("K", "v\nrespawn"), /TypeError: JobBuilder.env: .*newline/],
    [() => new JobBuilder().env("K=1", "v"), /TypeError: JobBuilder.env: the name contains "="/],
    [() => new JobBuilder().env("=v"), /TypeError: JobBuilder.env: the variable name is empty/],
    [() => new JobBuilder().exec("/bin/a\nrespawn"), /TypeError: JobBuilder.process: .*newline/],
    [() => new JobBuilder().exec("/bin/echo # x"), /TypeError: JobBuilder.process: .*unquoted "#"/],
    [
      () => new JobBuilder().exec("echo \\$HOME"),
      /TypeError: JobBuilder.process: .*whitespace before an escape/,
    ],
    [
      () => new JobBuilder().startOn("a\nexec /bin/evil"),
      /TypeError: JobBuilder.startOn: .*one line/,
    ],
    [
      () => new JobBuilder().script("echo a\nend script\nexec /bin/evil\n"),
      /TypeError: JobBuilder.script: line 2 of the script body would end the script block early/,
    ],
    [
      () => new JobBuilder().preStopScript("x\n \t end   script # ok\n"),
      /TypeError: JobBuilder.preStopScript: line 2 .*end the script block/,
    ],
    [
      () => new JobBuilder().pythonScript("print(1)\nend script\n"),
      /TypeError: JobBuilder.pythonScript: line 2 /,
    ],
    [
      () => new JobBuilder().script("  echo a\n  echo b\n"),
      /TypeError: JobBuilder.script: .*dedent/,
    ],
    [() => new JobBuilder().script("a\0b\n"), /NUL/],
    [() => new JobBuilder().instance("a b\nc"), /TypeError: JobBuilder.instance: /],
  ];
  for (const [f, re] of refused) assert.throws(f, re);
  assert.throws(() => new JobBuilder().description("a\nb"), TypeError);
});

Deno.test("builder: numbers and enumerations out of range throw RangeError", () => {
  const bad: (() => unknown)[] = [
    () => new JobBuilder().nice(20),
    () => new JobBuilder().nice(1.5),
    () => new JobBuilder().umask(0o1000),
    () => new JobBuilder().oomScore(1001),
    () => new JobBuilder().killTimeout(-1),
    () => new JobBuilder().respawnLimit(-1, 5),
    () => new JobBuilder().killSignal("SIGFOO"),
    () => new JobBuilder().reloadSignal(2 ** 31),
    () => new JobBuilder().normalExit(-1),
    () => new JobBuilder().limit("bogus" as "core", 1),
    () => new JobBuilder().limit("core", -1),
    () => new JobBuilder().expect("forks" as "fork"),
    () => new JobBuilder().console("syslog" as "log"),
    () => new JobBuilder().process("main" as const, { kind: "shell" as "exec", command: "x" }),
  ];
  for (const f of bad) assert.throws(f, RangeError, String(f));
  assert.throws(() => new JobBuilder().nice("5" as unknown as number), TypeError);
  assert.throws(() => new JobBuilder().cgroup("cpu", { key: "k" }), TypeError);
  assert.equal(new JobBuilder().respawnLimit("unlimited").config.respawnLimit, "unlimited");
});

Deno.test("builder: script helpers; dedent option; heredoc delimiter avoids the body's lines", () => {
  assert.deepEqual(
    new JobBuilder().script("    echo a\n      echo b\n", { dedent: true }).config.processes.main,
    { kind: "script", command: "echo a\n  echo b\n" },
  );
  const body = "import sys\nEND_OF_SCRIPT\n\nif True:\n    print('x $HOME `id`')\n";
  const c = new JobBuilder().pythonScript(body, { process: "post-stop" }).config;
  assert.deepEqual(c.processes["post-stop"], {
    kind: "script",
    command: `exec python3 - <<'END_OF_SCRIPT_2'\n${body}END_OF_SCRIPT_2\n`,
  });
  assert.equal(
    new JobBuilder().shellScript("echo hi\n").config.processes.main?.command,
    "echo hi\n",
  );
  assert.equal(
    new JobBuilder().perlScript("print 1;", { interpreter: "/usr/bin/perl -w -" }).config
      .processes.main?.command,
    "exec /usr/bin/perl -w - <<'END_OF_SCRIPT'\nprint 1;\nEND_OF_SCRIPT\n",
  );
});

/** Runs a script body the way Upstart does (`/bin/sh -e`), returning its output. */
async function runAsUpstart(body: string): Promise<string> {
  const out = await new Deno.Command("/bin/sh", { args: ["-e", "-c", body], stdout: "piped" })
    .output();
  assert.equal(out.code, 0);
  return new TextDecoder().decode(out.stdout);
}

Deno.test("builder: Perl, Python and bash bodies run as written (no shell expansion)", async () => {
  const python = "import os\nprint('py', '$HOME', \"`id`\")\nif True:\n    print('indented')\n";
  const perl = 'my $x = "perl";\nprint "$x \\$HOME\\n";\n';
  const bash = 'a=(one two)\necho "bash ${a[1]}"\n';
  const run = (b: JobBuilder) => runAsUpstart(b.config.processes.main!.command);
  assert.equal(await run(new JobBuilder().pythonScript(python)), "py $HOME `id`\nindented\n");
  assert.equal(await run(new JobBuilder().perlScript(perl)), "perl $HOME\n");
  assert.equal(
    await run(new JobBuilder().shellScript(bash, { interpreter: "/bin/bash" })),
    "bash two\n",
  );
});

Deno.test("builder: random descriptions and script bodies are exact or refused", () => {
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const alphabet = ["a", " ", "\t", '"', "'", "\\", "#", "(", ")", "\n", "e", "n", "d", "é", "$"];
  const pick = (n: number) =>
    Array.from({ length: n }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
  let written = 0;
  for (let i = 0; i < 2000; i++) {
    const v = pick(1 + Math.floor(random() * 10));
    let text: string;
    try {
      text = new JobBuilder().description(v).toString();
    } catch (e) {
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /^JobBuilder.description: /);
      continue;
    }
    written++;
    assert.equal(parseJob(text).config.description, v, JSON.stringify(v));
    const body = ["end script", "  end  script", v, "echo ok"].filter(() => random() < 0.6)
      .join("\n") + "\n";
    try {
      assert.equal(new JobBuilder().script(body).config.processes.main?.command, body);
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
      assert.ok(e instanceof TypeError, String(e));
      assert.match(e.message, /^JobBuilder.script: /);
    }
  }
  assert.ok(written > 500, `${written} values written`);
});
