/**
 * Packaging: the CLI runs with the least permissions the README gives for
 * each command, has nothing that breaks in a single file (dynamic imports,
 * reading its own sources), and its `deno bundle` output works against the
 * sandbox. (`deno compile` downloads Deno's runtime, so it cannot run here.)
 */
import assert from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { cliProcess } from "./support/cli_io.ts";

/** What every command that talks to Upstart needs (README, "Permissions"). */
const DAEMON = ["--allow-ffi", "--allow-env"];
const ROOT = new URL("../", import.meta.url).pathname;

Deno.test("least permissions: each command runs with exactly what the README lists", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  const a = ["--address", sb.address];
  let r = await cliProcess(["--help"], {}, []);
  assert.equal(r.code, 0, r.err);
  r = await cliProcess(["start", "--help"], {}, []);
  assert.equal(r.code, 0, r.err);
  for (const cmd of [["list"], ["version"], ["start", "svc"], ["status", "svc"], ["stop", "svc"]]) {
    r = await cliProcess([...a, ...cmd], {}, DAEMON);
    assert.equal(r.code, 0, `${cmd.join(" ")}: ${r.err}`);
  }
  r = await cliProcess([...a, "list"], {}, ["--allow-env"]);
  assert.deepEqual([r.code, r.err], [
    1,
    'initctl: Requires ffi access to "libdbus-1.so.3", run again with the --allow-ffi flag ' +
    "(see the README for the permissions each command needs)\n",
  ]);

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ok.conf`, "start on runlevel [2345]\nexec sleep 1\n");
    r = await cliProcess(["check", `${dir}/ok.conf`], {}, [`--allow-read=${dir}`]);
    assert.deepEqual([r.code, r.err], [0, ""]);
    await Deno.mkdir(`${dir}/upstart/sessions`, { recursive: true });
    r = await cliProcess(["list-sessions"], { XDG_RUNTIME_DIR: dir }, [
      "--allow-env=XDG_RUNTIME_DIR",
      "--allow-read",
    ]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cliProcess(["list-sessions"], { XDG_RUNTIME_DIR: dir }, [
      "--allow-env=XDG_RUNTIME_DIR",
    ]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^initctl: Requires read access to .*see the README/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nothing that breaks in one file: only literal dynamic imports, no reading its own sources", async () => {
  const files = [`${ROOT}cli.ts`];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  };
  walk(`${ROOT}src/cli`);
  for (const f of files) {
    const text = await Deno.readTextFile(f);
    // A bundler inlines `import("./literal.ts")` (the sandbox command loads the sandbox so);
    // a computed specifier it cannot follow.
    for (const m of text.matchAll(/\bimport\s*\(\s*([^)]*)\)/g)) {
      assert.match(m[1], /^"\.{1,2}\/[^"]+\.ts"$/, `${f}: a dynamic import of ${m[1]}`);
    }
    assert.doesNotMatch(text, /import\.meta\.(url|filename|dirname|resolve)/, `${f} locates files`);
  }
});

Deno.test("the deno bundle output runs list and version against the sandbox", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = `${dir}/cli.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--output", bundle, `${ROOT}cli.ts`],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    const text = await Deno.readTextFile(bundle);
    assert.doesNotMatch(text, /\bimport\s*\(/, "no dynamic import left in the bundle");
    // Code under `if (false)` is a module's own `import.meta.main` block, dead in a bundle.
    const live = text.replace(/\n( *)if \(false\) \{\n[\s\S]*?\n\1\}\n/g, "\n");
    assert.deepEqual([...new Set(live.match(/import\.meta\.\w+/g))], ["import.meta.main"]);

    await using sb = await startSandbox({
      jobs: { svc: "exec sleep 1000\n", other: "exec sleep 1000\n" },
    });
    const a = ["--address", sb.address];
    let r = await cliProcess([...a, "version"], {}, DAEMON, bundle);
    assert.deepEqual([r.code, r.out.replace(/ sandbox/, "")], [0, "init (upstart 1.13.2)\n"]);
    r = await cliProcess([...a, "start", "svc"], {}, DAEMON, bundle);
    assert.equal(r.code, 0, r.err);
    r = await cliProcess([...a, "list"], {}, DAEMON, bundle);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out.replace(/process \d+/, "process PID").trimEnd().split("\n").sort(),
      ["other stop/waiting", "svc start/running, process PID"],
    );
    r = await cliProcess([...a, "status", "nosuch"], {}, DAEMON, bundle);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuch\n"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
