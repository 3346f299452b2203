/**
 * The package's exports work away from a git checkout: the sandbox runs from the `deno bundle`
 * output and from modules served over HTTP (as from JSR: no file read beside its modules), and
 * `deno publish` would upload every file the exports' module graphs need.
 */
import assert from "node:assert/strict";
import { System } from "../src/system.ts";
import { alive, until } from "./support/poll.ts";
import { spawnSandbox } from "./support/sandbox_process.ts";

const ROOT = new URL("../", import.meta.url);
const CONFIG = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
  exports: Record<string, string>;
};

/** A job directory with one service. */
async function jobDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "upstart-exports-" });
  await Deno.writeTextFile(`${dir}/svc.conf`, "exec sleep 1000\n");
  return dir;
}

/** Starts `svc` through the typed API on `address`; returns its main pid. */
async function startSvc(address: string): Promise<number> {
  await using system = await System.connect({ address });
  const inst = await (await system.job("svc")).start();
  assert.equal(inst.state, "running");
  const pid = inst.processes[0].pid;
  assert.ok(pid > 0 && alive(pid), `svc runs (${pid})`);
  return pid;
}

/** Runs the CLI's `sandbox` command with `deno ARGS...`, starts a job, stops it all by SIGINT. */
async function runSandboxCommand(args: string[], env: Record<string, string> = {}) {
  const dir = await jobDir();
  const p = spawnSandbox(args.concat(["sandbox", dir]), env);
  try {
    const pid = await startSvc(await p.address());
    p.child.kill("SIGINT");
    assert.equal((await p.child.status).code, 0, p.err.all.join("\n"));
    await Promise.all([p.out.done, p.err.done]);
    assert.ok(p.err.all.includes("sandbox: stopping"), p.err.all.join("\n"));
    await until(() => !alive(pid), "the job's process to go with the sandbox");
  } finally {
    try {
      p.child.kill("SIGKILL");
    } catch { /* exited */ }
    await p.child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the sandbox command runs a job from the deno bundle output of cli.ts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bundle = `${dir}/cli.js`;
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--quiet", "--output", bundle, new URL("cli.ts", ROOT).pathname],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    // Run from elsewhere, so that nothing of the checkout is found by accident.
    await runSandboxCommand(["run", "--allow-all", bundle], {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Serves the project directory read-only on 127.0.0.1; records every path asked for. */
function serveProject() {
  const asked: string[] = [];
  const missing: string[] = [];
  const root = ROOT.pathname.replace(/\/$/, "");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    asked.push(path);
    if (path.split("/").includes("..")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(root + path);
      const type = path.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      missing.push(path);
      return new Response("not found", { status: 404 });
    }
  });
  return { server, asked, missing, origin: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("./sandbox and the CLI's sandbox command run a job when loaded over HTTP", async () => {
  const http = serveProject();
  const work = await Deno.makeTempDir({ prefix: "upstart-http-" });
  const dir = await jobDir();
  // What the sandbox needs (it spawns dbus-daemon and the jobs), and the modules from this host.
  const allow = ["--allow-ffi", "--allow-env", "--allow-read", "--allow-write", "--allow-run"];
  allow.push("--allow-sys");
  allow.push(`--allow-import=${new URL(http.origin).host}`);
  // A fresh module cache: everything comes over HTTP, nothing from an earlier run.
  const env = { DENO_DIR: `${work}/deno-dir` };
  try {
    // The library: the ./sandbox export and the typed API, as a user's script imports them.
    const script = `${work}/use_sandbox.ts`;
    await Deno.writeTextFile(
      script,
      `import { Sandbox, startPrivateBus } from "${http.origin}${
        CONFIG.exports["./sandbox"].slice(1)
      }";
import { System } from "${http.origin}${CONFIG.exports["."].slice(1)}";
await using bus = await startPrivateBus();
await using sandbox = await Sandbox.start({ jobDir: Deno.args[0], address: bus.address });
await using system = await System.connect({ address: bus.address });
const inst = await (await system.job("svc")).start();
console.log(JSON.stringify({ inst, names: sandbox.jobNames(), status: sandbox.status("svc") }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...allow, script, dir],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    const seen = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(seen.inst.state, "running");
    assert.deepEqual(seen.names, ["svc"]);
    assert.equal(seen.status[0].processes[0].pid, seen.inst.processes[0].pid);
    // The sandbox closed with the script: its job went with it.
    await until(() => !alive(seen.inst.processes[0].pid), "the job gone with its sandbox");

    // The CLI, from the same server.
    await runSandboxCommand(
      ["run", ...allow, `${http.origin}/cli.ts`],
      env,
    );
    assert.deepEqual(http.missing, [], "every module asked for was there");
    assert.ok(http.asked.includes("/src/sandbox/private_bus.ts"));
    // Only modules (the CLI imports deno.json for its version): no file read beside them.
    assert.ok(http.asked.every((p) => /\.(ts|json)$/.test(p)), `only modules: ${http.asked}`);
  } finally {
    await http.server.shutdown();
    await Deno.remove(work, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});

/** The local files of an export's module graph (static and literal dynamic imports). */
async function graphFiles(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  // Beside its own files, only the npm packages deno.json pins (yaml, for inventories).
  const pinned = Object.values(
    (JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))) as {
      imports?: Record<string, string>;
    }).imports ?? {},
  ).map((s) => s.replace(/^npm:/, "npm:/"));
  const external = info.modules.filter((m) => !m.specifier.startsWith(ROOT.href));
  assert.deepEqual(
    external.map((m) => m.specifier).filter((s) => !pinned.includes(s)),
    [],
    `${entry} needs only its own files and pinned packages`,
  );
  return info.modules.filter((m) => m.specifier.startsWith(ROOT.href)).map((m) =>
    m.specifier.slice(ROOT.href.length)
  );
}

Deno.test("deno publish --dry-run lists every file the exports need", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT.pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text);
  const published = new Set(
    [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) => m[1].slice(ROOT.href.length)),
  );
  assert.ok(published.has("CHANGELOG.md") && published.has("README.md"), [...published].join());
  assert.deepEqual(Object.keys(CONFIG.exports).sort(), [".", "./cli", "./dbus", "./sandbox"]);
  for (const [name, entry] of Object.entries(CONFIG.exports)) {
    const files = await graphFiles(entry);
    assert.ok(files.length > 1, `${name}: a module graph`);
    const left = files.filter((f) => !published.has(f));
    assert.deepEqual(left, [], `${name} needs files deno publish would leave out`);
    // Nothing of the tests or benchmarks is reachable from an export.
    assert.ok(!files.some((f) => /^(tests|bench)\//.test(f)), `${name}: ${files}`);
  }
});
