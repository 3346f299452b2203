import assert from "node:assert/strict";
import { cli } from "./support/cli_io.ts";
import { startSandbox } from "./support/sandbox.ts";
import { policySandbox } from "./support/api_sandbox.ts";
import { formatJob } from "../src/jobfile/mod.ts";
import { SHARED } from "./support/shared.ts";

Deno.test("check reports Upstart's FILE:LINE: REASON and exits 1", async () => {
  const files = { "good.conf": "exec /bin/true\n", "bad.conf": "exec /bin/true\nbogus\n" };
  const bad = await cli(["check", "good.conf", "bad.conf"], {}, files);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, "bad.conf:2: Unknown stanza\n");
  const ok = await cli(["check", "good.conf"], {}, files);
  assert.equal(ok.code, 0);
  assert.equal(ok.err, "");
});

Deno.test("parse --json prints the typed configuration", async () => {
  const files = {
    "web.conf": 'description "web"\nstart on runlevel [2345]\nrespawn\nexec /usr/bin/web\n',
  };
  const run = await cli(["parse", "--json", "web.conf"], {}, files);
  assert.equal(run.code, 0);
  const config = JSON.parse(run.out);
  assert.equal(config.description, "web");
  assert.equal(config.respawn, true);
  assert.deepEqual(config.processes.main, { kind: "exec", command: "/usr/bin/web" });
  assert.equal(config.startOn.name, "runlevel");
});

Deno.test("usage errors exit 2 for our own commands; --help exits 0", async () => {
  assert.equal((await cli(["check"])).code, 2);
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage:/);
});

Deno.test({
  name: "check agrees with Upstart's verdict on every corpus file (real subprocess)",
  ignore: SHARED === null,
  async fn() {
    const dir = new URL("corpus/jobs/", SHARED!).pathname;
    const expected = Deno.readTextFileSync(new URL("corpus/EXPECTED.jsonl", SHARED!)).trim().split(
      "\n",
    )
      .map((l) => JSON.parse(l));
    const rejected = expected.filter((e) => !e.ok);
    const files = expected.map((e) => dir + e.file);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        new URL("../cli.ts", import.meta.url).pathname,
        "check",
        ...files,
      ],
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    const all = new TextDecoder().decode(out.stderr).trim().split("\n");
    const lines = all.filter((l) => !/^[^:]+:\d+: warning: /.test(l));
    assert.ok(all.length > lines.length, "the checker also warns about some corpus files");
    assert.deepEqual(
      lines.sort(),
      rejected.map((e) =>
        /signal/.test(e.reason) && !e.line
          ? `${dir}${e.file}: Error while loading configuration file: ${e.reason}`
          : `${dir}${e.file}:${e.line}: ${e.reason}`
      ).sort(),
    );
  },
});

Deno.test("check prints warnings as FILE:LINE: warning: …; --strict fails on them; -q hides them", async () => {
  const files = { "t.conf": "task\nrespawn\nexec /bin/true\n", "ok.conf": "exec /bin/true\n" };
  const run = await cli(["check", "t.conf", "ok.conf"], {}, files);
  assert.equal(run.code, 0);
  assert.equal(
    run.err,
    "t.conf:2: warning: respawn on a task: the task is run again each time it fails (up to the respawn limit)\n",
  );
  assert.equal((await cli(["check", "--strict", "t.conf"], {}, files)).code, 1);
  assert.equal((await cli(["check", "--strict", "ok.conf"], {}, files)).code, 0);
  const quiet = await cli(["check", "-q", "t.conf"], {}, files);
  assert.equal(quiet.code, 0);
  assert.equal(quiet.err, "");
});

Deno.test("check --json lists every problem with its severity, code and line", async () => {
  const files = {
    "u.conf": "setuid web\nexec /bin/true\n",
    "bad.conf": "bogus\n",
    "passwd": "root:x:0:0::/root:/bin/sh\n",
  };
  const run = await cli(["check", "--json", "--passwd", "passwd", "u.conf", "bad.conf"], {}, files);
  assert.equal(run.code, 1);
  assert.equal(run.err, "");
  const doc = JSON.parse(run.out);
  assert.equal(doc.ok, false);
  assert.deepEqual(doc.files[0], {
    file: "u.conf",
    ok: true,
    problems: [{
      line: 1,
      column: 1,
      severity: "warning",
      code: "unknown-user",
      message: 'setuid user "web" does not exist on this machine: the job would fail to start',
    }],
  });
  assert.deepEqual(doc.files[1].problems, [{
    line: 1,
    column: 6,
    severity: "error",
    code: "parse",
    message: "bad.conf:1: Unknown stanza",
  }]);
  const off = await cli(["check", "--no-accounts", "u.conf"], {}, files);
  assert.equal(off.err, "");
});

/** A temporary directory with files, removed after `f`. */
async function withFiles(
  files: Record<string, string>,
  f: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "cli-jobfile-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const MESSY = "exec   /usr/bin/web   # run\n  description   'web'\nrespawn\n";

Deno.test("fmt --check lists unformatted files and exits 1, writing nothing", async () => {
  await withFiles({ "messy.conf": MESSY, "tidy.conf": formatJob(MESSY) }, async (dir) => {
    const run = await cli(["fmt", "--check", `${dir}/messy.conf`, `${dir}/tidy.conf`]);
    assert.equal(run.code, 1);
    assert.equal(run.out, `${dir}/messy.conf\n`);
    assert.equal(Deno.readTextFileSync(`${dir}/messy.conf`), MESSY);
    assert.equal((await cli(["fmt", "--check", `${dir}/tidy.conf`])).code, 0);
  });
});

Deno.test("fmt rewrites files in place, keeping mode and symlinks; rejected files are left", async () => {
  await withFiles({ "messy.conf": MESSY, "bad.conf": "bogus\n" }, async (dir) => {
    Deno.chmodSync(`${dir}/messy.conf`, 0o640);
    Deno.symlinkSync(`${dir}/messy.conf`, `${dir}/link.conf`);
    const run = await cli(["fmt", `${dir}/link.conf`, `${dir}/bad.conf`]);
    assert.equal(run.code, 1);
    assert.equal(run.err, `${dir}/bad.conf:1: Unknown stanza\n`);
    assert.equal(Deno.readTextFileSync(`${dir}/messy.conf`), formatJob(MESSY));
    assert.equal(Deno.statSync(`${dir}/messy.conf`).mode! & 0o777, 0o640);
    assert.ok(Deno.lstatSync(`${dir}/link.conf`).isSymlink);
    assert.equal(Deno.readTextFileSync(`${dir}/bad.conf`), "bogus\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "bad.conf",
      "link.conf",
      "messy.conf",
    ]);
    const again = await cli(["fmt", "--json", `${dir}/messy.conf`]);
    assert.equal(again.code, 0);
    assert.deepEqual(JSON.parse(again.out).files, [
      { file: `${dir}/messy.conf`, formatted: true, changed: false },
    ]);
    assert.equal((await cli(["fmt"])).code, 2);
  });
});

Deno.test("create builds with JobBuilder and installs atomically, never replacing a file", async () => {
  await withFiles({}, async (dir) => {
    const args = [
      "create",
      "web",
      "--exec",
      "/usr/bin/web --port 80",
      "--description",
      'my "web"',
      "--start-on",
      "runlevel [2345]",
      "--env",
      "A=two words",
      "--setuid",
      "no-such-user-4f1c",
      "--respawn",
      "--dir",
      dir,
      "--no-reload",
    ];
    const dry = await cli([...args, "--dry-run"]);
    assert.equal(dry.code, 0);
    const run = await cli(args);
    assert.equal(run.code, 0, run.err);
    const text = Deno.readTextFileSync(`${dir}/web.conf`);
    assert.equal(text, dry.out);
    assert.equal(formatJob(text), text);
    assert.match(run.err, /web\.conf:\d+: warning: setuid user "no-such-user-4f1c" does not exist/);
    const again = await cli(args);
    assert.equal(again.code, 1);
    assert.match(again.err, /already exists: not replacing it/);
    assert.equal((await cli([...args, "--overwrite", "--task"])).code, 0);
    assert.match(Deno.readTextFileSync(`${dir}/web.conf`), /^task$/m);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["web.conf"]);
  });
});

Deno.test("create refuses bad names (usage, exit 2) and values it cannot write (exit 1)", async () => {
  const base = ["--exec", "/bin/true", "--dry-run"];
  for (const name of ["../x", "x.conf", "caf\u00e9"]) {
    const run = await cli(["create", name, ...base]);
    assert.equal(run.code, 2, name);
  }
  const nl = await cli(["create", "web", ...base, "--description", "a\nrespawn"]);
  assert.equal(nl.code, 1);
  assert.match(nl.err, /invalid job: .*newline/);
  const cond = await cli(["create", "web", ...base, "--start-on", "a and"]);
  assert.equal(cond.code, 1);
  assert.match(cond.err, /invalid job: invalid condition "a and": Expected event/);
});

Deno.test("create reaches Upstart before writing: unreachable, nothing is written", async () => {
  await withFiles({}, async (dir) => {
    const gone = "unix:path=/nonexistent/upstart-test-socket";
    const r = await cli(["--address", gone, "create", "web", "--exec", "/bin/true", "--dir", dir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^initctl: Upstart is not running or cannot be reached/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("create reloads Upstart, which then knows the job; --json says so", async () => {
  await using sb = await startSandbox({ jobs: {} });
  const a = ["--address", sb.address];
  const r = await cli([
    ...a,
    "create",
    "web",
    "--exec",
    "sleep 1000",
    "--dir",
    sb.jobDir,
    "--json",
  ]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), {
    path: `${sb.jobDir}/web.conf`,
    job: "web",
    reloaded: true,
    warnings: [],
  });
  const status = await cli([...a, "status", "web"]);
  assert.deepEqual([status.code, status.out], [0, "web stop/waiting\n"]);
});

Deno.test("create says so when the file was written but the reload failed", async () => {
  // Upstart's policy for non-root users: properties readable, ReloadConfiguration denied.
  await using sb = await policySandbox({});
  await withFiles({}, async (dir) => {
    const r = await cli([
      "--address",
      sb.address,
      "create",
      "web",
      "--exec",
      "/bin/true",
      "--dir",
      dir,
    ]);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      new RegExp(
        `^initctl: ${dir}/web\\.conf was written but Upstart did not reload its configuration: `,
      ),
    );
    assert.match(r.err, /run `initctl reload-configuration' once it can\)\n$/);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["web.conf"]);
  });
});

Deno.test("the project's own example jobs are in fmt's canonical form", async () => {
  const dir = new URL("../examples/jobs/", import.meta.url).pathname;
  const files = [...Deno.readDirSync(dir)].map((e) => dir + e.name).filter((f) =>
    f.endsWith(".conf")
  ).sort();
  assert.ok(files.length > 0);
  const r = await cli(["fmt", "--check", ...files]);
  assert.equal(r.code, 0, r.out + r.err);
});

Deno.test("a permission error prints initctl's line, then what is needed on a second line", async () => {
  await using sb = await policySandbox({ svc: "exec sleep 1000\n" });
  const r = await cli(["--address", sb.address, "start", "svc"]);
  assert.equal(r.code, 1);
  const lines = r.err.trimEnd().split("\n");
  assert.equal(lines.length, 2, r.err);
  assert.match(lines[0], /^initctl: Rejected send message/); // the bus policy's own words
  assert.match(lines[1], /^hint: this call needs root/);
});
