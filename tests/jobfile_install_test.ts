import assert from "node:assert/strict";
import {
  installJob,
  JobBuilder,
  JobCheckError,
  JobExistsError,
  JobInstallError,
  parseJob,
  validateJobName,
} from "../src/jobfile/mod.ts";

const NO_ACCOUNTS = { users: null, groups: null } as const;

/** A fresh directory, removed after `f`. */
async function inTempDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jobfile-install-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function listing(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("install: writes DIR/NAME.conf exactly, mode 0644, and returns the warnings", async () => {
  await inTempDir(async (dir) => {
    const text = "# web\ntask\nrespawn\nexec /usr/bin/web\n";
    const r = await installJob(dir, "web", parseJob(text), NO_ACCOUNTS);
    assert.equal(r.path, `${dir}/web.conf`);
    assert.deepEqual(r.warnings.map((w) => w.code), ["task-respawn"]);
    assert.equal(Deno.readTextFileSync(r.path), text);
    assert.equal(Deno.statSync(r.path).mode! & 0o777, 0o644);
    assert.deepEqual(listing(dir), ["web.conf"]);
    const o = await installJob(dir, "web", "manual\n", { extension: "override", mode: 0o600 });
    assert.equal(o.path, `${dir}/web.override`);
    assert.equal(Deno.statSync(o.path).mode! & 0o777, 0o600);
  });
});

Deno.test("install: never replaces an existing file unless asked", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/web.conf`;
    Deno.writeTextFileSync(path, "exec /old\n");
    const err = await installJob(dir, "web", "exec /new\n").catch((e) => e);
    assert.ok(err instanceof JobExistsError && err instanceof JobInstallError);
    assert.equal(err.path, path);
    assert.equal(err.message, `${path} already exists: not replacing it`);
    assert.equal(Deno.readTextFileSync(path), "exec /old\n");
    assert.deepEqual(listing(dir), ["web.conf"]);
    await installJob(dir, "web", "exec /new\n", { overwrite: true });
    assert.equal(Deno.readTextFileSync(path), "exec /new\n");
    assert.deepEqual(listing(dir), ["web.conf"]);
  });
});

Deno.test("install: racing installs of one name: exactly one wins, the file is whole", async () => {
  await inTempDir(async (dir) => {
    const texts = Array.from({ length: 16 }, (_, i) => `description "writer ${i}"\n`.repeat(200));
    const results = await Promise.allSettled(texts.map((t) => installJob(dir, "race", t)));
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof JobExistsError, String(r.reason));
    }
    assert.ok(texts.includes(Deno.readTextFileSync(`${dir}/race.conf`)));
    assert.deepEqual(listing(dir), ["race.conf"]);
  });
});

Deno.test("install: a job Upstart would reject is refused before anything is written", async () => {
  await inTempDir(async (dir) => {
    const err = await installJob(dir, "bad", "exec /bin/x\nbogus\n").catch((e) => e);
    assert.ok(err instanceof JobCheckError);
    assert.equal(err.message, `${dir}/bad.conf:2: Unknown stanza: not installed`);
    assert.equal(err.problems[0].code, "parse");
    assert.deepEqual(listing(dir), []);
  });
});

Deno.test("install: names Upstart would not load (or would crash on) are refused", async () => {
  await inTempDir(async (dir) => {
    Deno.mkdirSync(`${dir}/.hidden`);
    Deno.mkdirSync(`${dir}/x.dpkg-old`);
    const bad = [
      "",
      "../escape",
      "/abs",
      "a//b",
      "a/",
      "./a",
      ".hidden/job",
      "x.dpkg-old/job",
      "CVS/job",
      "web.conf",
      "web.override",
      "caf\u00e9",
      "a\nb",
      "tab\tname",
      "x".repeat(250),
    ];
    for (const name of bad) {
      await assert.rejects(() => installJob(dir, name, "task\n"), RangeError, JSON.stringify(name));
      assert.throws(() => validateJobName(name), RangeError);
    }
    await assert.rejects(() => installJob(dir, 42 as unknown as string, "task\n"), TypeError);
    assert.deepEqual(listing(dir), [".hidden", "x.dpkg-old"]);
    // Names Upstart does load: dots, spaces, hidden files, subdirectories.
    Deno.mkdirSync(`${dir}/net`);
    for (const name of ["a.b", "a b", ".dot", "net/apache"]) {
      const r = await installJob(dir, name, "task\n");
      assert.equal(Deno.readTextFileSync(r.path), "task\n");
    }
    assert.deepEqual(listing(`${dir}/net`), ["apache.conf"]);
  });
});

Deno.test("install: no temporary file is left behind when writing fails", async () => {
  await inTempDir(async (dir) => {
    // The target is a directory: the final rename fails after the temporary file was written.
    Deno.mkdirSync(`${dir}/web.conf`);
    await assert.rejects(() => installJob(dir, "web", "exec /bin/x\n", { overwrite: true }));
    assert.deepEqual(listing(dir), ["web.conf"]);
    await assert.rejects(() => installJob(dir, "web", "exec /bin/x\n"), JobExistsError);
    assert.deepEqual(listing(dir), ["web.conf"]);
    // A missing directory or subdirectory: the error passes through.
    await assert.rejects(() => installJob(`${dir}/nope`, "web", "task\n"), Deno.errors.NotFound);
    await assert.rejects(() => installJob(dir, "sub/web", "task\n"), Deno.errors.NotFound);
    assert.deepEqual(listing(dir), ["web.conf"]);
  });
});

Deno.test("install: a builder's job, as the README shows it", async () => {
  await inTempDir(async (dir) => {
    const job = new JobBuilder().description("web").startOnRunlevel().respawn()
      .exec("/usr/bin/web --port 80");
    const { path, warnings } = await installJob(dir, "web", job.toString());
    assert.deepEqual(warnings, []);
    assert.deepEqual(parseJob(Deno.readFileSync(path)).config, job.config);
  });
});

Deno.test("install: a directory others may write to (no sticky bit) is refused, and a racer as another user changes nothing", async () => {
  await inTempDir(async (dir) => {
    Deno.chmodSync(dir, 0o755); // the other user must reach the job directory
    const jobs = `${dir}/jobs`;
    Deno.mkdirSync(jobs);
    Deno.chmodSync(jobs, 0o777);
    const victim = `${dir}/victim`;
    Deno.writeTextFileSync(victim, "secret\n");
    Deno.chmodSync(victim, 0o600);
    // Another user swaps every temporary entry for a symlink to the victim, as fast as it can.
    const racer = new Deno.Command("setpriv", {
      args: [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        "sh",
        "-c",
        `while :; do for f in "$1"/.upstart-*; do ln -sfn "$2" "$f.x" 2>/dev/null && mv -f "$f.x" "$f" 2>/dev/null; done; done`,
        "racer",
        jobs,
        victim,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      for (let i = 0; i < 50; i++) {
        await assert.rejects(
          () => installJob(jobs, `web${i}`, "exec /bin/x\n", { mode: 0o666 }),
          (e) => e instanceof JobInstallError && /writable by other users/.test(e.message),
        );
      }
    } finally {
      racer.kill("SIGKILL");
      await racer.status;
    }
    const st = Deno.statSync(victim);
    assert.equal(st.mode! & 0o7777, 0o600);
    assert.equal(Deno.readTextFileSync(victim), "secret\n");
    assert.deepEqual(listing(jobs).filter((n) => n.endsWith(".conf")), []);
  });
});

Deno.test("install: the mode is exact (the umask does not apply), set inside a private staging directory that goes away", async () => {
  await inTempDir(async (dir) => {
    Deno.chmodSync(dir, 0o755);
    const { path } = await installJob(dir, "web", "exec /bin/x\n", { mode: 0o664 });
    const st = Deno.lstatSync(path);
    assert.ok(st.isFile);
    assert.equal(st.mode! & 0o7777, 0o664);
    assert.deepEqual(listing(dir), ["web.conf"]);
    // A sticky, world-writable directory (as /tmp) is safe: others cannot rename our entries.
    const sticky = `${dir}/sticky`;
    Deno.mkdirSync(sticky);
    Deno.chmodSync(sticky, 0o1777);
    await installJob(sticky, "a", "task\n");
    assert.deepEqual(listing(sticky), ["a.conf"]);
  });
});

Deno.test("install: a job name's directory that is a symlink out of the job directory is refused", async () => {
  await inTempDir(async (dir) => {
    const jobs = `${dir}/jobs`;
    const outside = `${dir}/outside`;
    Deno.mkdirSync(jobs);
    Deno.mkdirSync(outside);
    Deno.symlinkSync(outside, `${jobs}/sub`);
    await assert.rejects(
      () => installJob(jobs, "sub/x", "task\n"),
      (e) => e instanceof JobInstallError && /leads outside/.test(e.message),
    );
    assert.deepEqual(listing(outside), []);
    // A symlink that stays inside is fine.
    Deno.mkdirSync(`${jobs}/real`);
    Deno.symlinkSync(`${jobs}/real`, `${jobs}/alias`);
    await installJob(jobs, "alias/y", "task\n");
    assert.deepEqual(listing(`${jobs}/real`), ["y.conf"]);
  });
});
