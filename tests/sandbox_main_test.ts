import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Connection } from "../ffi/mod.ts";
import { until } from "./support/poll.ts";
import { spawnSandbox } from "./support/sandbox_process.ts";
import { cliProcess } from "./support/cli_io.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const MAIN = new URL("../src/sandbox/main.ts", import.meta.url).pathname;

/** Whether a process exists and is not a zombie (an orphan may wait for a non-reaping pid 1). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Runs `deno task sandbox DIR` as a real process, its output read line by line. */
const run = (dir: string) => spawnSandbox(["run", "--allow-all", MAIN, dir]);

Deno.test("deno task sandbox: prints the address, serves the jobs; SIGINT stops bus and every job process", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-sandbox-main-" });
  const forked = `${dir}/forked.pid`;
  await Deno.writeTextFile(`${dir}/svc.conf`, "exec sleep 1000\n");
  // A job whose main process has a child of its own (in its process group).
  await Deno.writeTextFile(
    `${dir}/fork.conf`,
    `console none\nscript\n  sleep 1000 &\n  echo $! > ${forked}\n  wait\nend script\n`,
  );
  await Deno.writeTextFile(`${dir}/boot.conf`, "start on startup\nexec sleep 1000\n");
  const { child, out, err } = run(dir);
  let conn: Connection | null = null;
  try {
    const line = await out.find(/^DBUS_SESSION_BUS_ADDRESS=/);
    const address = line.slice("DBUS_SESSION_BUS_ADDRESS=".length);
    await err.find(/^sandbox: serving 3 job\(s\)/);
    conn = await Connection.open(address);
    const c = conn;
    const call = (
      path: string,
      iface: string,
      member: string,
      signature = "",
      body: unknown[] = [],
    ) =>
      c.call({
        destination: "com.ubuntu.Upstart",
        path,
        interface: iface,
        member,
        signature,
        body,
      });
    const pidOf = async (job: string) => {
      const procs = await c.getProperty({
        destination: "com.ubuntu.Upstart",
        path: `${JOBS}/${job}/_`,
        interface: "com.ubuntu.Upstart0_6.Instance",
        name: "processes",
      }) as [string, number][];
      return procs[0][1];
    };
    await call(`${JOBS}/svc`, "com.ubuntu.Upstart0_6.Job", "Start", "asb", [[], true]);
    await call(`${JOBS}/fork`, "com.ubuntu.Upstart0_6.Job", "Start", "asb", [[], true]);
    // `startup` was emitted at start, as `init` does, and started `boot`.
    await until(async () => {
      const [all] = await call(`${JOBS}/boot`, "com.ubuntu.Upstart0_6.Job", "GetAllInstances");
      return (all as string[]).length === 1;
    }, "boot started by the startup event");
    const pids = [await pidOf("svc"), await pidOf("fork"), await pidOf("boot")];
    await until(
      async () => (await Deno.readTextFile(forked).catch(() => "")).endsWith("\n"),
      "pid file",
    );
    pids.push(Number((await Deno.readTextFile(forked)).trim()));
    assert(pids.every((p) => p > 0 && alive(p)), `all alive: ${pids}`);
    await conn.close();
    conn = null;

    child.kill("SIGINT");
    const status = await child.status;
    await Promise.all([out.done, err.done]);
    assertEquals(status.code, 0);
    assert(err.all.includes("sandbox: stopping"));
    assert(!err.all.some((l) => /Failed to set fd limit/.test(l)), "daemon noise filtered");
    await until(() => pids.every((p) => !alive(p)), `job processes gone: ${pids.filter(alive)}`);
    // The bus went with it.
    await assert.rejects(Connection.open(address));
  } finally {
    await conn?.close();
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task sandbox: usage errors exit 2, --help exits 0, a missing job directory exits 1", async () => {
  const run = async (...args: string[]) => {
    const o = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, ...args],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  };
  const help = await run("--help");
  assertEquals(help.code, 0);
  assert(help.out.startsWith("Usage: deno task sandbox"));
  const bad = await run("--bogus");
  assertEquals(bad.code, 2);
  assert(bad.err.startsWith("sandbox: Unknown option: --bogus"));
  const missing = await run("/nonexistent/jobs");
  assertEquals(missing.code, 1);
  assert(missing.err.includes("sandbox: Job directory not found: /nonexistent/jobs"));
});

Deno.test("a symlink loop in the job directory is skipped as Upstart does, and SIGKILL leaves no bus behind", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-sandbox-loop-" });
  await Deno.writeTextFile(`${dir}/svc.conf`, "exec sleep 1000\n");
  await Deno.mkdir(`${dir}/sub`);
  await Deno.writeTextFile(`${dir}/sub/inner.conf`, "exec sleep 1000\n");
  await Deno.symlink(".", `${dir}/a`); // a loop through the root
  await Deno.symlink("..", `${dir}/sub/up`); // a loop through a parent
  const { child, out, err } = run(dir);
  try {
    const line = await out.find(/^DBUS_SESSION_BUS_ADDRESS=/);
    const address = line.slice("DBUS_SESSION_BUS_ADDRESS=".length);
    await err.find(/^sandbox: serving 2 job\(s\)/);
    await using conn = await Connection.open(address);
    const [paths] = await conn.call({
      destination: "com.ubuntu.Upstart",
      path: "/com/ubuntu/Upstart",
      interface: "com.ubuntu.Upstart0_6",
      member: "GetAllJobs",
    });
    assertEquals((paths as string[]).sort(), [`${JOBS}/sub_2finner`, `${JOBS}/svc`]);
    // The bus is a child of the sandbox: SIGKILL gives the sandbox no chance to stop it.
    const [busPid] = await conn.callBus("GetConnectionUnixProcessID", "s", [
      "org.freedesktop.DBus",
    ]);
    assert(alive(busPid as number));
    child.kill("SIGKILL");
    await child.status;
    await until(() => !alive(busPid as number), "the bus daemon to die with its sandbox");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
    await Promise.all([out.done, err.done]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI's sandbox command: JOBDIR required, odd arguments refused, a missing directory exits 1", async () => {
  const all = ["--allow-all"];
  let r = await cliProcess(["sandbox"], {}, all);
  assertEquals([r.code, r.out], [2, ""]);
  assert(r.err.startsWith("sandbox: Missing job directory (JOBDIR)\n"), r.err);
  r = await cliProcess(["sandbox", "--help"], {}, []); // help needs no permission at all
  assertEquals(r.code, 0);
  assert(r.out.startsWith("Usage: initctl sandbox [OPTION]... JOBDIR"), r.out);
  r = await cliProcess(["sandbox", "--", "-x"], {}, all);
  assertEquals([r.code, r.err], [2, "sandbox: Unexpected argument: -x\n"]);
  r = await cliProcess(["sandbox", "a", "b"], {}, all);
  assertEquals(r.code, 2);
  assert(r.err.startsWith("sandbox: Unexpected argument: b\n"), r.err);
  r = await cliProcess(["sandbox", "/nonexistent/jobs\x1b[2J"], {}, all);
  assertEquals(r.code, 1);
  assert(r.err.includes("sandbox: Job directory not found: /nonexistent/jobs\\x1b[2J\n"), r.err);
  r = await cliProcess(["sandbox", "--log-dir"], {}, all);
  assertEquals(r.code, 2);
});
