/**
 * JobDirectory on real files: Upstart's sources and their order, finding a job's files, the
 * enabled/disabled/static/bad states from the merged configuration, and disable/enable/write/
 * remove keeping everything else byte for byte.
 */
import assert from "node:assert/strict";
import {
  enablement,
  JobCheckError,
  JobDirectory,
  JobFileNotFoundError,
  MAX_JOB_FILE_BYTES,
  ParseError,
  withManual,
  withoutManual,
} from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function tempDirs(n: number): Promise<string[] & AsyncDisposable> {
  const dirs = [] as unknown as string[] & AsyncDisposable;
  for (let i = 0; i < n; i++) dirs.push(await Deno.makeTempDir({ prefix: "job-dir-" }));
  dirs[Symbol.asyncDispose] = async () => {
    for (const d of dirs) await Deno.remove(d, { recursive: true });
  };
  return dirs;
}

Deno.test("session sources follow Upstart's order and defaults", () => {
  const env = (vars: Record<string, string>) => (n: string) => vars[n];
  assert.deepEqual(JobDirectory.session(env({ HOME: "/h" })).dirs, [
    "/h/.config/upstart",
    "/h/.init",
    "/etc/xdg/upstart",
    "/usr/share/upstart/sessions",
  ]);
  assert.deepEqual(
    JobDirectory.session(env({ HOME: "/h", XDG_CONFIG_HOME: "/c", XDG_CONFIG_DIRS: "/x:rel:/y" }))
      .dirs,
    ["/c/upstart", "/h/.init", "/x/upstart", "/y/upstart", "/usr/share/upstart/sessions"],
  );
  // No HOME: only what does not need it.
  assert.deepEqual(JobDirectory.session(env({})).dirs, [
    "/etc/xdg/upstart",
    "/usr/share/upstart/sessions",
  ]);
  assert.deepEqual(JobDirectory.system().dirs, ["/etc/init"]);
  assert.throws(() => new JobDirectory([]), TypeError);
  assert.throws(() => new JobDirectory("etc/init"), TypeError);
});

Deno.test("locate: the first source with NAME.conf wins; the override is beside it", async () => {
  await using dirs = await tempDirs(2);
  const [high, low] = dirs;
  await Deno.writeTextFile(`${low}/web.conf`, "exec low\n");
  await Deno.writeTextFile(`${high}/web.override`, "manual\n"); // no .conf here: ignored
  const jobs = new JobDirectory([high, low]);
  let at = await jobs.locate("web");
  assert.deepEqual(at, {
    name: "web",
    dir: low,
    conf: `${low}/web.conf`,
    override: `${low}/web.override`,
  });
  assert.equal((await jobs.read("web")).overrideBytes, null);
  await Deno.writeTextFile(`${high}/web.conf`, "exec high\n");
  at = await jobs.locate("web");
  assert.equal(at?.dir, high);
  assert.equal(dec.decode((await jobs.read("web")).overrideBytes!), "manual\n");
  // A directory named like a job is not one.
  await Deno.mkdir(`${high}/dir.conf`);
  assert.equal(await jobs.locate("dir"), null);
  await assert.rejects(jobs.read("nosuch"), JobFileNotFoundError);
  await assert.rejects(jobs.locate("../etc/passwd"), RangeError);
  await assert.rejects(jobs.locate("a\x1bb"), RangeError);
  await assert.rejects(jobs.locate("web.conf"), RangeError);
});

Deno.test("a job file over the parser's limit is refused before it is read", async () => {
  await using dirs = await tempDirs(1);
  const f = await Deno.open(`${dirs[0]}/big.conf`, { write: true, create: true });
  await f.truncate(MAX_JOB_FILE_BYTES + 1);
  f.close();
  await assert.rejects(new JobDirectory(dirs[0]).read("big"), /too large/);
});

Deno.test("enablement comes from the merged configuration, never from the word", () => {
  const cases: [string, string | null, string][] = [
    ["start on a\nexec x\n", null, "enabled"],
    ["start on a\nexec x\n", "manual\n", "disabled"],
    ["start on a\nexec x\n", "manual\nstart on b\n", "enabled"],
    ["start on a\nexec x\n", "# manual\n", "enabled"],
    ["start on a\nmanual\nexec x\n", null, "disabled"],
    ["manual\nstart on a\nexec x\n", null, "enabled"],
    ["start on a\nmanual\nexec x\n", "start on b\n", "enabled"],
    ["exec x\n", null, "static"],
    ["exec x\n", "manual\n", "static"],
    ["exec x\n", "start on b\n", "enabled"],
    ["exec x\n", "start on b\nmanual\n", "disabled"],
    ["bogus\n", null, "bad"],
    // An error in the conf leaves the override alone to define the job.
    ["bogus\n", "start on b\nexec x\n", "enabled"],
    ["kill signal FOO\n", "start on b\n", "bad"],
  ];
  for (const [conf, override, want] of cases) {
    assert.equal(enablement(conf, override), want, `${conf} + ${override}`);
  }
});

Deno.test("withManual appends after everything; withoutManual cuts only manual", () => {
  const w = (s: string | null) => dec.decode(withManual(s === null ? null : enc.encode(s)));
  assert.equal(w(null), "manual\n");
  assert.equal(w(""), "manual\n");
  assert.equal(w("start on b"), "start on b\nmanual\n");
  assert.equal(w("script\n  echo\nend script\n"), "script\n  echo\nend script\nmanual\n");
  assert.throws(() => withManual(enc.encode("bogus\n")), ParseError);
  assert.throws(() => withManual(enc.encode("env A=b\\")), ParseError); // Trailing slash in file
  // A dangling line continuation would swallow manual: refused.
  assert.throws(() => withManual(enc.encode("env A=b\\\n")), TypeError);
  assert.throws(() => withManual(enc.encode("exec foo \\\n")), TypeError);
  const wo = (s: string) => {
    const out = withoutManual(enc.encode(s));
    return out === null ? null : dec.decode(out);
  };
  assert.equal(wo("manual\n"), null);
  assert.equal(wo("\n  manual  \n\n"), null);
  assert.equal(wo("# why\nmanual\n"), "# why\n");
  assert.equal(wo("env A=1\nmanual\nenv B=2\nmanual"), "env A=1\nenv B=2\n");
  assert.equal(wo("env A=1 # manual\n"), "env A=1 # manual\n");
});

Deno.test("disable, enable, writeJobFile and remove on real files", async () => {
  await using dirs = await tempDirs(1);
  const [dir] = dirs;
  await Deno.mkdir(`${dir}/net`);
  await Deno.writeTextFile(`${dir}/net/web.conf`, "start on go\nexec web\n");
  const jobs = new JobDirectory(dir);
  let r = await jobs.disable("net/web");
  assert.deepEqual([r.changed, r.before, r.after], [true, "enabled", "disabled"]);
  assert.equal(await Deno.readTextFile(`${dir}/net/web.override`), "manual\n");
  r = await jobs.disable("net/web");
  assert.equal(r.changed, false);
  r = await jobs.enable("net/web");
  assert.deepEqual([r.changed, r.removedOverride, r.after], [true, true, "enabled"]);
  r = await jobs.enable("net/web");
  assert.equal(r.changed, false);

  let w = await jobs.writeJobFile("net/web", "override", enc.encode("respawn limit 5 10\n"));
  // respawn-limit-alone depends on the .conf: not reported for an override.
  assert.deepEqual([w.path, w.removed, w.warnings], [`${dir}/net/web.override`, false, []]);
  w = await jobs.writeJobFile("net/web", "conf", enc.encode("task\nrespawn\nexec web\n"));
  assert.deepEqual(w.warnings.map((p) => p.code), ["task-respawn"]);
  await assert.rejects(
    jobs.writeJobFile("net/web", "conf", enc.encode("exec web\nbogus\n")),
    (e) => e instanceof JobCheckError && e.problems[0].line === 2,
  );
  assert.equal(await Deno.readTextFile(`${dir}/net/web.conf`), "task\nrespawn\nexec web\n");
  w = await jobs.writeJobFile("net/web", "override", enc.encode("\n\n"));
  assert.equal(w.removed, true);
  assert.deepEqual(await jobs.remove("net/web"), [`${dir}/net/web.conf`]);
  await assert.rejects(jobs.remove("net/web"), JobFileNotFoundError);
  assert.deepEqual([...Deno.readDirSync(`${dir}/net`)], []);
});

Deno.test("racing disables and enables never leave a torn override or a temporary file", async () => {
  await using dirs = await tempDirs(1);
  const [dir] = dirs;
  await Deno.writeTextFile(`${dir}/web.conf`, "start on go\nexec web\n");
  await Deno.writeTextFile(`${dir}/web.override`, "env PORT=80\n");
  const jobs = new JobDirectory(dir);
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => i % 2 ? jobs.disable("web") : jobs.enable("web")),
  );
  // Whatever order they ran in, the override is one of the two whole versions.
  const text = await Deno.readTextFile(`${dir}/web.override`);
  assert.ok(["env PORT=80\n", "env PORT=80\nmanual\n"].includes(text), JSON.stringify(text));
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
    "web.conf",
    "web.override",
  ]);
});
