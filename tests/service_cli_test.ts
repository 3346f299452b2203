/**
 * The service commands against the sandbox and real files: disable/enable change what an event
 * starts, overrides keep their other stanzas byte for byte, is-enabled/is-active report every
 * state with systemctl's exit codes, cat, edit with a scripted $EDITOR, remove; and the same over
 * --host through a stand-in ssh that runs the command here.
 */
import assert from "node:assert/strict";
import { fakeFleet } from "./support/fake_ssh.ts";
import type { TestSandbox } from "./support/sandbox.ts";
import { cli, cliProcess, fakeIo, hasControl } from "./support/cli_io.ts";
import { until } from "./support/poll.ts";
import { main } from "../src/cli/main.ts";

const JOBS: Record<string, string> = {
  web: "start on go\nexec sleep 1000\n",
  plain: "exec sleep 1000\n",
  slow: "pre-start exec sleep 1000\nexec sleep 1000\n",
  stubborn: "kill timeout 30\npre-stop exec sleep 1000\nexec sleep 1000\n",
  "net/api": "start on go\nexec sleep 1000\n",
};

interface Setup extends AsyncDisposable {
  readonly sb: TestSandbox;
  /** Arguments reaching the sandbox here (`--address`) or over the fake ssh (`-H here`). */
  readonly a: string[];
  readonly tmp: string;
  /** The arguments with `--dir JOBDIR` after the service command. */
  args(args: string[]): string[];
  /** Runs the CLI with {@linkcode Setup.args}. */
  run(args: string[], env?: Record<string, string>): ReturnType<typeof cli>;
}

const SERVICE = new Set(["disable", "enable", "is-enabled", "is-active", "cat", "edit", "remove"]);

function withDir(args: string[], dir: string): string[] {
  const i = args.findIndex((a) => SERVICE.has(a));
  return i < 0 || args[i] === "is-active"
    ? args
    : [...args.slice(0, i + 1), "--dir", dir, ...args.slice(i + 1)];
}

async function setup(remote = false, jobs = JOBS): Promise<Setup> {
  const fleet = await fakeFleet(jobs);
  const { sb } = fleet;
  return {
    sb,
    a: remote ? [...fleet.args, "-H", "here"] : ["--address", sb.address],
    tmp: fleet.dir,
    args: (args) => withDir(args, sb.jobDir),
    run: (args, env = {}) => cli(withDir(args, sb.jobDir), env),
    [Symbol.asyncDispose]: () => fleet[Symbol.asyncDispose](),
  };
}

async function status(sb: TestSandbox, job: string): Promise<string> {
  const r = await cli(["--address", sb.address, "status", job]);
  return r.out.trim();
}

for (const remote of [false, true]) {
  const where = remote ? " (over --host)" : "";

  Deno.test(`disable: the start event no longer starts it; enable: it does again${where}`, async () => {
    await using s = await setup(remote);
    let r = await s.run([...s.a, "disable", "web"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Disabled web: manual added to ${s.sb.jobDir}/web.override\n`);
    assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.override`), "manual\n");
    r = await s.run([...s.a, "disable", "web"]);
    assert.deepEqual([r.code, r.out], [0, "web is already disabled\n"]);
    r = await cli(["--address", s.sb.address, "emit", "go"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(await status(s.sb, "web"), "web stop/waiting");
    // A job in a subdirectory is named with its path.
    r = await s.run([...s.a, "is-enabled", "web", "net/api"]);
    assert.deepEqual([r.code, r.out], [0, "disabled\nenabled\n"]);

    r = await s.run([...s.a, "enable", "web"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `Enabled web: removed ${s.sb.jobDir}/web.override (only manual was in it)\n`,
    );
    await assert.rejects(Deno.stat(`${s.sb.jobDir}/web.override`), Deno.errors.NotFound);
    r = await s.run([...s.a, "enable", "web"]);
    assert.deepEqual([r.code, r.out], [0, "web is already enabled\n"]);
    r = await cli(["--address", s.sb.address, "emit", "go"]);
    assert.equal(r.code, 0, r.err);
    assert.match(await status(s.sb, "web"), /^web start\/running, process \d+$/);
  });

  Deno.test(`disable --now stops it, enable --now starts it; --json${where}`, async () => {
    await using s = await setup(remote);
    assert.equal((await cli(["--address", s.sb.address, "start", "web"])).code, 0);
    let r = await s.run([...s.a, "--json", "disable", "--now", "web"]);
    assert.equal(r.code, 0, r.err);
    const doc = remote ? JSON.parse(r.out) : JSON.parse(r.out);
    assert.deepEqual(
      { ...doc, conf: undefined, override: undefined },
      {
        job: "web",
        conf: undefined,
        override: undefined,
        changed: true,
        removedOverride: false,
        before: "enabled",
        after: "disabled",
        reloaded: true,
        stopped: 1,
      },
    );
    assert.equal(await status(s.sb, "web"), "web stop/waiting");
    r = await s.run([...s.a, "enable", "--now", "web"]);
    assert.equal(r.code, 0, r.err);
    assert.match(await status(s.sb, "web"), /^web start\/running/);
    r = await s.run([...s.a, "enable", "--now", "--no-reload", "web"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--now needs Upstart/);
  });

  Deno.test(`is-active: every state, exit 0 or 3; --json; several jobs${where}`, async () => {
    await using s = await setup(remote);
    const isActive = (...jobs: string[]) => s.run([...s.a, "is-active", ...jobs]);
    let r = await isActive("plain");
    assert.deepEqual([r.code, r.out], [3, "inactive\n"]);
    r = await isActive("nosuch");
    assert.deepEqual([r.code, r.out], [3, "inactive\n"]);
    await cli(["--address", s.sb.address, "start", "plain"]);
    r = await isActive("plain");
    assert.deepEqual([r.code, r.out], [0, "active\n"]);
    await cli(["--address", s.sb.address, "start", "--no-wait", "slow"]);
    await until(async () => (await status(s.sb, "slow")).includes("pre-start"), "pre-start");
    r = await isActive("slow");
    assert.deepEqual([r.code, r.out], [3, "activating\n"]);
    await cli(["--address", s.sb.address, "start", "stubborn"]);
    await cli(["--address", s.sb.address, "stop", "--no-wait", "stubborn"]);
    await until(async () => (await status(s.sb, "stubborn")).includes("pre-stop"), "pre-stop");
    r = await isActive("stubborn");
    assert.deepEqual([r.code, r.out], [3, "deactivating\n"]);
    // At least one active: 0, as systemctl.
    r = await isActive("slow", "plain", "nosuch");
    assert.deepEqual([r.code, r.out], [0, "activating\nactive\ninactive\n"]);
    r = await s.run([...s.a, "-q", "is-active", "plain"]);
    assert.deepEqual([r.code, r.out], [0, ""]);
    r = await s.run([...s.a, "--json", "is-active", "plain", "nosuch"]);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.jobs.map((j: { state: string; known: boolean }) => [j.state, j.known]), [
      ["active", true],
      ["inactive", false],
    ]);
  });

  Deno.test(`cat prints each file under # PATH; escapes control characters${where}`, async () => {
    await using s = await setup(remote);
    await Deno.writeTextFile(`${s.sb.jobDir}/web.override`, "env A=\x1b[2J # mark\nmanual");
    let r = await s.run([...s.a, "cat", "web", "plain"]);
    assert.equal(r.code, 0, r.err);
    const d = s.sb.jobDir;
    assert.equal(
      r.out,
      `# ${d}/web.conf\nstart on go\nexec sleep 1000\n\n` +
        `# ${d}/web.override\nenv A=\\x1b[2J # mark\nmanual\n\n` +
        `# ${d}/plain.conf\nexec sleep 1000\n`,
    );
    assert.equal(hasControl(r.out), false);
    r = await s.run([...s.a, "--json", "cat", "web"]);
    assert.equal(JSON.parse(r.out).files[1].text, "env A=\x1b[2J # mark\nmanual");
    r = await s.run([...s.a, "cat", "nosuch"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /No job file for nosuch: no nosuch\.conf in /);
    r = await s.run([...s.a, "cat", "bad\x1b]0;x\x07"]);
    assert.equal(r.code, 1);
    assert.equal(hasControl(r.err), false);
  });

  Deno.test(`remove refuses a running job unless --stop${where}`, async () => {
    await using s = await setup(remote);
    await Deno.writeTextFile(`${s.sb.jobDir}/plain.override`, "env A=1\n");
    await cli(["--address", s.sb.address, "start", "plain"]);
    let r = await s.run([...s.a, "remove", "plain"]);
    assert.deepEqual([r.code, r.err.trim()], [
      1,
      `${remote ? "" : ""}initctl: plain is running (1 instance): stop it first, or use --stop`,
    ]);
    await Deno.stat(`${s.sb.jobDir}/plain.conf`);
    r = await s.run([...s.a, "remove", "--stop", "plain"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      `Removed ${s.sb.jobDir}/plain.conf\nRemoved ${s.sb.jobDir}/plain.override\n`,
    );
    r = await cli(["--address", s.sb.address, "status", "plain"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Unknown job: plain/);
    r = await s.run([...s.a, "remove", "web"]);
    assert.deepEqual([r.code, r.out], [0, `Removed ${s.sb.jobDir}/web.conf\n`]);
  });
}

Deno.test("is-enabled: enabled, disabled, static, bad, missing; exit 0 or 1; --json", async () => {
  await using s = await setup(false, {
    on: "start on go\nexec true\n",
    off: "start on go\nexec true\n",
    "off.override": "env A=1\nmanual\n",
    again: "start on go\nexec true\n",
    "again.override": "manual\nstart on other\n",
    inconf: "start on go\nmanual\nexec true\n",
    none: "exec true\n",
    broken: "bogus stanza\n",
  });
  const isEnabled = (...jobs: string[]) => s.run([...s.a, "is-enabled", ...jobs]);
  for (
    const [job, out, code] of [
      ["on", "enabled", 0],
      ["off", "disabled", 1],
      ["again", "enabled", 0],
      ["inconf", "disabled", 1],
      ["none", "static", 1],
      ["broken", "bad", 1],
    ] as const
  ) {
    const r = await isEnabled(job);
    assert.deepEqual([r.code, r.out], [code, out + "\n"], job);
  }
  let r = await isEnabled("nosuch");
  assert.deepEqual([r.code, r.out], [1, ""]);
  assert.match(r.err, /^initctl: No job file for nosuch/);
  r = await isEnabled("off", "on");
  assert.deepEqual([r.code, r.out], [0, "disabled\nenabled\n"]);
  r = await s.run([...s.a, "--json", "is-enabled", "none", "nosuch"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out);
  assert.deepEqual(doc.jobs.map((j: { state: string | null }) => j.state), ["static", null]);
  // is-enabled reads files only: no Upstart needed.
  r = await cli(["--address", "unix:path=/nonexistent", "is-enabled", "--dir", s.sb.jobDir, "on"]);
  assert.deepEqual([r.code, r.out], [0, "enabled\n"]);
  // enable cannot undo a manual in the .conf itself: it says so.
  r = await s.run([...s.a, "enable", "inconf"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /inconf stays disabled: manual in .*inconf\.conf/);
  // disable of a static job, or a bad one.
  r = await s.run([...s.a, "disable", "none"]);
  assert.deepEqual([r.code, r.out], [
    0,
    "none has no start on: it starts only when asked (static), nothing to disable\n",
  ]);
  r = await s.run([...s.a, "disable", "broken"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /Upstart loads no job from/);
});

Deno.test("disable and enable keep the override's other stanzas byte for byte", async () => {
  const override =
    "# ops: keep this\r\n  env PORT=8080   # port\n\nlimit nofile 10 20\nstart on other # re-enabled\n# tail without newline";
  await using s = await setup(false, { web: "start on go\nexec sleep 1000\n" });
  await Deno.writeTextFile(`${s.sb.jobDir}/web.override`, override);
  await Deno.chmod(`${s.sb.jobDir}/web.override`, 0o640);
  let r = await s.run([...s.a, "disable", "web"]);
  assert.equal(r.code, 0, r.err);
  const disabled = await Deno.readTextFile(`${s.sb.jobDir}/web.override`);
  assert.equal(disabled, override + "\nmanual\n");
  assert.equal((await Deno.stat(`${s.sb.jobDir}/web.override`)).mode! & 0o777, 0o640);
  r = await s.run([...s.a, "is-enabled", "web"]);
  assert.equal(r.out, "disabled\n");
  r = await s.run([...s.a, "enable", "web"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, `Enabled web: manual removed from ${s.sb.jobDir}/web.override\n`);
  // Byte for byte, except that the last line now ends in a line feed (added before manual).
  assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.override`), override + "\n");
  // Nothing left behind in the directory (no temporary files).
  const names = [...Deno.readDirSync(s.sb.jobDir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["web.conf", "web.override"]);
});

Deno.test("disable refuses an override Upstart rejects, and changes nothing", async () => {
  await using s = await setup(false, { web: "start on go\nexec true\n" });
  await Deno.writeTextFile(`${s.sb.jobDir}/web.override`, "bogus\n");
  const r = await s.run([...s.a, "disable", "web"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /web\.override:1: Unknown stanza/);
  assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.override`), "bogus\n");
});

Deno.test("disable: Upstart unreachable leaves the files alone; --no-reload writes anyway", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/web.conf`, "start on go\nexec true\n");
    const gone = ["--address", "unix:path=/nonexistent/socket"];
    let r = await cli([...gone, "disable", "--dir", dir, "web"]);
    assert.equal(r.code, 1);
    await assert.rejects(Deno.stat(`${dir}/web.override`), Deno.errors.NotFound);
    r = await cli([...gone, "disable", "--dir", dir, "--no-reload", "web"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(await Deno.readTextFile(`${dir}/web.override`), "manual\n");
    // A job directory other users may write to is refused.
    await Deno.writeTextFile(`${dir}/web.override`, "env A=1\nmanual\n");
    await Deno.chmod(dir, 0o777);
    r = await cli([...gone, "enable", "--dir", dir, "--no-reload", "web"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /writable by other users/);
    assert.equal(await Deno.readTextFile(`${dir}/web.override`), "env A=1\nmanual\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A scripted editor: runs `body` with the file as $1. */
async function editor(dir: string, name: string, body: string): Promise<string> {
  const path = `${dir}/${name}`;
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

for (const remote of [false, true]) {
  const where = remote ? " (over --host)" : "";
  Deno.test(`edit: a change is written and loaded, no change writes nothing${where}`, async () => {
    await using s = await setup(remote);
    const add = await editor(s.tmp, "add", 'printf "env PORT=99\\n" >> "$1"');
    let r = await s.run([...s.a, "edit", "web"], { EDITOR: add });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `Wrote ${s.sb.jobDir}/web.override\n`);
    assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.override`), "env PORT=99\n");
    // --full edits the .conf; $VISUAL wins over $EDITOR.
    const full = await editor(s.tmp, "full", 'printf "description \\"hi\\"\\n" >> "$1"');
    r = await s.run([...s.a, "edit", "--full", "web"], { VISUAL: full, EDITOR: "false" });
    assert.equal(r.code, 0, r.err);
    assert.equal(
      await Deno.readTextFile(`${s.sb.jobDir}/web.conf`),
      'start on go\nexec sleep 1000\ndescription "hi"\n',
    );
    // The daemon has the new description (reload-configuration was asked for).
    const info = await cli(["--address", s.sb.address, "--json", "show-config", "web"]);
    assert.equal(info.code, 0, info.err);
    const before = await Deno.stat(`${s.sb.jobDir}/web.conf`);
    r = await s.run([...s.a, "edit", "--full", "web"], { EDITOR: "true" });
    assert.deepEqual([r.code, r.out], [0, `No changes to ${s.sb.jobDir}/web.conf\n`]);
    assert.equal(
      (await Deno.stat(`${s.sb.jobDir}/web.conf`)).mtime?.getTime(),
      before.mtime?.getTime(),
    );
    // An emptied override is deleted.
    const empty = await editor(s.tmp, "empty", ': > "$1"');
    r = await s.run([...s.a, "edit", "--override", "web"], { EDITOR: empty });
    assert.equal(r.code, 0, r.err);
    await assert.rejects(Deno.stat(`${s.sb.jobDir}/web.override`), Deno.errors.NotFound);
  });

  Deno.test(`edit: an invalid change is refused and nothing is written${where}`, async () => {
    await using s = await setup(remote);
    const bad = await editor(s.tmp, "bad", 'printf "bogus stanza\\n" >> "$1"');
    const r = await s.run([...s.a, "edit", "--full", "web"], { EDITOR: bad });
    assert.equal(r.code, 1);
    assert.match(r.err, /web\.conf:3: Unknown stanza/);
    const kept = /your version is in (\S+)/.exec(r.err)?.[1];
    assert.ok(kept, r.err);
    assert.equal(await Deno.readTextFile(kept), "start on go\nexec sleep 1000\nbogus stanza\n");
    await Deno.remove(kept.slice(0, kept.lastIndexOf("/")), { recursive: true });
    assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.conf`), JOBS.web);
  });
}

Deno.test("edit asks again on a terminal until the job is valid; warnings are shown", async () => {
  await using s = await setup(false);
  // First run writes an error, the second a job with a warning (task + respawn).
  const count = `${s.tmp}/count`;
  const ed = await editor(
    s.tmp,
    "twice",
    `if [ -e ${count} ]; then printf "task\\nrespawn\\n" > "$1"; else : > ${count}; printf "bogus\\n" > "$1"; fi`,
  );
  const f = fakeIo({ EDITOR: ed });
  const questions: string[] = [];
  const io = { ...f.io, ask: (q: string) => (questions.push(q), Promise.resolve("y")) };
  const code = await main(s.args([...s.a, "edit", "plain"]), io);
  assert.equal(code, 0, f.err());
  assert.deepEqual(questions, ["Edit again? [Y/n] "]);
  assert.match(f.err(), /plain\.override:1: Unknown stanza/);
  assert.match(f.err(), /plain\.override:2: warning: /);
  assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/plain.override`), "task\nrespawn\n");
  // Answering no gives up.
  await Deno.remove(count);
  const g = fakeIo({ EDITOR: ed });
  const no = { ...g.io, ask: () => Promise.resolve("n") };
  assert.equal(await main(s.args([...s.a, "edit", "web"]), no), 1);
  await assert.rejects(Deno.stat(`${s.sb.jobDir}/web.override`), Deno.errors.NotFound);
});

Deno.test("edit: a failing editor, several hosts, or a file changed meanwhile write nothing", async () => {
  await using s = await setup(false);
  let r = await s.run([...s.a, "edit", "web"], { EDITOR: "false" });
  assert.equal(r.code, 1);
  assert.match(r.err, /the editor exited with status 1: nothing written/);
  r = await cli(["-H", "a,b", "edit", "web"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /edit runs on one host at a time/);
  r = await s.run([...s.a, "edit", "--full", "--override", "web"]);
  assert.equal(r.code, 2);
  // Someone else rewrites the .conf while the editor is open: that change wins.
  const racing = await editor(
    s.tmp,
    "race",
    `printf "exec other\\n" > ${s.sb.jobDir}/web.conf; printf "env X=1\\n" >> "$1"`,
  );
  r = await s.run([...s.a, "edit", "--full", "web"], { EDITOR: racing });
  assert.equal(r.code, 1);
  assert.match(r.err, /changed while it was being edited/);
  assert.equal(await Deno.readTextFile(`${s.sb.jobDir}/web.conf`), "exec other\n");
  const kept = /your version is in (\S+)/.exec(r.err)![1];
  await Deno.remove(kept.slice(0, kept.lastIndexOf("/")), { recursive: true });
});

Deno.test("--host: an unreachable host is a clear error naming it", async () => {
  await using s = await setup(true);
  const a = s.a.map((x) => x === "here" ? "down1" : x);
  const r = await cli(s.args([...a, "is-enabled", "web"]));
  assert.equal(r.code, 1);
  assert.match(r.err, /down1: cannot stat .*web\.conf: ssh: connect to host down1 port 22/);
});

Deno.test("help lists the Service group", async () => {
  const r = await cli(["--help"]);
  assert.match(r.out, /Service commands:\n {2}disable .*\n {2}enable .*\n {2}is-enabled/);
  const h = await cli(["edit", "--help"]);
  assert.match(h.out, /--full/);
});

Deno.test("least permissions: is-enabled and cat need only read access to the job directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/web.conf`, "start on go\nexec true\n");
    let r = await cliProcess(["is-enabled", "--dir", dir, "web"], {}, [`--allow-read=${dir}`]);
    assert.deepEqual([r.code, r.out, r.err], [0, "enabled\n", ""]);
    r = await cliProcess(["cat", "--dir", dir, "web"], {}, [`--allow-read=${dir}`]);
    assert.deepEqual([r.code, r.out], [0, `# ${dir}/web.conf\nstart on go\nexec true\n`]);
    // disable --no-reload writes with read and write access only.
    r = await cliProcess(["disable", "--no-reload", "--dir", dir, "web"], {}, [
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(await Deno.readTextFile(`${dir}/web.override`), "manual\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("paths with control characters are printed escaped, on one line", async () => {
  const base = await Deno.makeTempDir();
  try {
    const dir = `${base}/odd\nline\x1b[2J`;
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.writeTextFile(`${dir}/web.conf`, "start on go\nexec true\n");
    for (
      const args of [["disable", "--no-reload"], ["cat"], ["is-enabled"], ["edit", "--no-reload"]]
    ) {
      const r = await cli([...args, "--dir", dir, "web"], { EDITOR: "true" });
      assert.equal(r.code, args[0] === "is-enabled" ? 1 : 0, r.err);
      assert.equal(hasControl(r.out + r.err), false, args[0]);
      assert.ok(r.out.split("\n").length <= 7, r.out); // no line forged by a path
    }
    const r = await cli(["disable", "--no-reload", "--dir", dir, "web"]);
    assert.equal(r.out, "web is already disabled\n");
    const c = await cli(["cat", "--dir", dir, "web"]);
    assert.match(c.out, /^# .*odd\\nline\\x1b\[2J\/web\.conf\n/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
