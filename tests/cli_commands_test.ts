/**
 * The rest of initctl's commands and options against the sandbox, golden (pids
 * masked): notify-*, list-sessions, usage, reload, restart, the environment
 * commands (set-env -r, -g, inside a job), show-config -e, check-config -w/-i,
 * --user/--system/--dest/--help/--version, -q, --json on every reporting
 * command, and the progress line on a terminal.
 */
import assert from "node:assert/strict";
import { startSandbox, type TestSandbox } from "./support/sandbox.ts";
import { peerProxy } from "./support/api_sandbox.ts";
import { cli, cliProcess, fakeIo, maskPids } from "./support/cli_io.ts";
import { hasControl } from "./support/cli_io.ts";
import { main } from "../src/cli/main.ts";
import { envPairs } from "../src/cli/commands/_shared.ts";
import { unreachableMessage } from "../src/cli/unreachable.ts";
import { PRIVATE_ADDRESS, UpstartNotRunningError } from "../mod.ts";
import { signalProcess } from "../ffi/mod.ts";
import { until } from "./support/poll.ts";

const JOBS: Record<string, string> = {
  svc: "exec sleep 1000\n",
  meta: 'usage "meta FOO=bar - needs FOO"\nemits meta-ready\nemits meta-done\n',
  slow: "pre-start exec sleep 0.6\nexec sleep 1000\n",
  either: "start on a or meta-ready\nemits x\n",
  wild: "emits net-*\n",
  uses: "start on net-up and started either\nstop on stopped nosuchjob or zz\n",
  inst: "instance $N\nexec sleep 1000\n",
};

async function withSandbox(
  fn: (sb: TestSandbox, a: string[]) => Promise<void>,
  jobs: Record<string, string> = JOBS,
) {
  const sb = await startSandbox({ jobs });
  try {
    await fn(sb, ["--address", sb.address]);
  } finally {
    await sb.close();
  }
}

/** A job whose main process logs `ready` once it traps SIGHUP, then `hup` for each one. */
const hupJob = (log: string) =>
  `exec sh -c 'trap "echo hup >> ${log}" HUP; echo ready >> ${log}; while :; do sleep 0.05; done'\n`;

/** Waits until `log` holds `text` (a SIGHUP before the trap is set would kill the shell). */
const logged = (log: string, text: string) =>
  until(async () => (await Deno.readTextFile(log)).includes(text), `${text} in ${log}`);

const HINT = "Try `initctl --help' for more information.\n";

Deno.test("notify-*: no output, status 0; a missing address is a usage error", async () => {
  await withSandbox(async (_sb, a) => {
    for (
      const args of [
        ["notify-disk-writeable"],
        ["notify-dbus-address", "unix:path=/run/user/1000/bus"],
        ["notify-cgroup-manager-address", "unix:path=/sys/fs/cgroup/cgmanager/sock"],
      ]
    ) {
      const r = await cli([...a, ...args]);
      assert.deepEqual([r.code, r.out, r.err], [0, "", ""], args[0]);
    }
    let r = await cli([...a, "notify-dbus-address"]);
    assert.deepEqual([r.code, r.out, r.err], [1, "", `initctl: missing D-Bus address\n${HINT}`]);
    r = await cli([...a, "notify-cgroup-manager-address"]);
    assert.deepEqual([r.code, r.err], [1, `initctl: missing address\n${HINT}`]);
    r = await cli([...a, "--json", "notify-disk-writeable"]);
    assert.deepEqual(JSON.parse(r.out), {});
  });
});

Deno.test("list-sessions reads live session files as initctl does, no daemon needed", async () => {
  const runtime = await Deno.makeTempDir();
  try {
    const dir = `${runtime}/upstart/sessions`;
    await Deno.mkdir(dir, { recursive: true });
    const address = "unix:abstract=/com/ubuntu/upstart-session/1000/4242";
    await Deno.writeTextFile(`${dir}/${Deno.pid}.session`, `UPSTART_SESSION=${address}\n`);
    await Deno.writeTextFile(`${dir}/4194305.session`, "UPSTART_SESSION=unix:abstract=/x\n");
    await Deno.writeTextFile(`${dir}/notapid.session`, "UPSTART_SESSION=unix:abstract=/y\n");
    await Deno.writeTextFile(`${dir}/1.conf`, "UPSTART_SESSION=unix:abstract=/z\n");
    const env = { XDG_RUNTIME_DIR: runtime };
    let r = await cli(["list-sessions"], env);
    assert.deepEqual([r.code, r.out, r.err], [0, `${Deno.pid} ${address}\n`, ""]);
    r = await cli(["-v", "list-sessions"], env);
    assert.equal(
      r.out,
      `Ignoring stale session file: ${dir}/4194305.session\n${Deno.pid} ${address}\n`,
    );
    r = await cli(["--json", "list-sessions"], env);
    assert.deepEqual(JSON.parse(r.out), { sessions: [{ pid: Deno.pid, address }] });
    r = await cli(["list-sessions"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unable to query session directory\n"]);
    r = await cli(["list-sessions"], { XDG_RUNTIME_DIR: `${runtime}/none` });
    assert.deepEqual([r.code, r.out], [0, ""]);
  } finally {
    await Deno.remove(runtime, { recursive: true });
  }
});

Deno.test("usage, restart and reload (the job gets SIGHUP)", async () => {
  const log = await Deno.makeTempFile();
  const jobs = {
    ...JOBS,
    hup: hupJob(log),
  };
  try {
    await withSandbox(async (_sb, a) => {
      let r = await cli([...a, "usage", "meta"]);
      assert.deepEqual([r.code, r.out], [0, "Usage: meta FOO=bar - needs FOO\n"]);
      r = await cli([...a, "--json", "usage", "meta"]);
      assert.deepEqual(JSON.parse(r.out), { job: "meta", usage: "meta FOO=bar - needs FOO" });
      r = await cli([...a, "usage"]);
      assert.deepEqual([r.code, r.err], [1, `initctl: missing job name\n${HINT}`]);
      r = await cli([...a, "usage", "nosuch"]);
      assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuch\n"]);

      r = await cli([...a, "reload", "hup"]);
      assert.deepEqual([r.code, r.err], [1, "initctl: Unknown instance: \n"]);
      const started = await cli([...a, "start", "hup"]);
      assert.equal(maskPids(started.out), "hup start/running, process PID\n");
      // A SIGHUP before the shell's trap is set would kill it.
      await logged(log, "ready");
      r = await cli([...a, "reload", "hup"]);
      assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
      await logged(log, "hup");

      r = await cli([...a, "restart", "hup"]);
      assert.equal(r.code, 0, r.err);
      assert.equal(maskPids(r.out), "hup start/running, process PID\n");
      assert.notEqual(r.out, started.out, "a new main process");
      r = await cli([...a, "--json", "restart", "hup"]);
      assert.equal(JSON.parse(r.out).state, "running");
      await cli([...a, "stop", "hup"]);
    }, jobs);
  } finally {
    await Deno.remove(log);
  }
});

Deno.test("reload on an Upstart without Reload (1.5): SIGHUP from here, as initctl does", async () => {
  const log = await Deno.makeTempFile();
  const sb = await startSandbox({
    jobs: {
      hup: hupJob(log),
    },
  });
  try {
    assert.equal((await cli(["--address", sb.address, "start", "hup"])).code, 0);
    await logged(log, "ready");
    await using proxy = await peerProxy(sb.address, { version: "init (upstart 1.5)" });
    const r = await cli(["reload", "hup"], { UPSTART_SESSION: proxy.address });
    assert.deepEqual([r.code, r.err], [0, ""]);
    await logged(log, "hup");
    // The proxy's call log trails its replies a little.
    await proxy.until((calls) => calls.includes("com.ubuntu.Upstart0_6.Job.GetInstance"));
    assert.ok(!proxy.calls.includes("com.ubuntu.Upstart0_6.Instance.Reload"));
  } finally {
    await sb.close();
    await Deno.remove(log);
  }
});

Deno.test("environment: set-env -r, several at once, -g, and from inside a job", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "set-env", "A=1", "B"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cli([...a, "set-env", "-r", "A=2", "C=3"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "list-env"]);
    const lines = r.out.trimEnd().split("\n");
    assert.deepEqual(lines.filter((l) => /^[ABC]=/.test(l)), ["A=1", "B=", "C=3"]);
    r = await cli([...a, "--json", "get-env", "A"]);
    assert.deepEqual(JSON.parse(r.out), { name: "A", value: "1" });
    r = await cli([...a, "set-env"]);
    assert.deepEqual([r.code, r.err], [1, `initctl: missing variable value\n${HINT}`]);
    r = await cli([...a, "unset-env"]);
    assert.deepEqual([r.code, r.err], [1, `initctl: missing variable name\n${HINT}`]);
    r = await cli([...a, "unset-env", "A", "C"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "get-env", "C"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: No such variable: C\n"]);

    // Inside a job (UPSTART_JOB/UPSTART_INSTANCE), the job's own table, unless -g.
    assert.equal((await cli([...a, "start", "svc"])).code, 0);
    const inJob = { UPSTART_JOB: "svc", UPSTART_INSTANCE: "" };
    r = await cli([...a, "set-env", "LOCAL=yes"], inJob);
    assert.equal(r.code, 0, r.err);
    r = await cli([...a, "get-env", "LOCAL"], inJob);
    assert.deepEqual([r.code, r.out], [0, "yes\n"]);
    r = await cli([...a, "get-env", "-g", "LOCAL"], inJob);
    assert.deepEqual([r.code, r.err], [1, "initctl: No such variable: LOCAL\n"]);
    r = await cli([...a, "set-env", "-g", "GLOBAL=1"], inJob);
    r = await cli([...a, "get-env", "GLOBAL"]);
    assert.equal(r.out, "1\n");
    r = await cli([...a, "get-env", "X"], { UPSTART_JOB: "svc" });
    assert.deepEqual([r.code, r.err], [1, `initctl: missing job name\n${HINT}`]);
    r = await cli([...a, "reset-env"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "get-env", "GLOBAL"]);
    assert.equal(r.code, 1);
  });
});

Deno.test("job commands without JOB act on the job they run in ($UPSTART_JOB)", async () => {
  await withSandbox(async (_sb, a) => {
    const inJob = { UPSTART_JOB: "svc", UPSTART_INSTANCE: "" };
    let r = await cli([...a, "status"], inJob);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown instance: \n"]);
    assert.equal((await cli([...a, "start", "svc"])).code, 0);
    r = await cli([...a, "status"], inJob);
    assert.equal(maskPids(r.out), "svc start/running, process PID\n");
    // From inside a job initctl never waits (that would block the job calling it).
    r = await cli([...a, "stop"], inJob);
    assert.equal(r.code, 0, r.err);
    assert.match(maskPids(r.out), /^svc stop\/\S+/);
  });
});

Deno.test("show-config -e and check-config -w, -i as initctl computes them", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "show-config", "-e", "uses"]);
    assert.deepEqual([r.code, r.out], [
      0,
      "uses\n" +
      "  start on net-up (job:, env:)\n" +
      "  start on started (job: either, env:)\n" +
      "  stop on stopped (job: nosuchjob, env:)\n" +
      "  stop on zz (job:, env:)\n",
    ]);
    r = await cli([...a, "show-config", "wild"]);
    assert.equal(r.out, "wild\n  emits net-*\n");
    r = await cli([...a, "show-config", "nosuch"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuch\n"]);
    r = await cli([...a, "--json", "show-config", "-e", "either"]);
    assert.deepEqual(JSON.parse(r.out), {
      jobs: [{
        name: "either",
        emits: ["x"],
        startOn: "(a or meta-ready)",
        stopOn: null,
        startOnRaw: [["a"], ["meta-ready"], ["/OR"]],
        stopOnRaw: [],
        events: [
          { stanza: "start on", event: "a", job: null, env: [] },
          { stanza: "start on", event: "meta-ready", job: null, env: [] },
        ],
      }],
    });

    // `a or meta-ready`: one satisfiable side is enough, unless -w.
    r = await cli([...a, "check-config"]);
    assert.deepEqual([r.code, r.out], [
      1,
      "uses\n  stop on: unknown event zz\n  stop on: unknown job nosuchjob\n",
    ]);
    r = await cli([...a, "check-config", "-w", "either"]);
    assert.deepEqual([r.code, r.out], [1, "either\n  start on: unknown event a\n"]);
    r = await cli([...a, "check-config", "--warn", "--ignore-events=a,zz", "-i", "x"]);
    assert.deepEqual([r.code, r.out], [1, "uses\n  stop on: unknown job nosuchjob\n"]);
    r = await cli([...a, "check-config", "-i", "zz", "either"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cli([...a, "--json", "check-config", "-w", "-i", "zz,a"]);
    assert.deepEqual(JSON.parse(r.out), {
      ok: false,
      jobs: [{ name: "uses", problems: [{ stanza: "stop on", kind: "job", name: "nosuchjob" }] }],
    });
  });
});

Deno.test("--json: one document with stable fields from every reporting command", async () => {
  await withSandbox(async (_sb, a) => {
    const json = async (...args: string[]) => {
      const r = await cli([...a, "--json", ...args]);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.err}`);
      return JSON.parse(r.out);
    };
    const keys = (o: object) => Object.keys(o).sort();
    const inst = ["goal", "job", "name", "processes", "state"];
    assert.deepEqual(keys(await json("start", "svc")), inst);
    assert.deepEqual(keys(await json("status", "svc")), inst);
    const stopped = await json("status", "meta");
    assert.deepEqual(stopped, {
      job: "meta",
      name: "",
      goal: "stop",
      state: "waiting",
      processes: [],
    });
    const list = await json("list");
    assert.deepEqual(keys(list), ["jobs"]);
    for (const j of list.jobs) {
      assert.deepEqual(keys(j), ["instances", "name"]);
      for (const i of j.instances) assert.deepEqual(keys(i), inst);
    }
    assert.deepEqual(keys(await json("version")), ["version"]);
    assert.deepEqual(keys(await json("log-priority")), ["priority"]);
    assert.deepEqual(keys(await json("usage", "svc")), ["job", "usage"]);
    assert.deepEqual(keys(await json("list-env")), ["env"]);
    assert.deepEqual(keys(await json("show-config")), ["jobs"]);
    const check = await json("check-config", "-i", "zz,nosuchjob");
    assert.deepEqual(check, { ok: true, jobs: [] });
    assert.deepEqual(keys(await json("stop", "svc")), inst);
    assert.deepEqual(await json("emit", "--no-wait", "ev"), {});
    assert.deepEqual(await json("reload-configuration"), {});
    assert.deepEqual(await json("set-env", "K=v"), {});
    assert.deepEqual(await json("get-env", "K"), { name: "K", value: "v" });
    assert.deepEqual(await json("unset-env", "K"), {});
    assert.deepEqual(await json("reset-env"), {});
  });
});

Deno.test("-q prints errors only; --help, COMMAND --help, --version, help; bad usage", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "-q", "start", "svc"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cli([...a, "--quiet", "start", "svc"]);
    assert.deepEqual([r.code, r.out, r.err], [1, "", "initctl: Job is already running: svc\n"]);
    await cli([...a, "stop", "svc"]);
  });
  let r = await cli(["--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: initctl \[OPTION\]\.\.\. COMMAND/);
  for (const c of ["start", "list-sessions", "notify-cgroup-manager-address", "watch", "wait"]) {
    assert.ok(r.out.includes(`\n  ${c}`), `--help lists ${c}`);
  }
  assert.equal((await cli(["help"])).out, r.out);
  r = await cli(["start", "--help"]);
  assert.equal(r.code, 0);
  assert.match(r.out, /^Usage: initctl start \[OPTION\]\.\.\. JOB \[KEY=VALUE\]\.\.\.\n/);
  assert.match(r.out, /-n, --no-wait/);
  r = await cli(["--version"]);
  assert.deepEqual([r.code, r.out], [0, `initctl (@upstart/upstart 0.2.0)\n`]);
  r = await cli([]);
  assert.deepEqual([r.code, r.err], [1, `initctl: missing command\n${HINT}`]);
  r = await cli(["frobnicate"]);
  assert.deepEqual([r.code, r.err], [1, `initctl: invalid command: frobnicate\n${HINT}`]);
  r = await cli(["--bogus", "list"]);
  assert.deepEqual([r.code, r.err], [1, `initctl: invalid option: --bogus\n${HINT}`]);
  r = await cli(["list", "-x"]);
  assert.deepEqual([r.code, r.err], [1, `initctl: invalid option: -x\n${HINT}`]);
  r = await cli(["show-config", "--enumerate=yes"]);
  assert.deepEqual([r.code, r.err], [1, `initctl: unexpected argument: --enumerate=yes\n${HINT}`]);
  r = await cli(["check-config", "-i"]);
  assert.deepEqual([r.code, r.err], [1, `initctl: missing argument: -i\n${HINT}`]);
});

Deno.test("--user and $UPSTART_SESSION talk peer-to-peer; --user without it fails", async () => {
  await withSandbox(async (sb) => {
    await using proxy = await peerProxy(sb.address);
    let r = await cli(["--user", "version"], { UPSTART_SESSION: proxy.address });
    assert.deepEqual([r.code, r.out.replace(/ sandbox/, "")], [0, "init (upstart 1.13.2)\n"]);
    await using proxy2 = await peerProxy(sb.address);
    r = await cli(["status", "svc"], { UPSTART_SESSION: proxy2.address });
    assert.deepEqual([r.code, r.out], [0, "svc stop/waiting\n"]);
    r = await cli(["--user", "version"]);
    assert.deepEqual([r.code, r.err], [
      1,
      "initctl: UPSTART_SESSION isn't set in the environment. Unable to locate the Upstart instance.\n",
    ]);
  });
});

Deno.test("--system and --dest (real subprocesses: the system bus comes from the environment)", async () => {
  await withSandbox(async (sb) => {
    const env = { DBUS_SYSTEM_BUS_ADDRESS: sb.address };
    let r = await cliProcess(["--system", "version"], env);
    assert.deepEqual([r.code, r.out.replace(/ sandbox/, "")], [0, "init (upstart 1.13.2)\n"]);
    r = await cliProcess(["--system", "--dest", "com.ubuntu.Upstart", "status", "svc"], env);
    assert.deepEqual([r.code, r.out], [0, "svc stop/waiting\n"]);
    r = await cliProcess(["--system", "--dest=org.example.Nobody", "version"], env);
    // The bus answers but nobody owns the name: initctl's first call gets the bus's message.
    assert.deepEqual([r.code, r.err], [1, 'initctl: Name "org.example.Nobody" does not exist\n']);
    r = await cliProcess(["--dest", "com.ubuntu.Upstart", "version"], env);
    if (Deno.uid() === 0) {
      // As root initctl talks to the private socket, where --dest means nothing.
      assert.deepEqual([r.code, r.err], [1, `initctl: --dest given without --system\n${HINT}`]);
    } else assert.equal(r.code, 0, r.err);
  });
});

Deno.test("a progress line on a terminal's stderr only, cleared afterwards; never with -q", async () => {
  await withSandbox(async (_sb, a) => {
    const tty = fakeIo({}, {}, { stderr: true });
    assert.equal(await main([...a, "start", "slow"], tty.io), 0);
    assert.equal(maskPids(tty.out()), "slow start/running, process PID\n");
    assert.match(tty.err(), /^\rstarting slow \(\d+\.\ds\)/);
    assert.ok(tty.err().endsWith("\r"), "the line is cleared");
    assert.ok(!tty.err().includes("\n"));
    assert.ok(!tty.err().includes("\x1b"), "no colour codes");

    const piped = fakeIo();
    assert.equal(await main([...a, "stop", "slow"], piped.io), 0);
    assert.equal(await main([...a, "start", "slow"], piped.io), 0);
    assert.equal(piped.err(), "");

    const quiet = fakeIo({}, {}, { stderr: true });
    await main([...a, "-q", "restart", "slow"], quiet.io);
    assert.deepEqual([quiet.out(), quiet.err()], ["", ""]);
    await cli([...a, "stop", "slow"]);
  });
});

Deno.test("Upstart out of reach: initctl's words for what it would have tried", async () => {
  const gone = "unix:path=/nonexistent/upstart-test-socket";
  const refused = "initctl: Unable to connect to %s: Failed to connect to socket " +
    "/nonexistent/upstart-test-socket: No such file or directory\n";
  // The system bus comes from the process environment (libdbus reads it): a subprocess.
  let r = await cliProcess(["--system", "version"], { DBUS_SYSTEM_BUS_ADDRESS: gone });
  assert.deepEqual([r.code, r.err], [1, refused.replace("%s", "system bus")]);
  r = await cli(["--session", "version"], { DBUS_SESSION_BUS_ADDRESS: gone });
  assert.deepEqual([r.code, r.err], [1, refused.replace("%s", "session bus")]);
  r = await cli(["--user", "version"], { UPSTART_SESSION: gone });
  assert.deepEqual([r.code, r.err], [1, refused.replace("%s", "Upstart")]);
  r = await cli(["version"], { UPSTART_SESSION: gone });
  assert.deepEqual([r.code, r.err], [1, refused.replace("%s", "Upstart")]);
  // --address is ours: the message names everything tried.
  r = await cli(["--address", gone, "version"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^initctl: Upstart is not running or cannot be reached: the address unix:/);
});

Deno.test("unreachableMessage: root's private socket first, the system bus fallback added", () => {
  const noOwner = {
    target: "the system bus",
    reason: "no owner of com.ubuntu.Upstart",
    failure: "no-owner",
    detail: "com.ubuntu.Upstart",
  } as const;
  const e = new UpstartNotRunningError("not running", {
    tried: [
      { target: `the private socket ${PRIVATE_ADDRESS}`, reason: "Connection refused" },
      noOwner,
    ],
  });
  assert.equal(
    unreachableMessage(e, "default"),
    "Unable to connect to Upstart: Connection refused " +
      "(then tried the system bus: no owner of com.ubuntu.Upstart)",
  );
  const bus = new UpstartNotRunningError("not running", { tried: [noOwner] });
  assert.equal(unreachableMessage(bus, "default"), 'Name "com.ubuntu.Upstart" does not exist');
  const odd = new UpstartNotRunningError("not running", {
    tried: [{
      target: "the session bus",
      reason: "no Upstart there (No such object path '/x')",
      failure: "not-upstart",
      detail: "No such object path '/x'",
    }],
  });
  assert.equal(unreachableMessage(odd, "session"), "No such object path '/x'");
  assert.equal(unreachableMessage(odd, null), odd.message);
});

Deno.test("bus options as initctl: the last of --system/--session wins, --user wins over both", async () => {
  await withSandbox(async (sb) => {
    const gone = "unix:path=/nonexistent/upstart-test-socket";
    // --system then --session: the session bus (the sandbox's).
    let r = await cli(["--system", "--session", "version"], {
      DBUS_SESSION_BUS_ADDRESS: sb.address,
    });
    assert.deepEqual([r.code, r.out.replace(/ sandbox/, "")], [0, "init (upstart 1.13.2)\n"]);
    r = await cli(["--system", "version", "--session"], { DBUS_SESSION_BUS_ADDRESS: sb.address });
    assert.equal(r.code, 0, r.err);
    // --session then --system: the system bus (gone here).
    r = await cliProcess(["--session", "--system", "version"], {
      DBUS_SESSION_BUS_ADDRESS: sb.address,
      DBUS_SYSTEM_BUS_ADDRESS: gone,
    });
    assert.equal(r.code, 1);
    assert.match(r.err, /^initctl: Unable to connect to system bus: /);
    // --user wins over both, before or after them.
    for (const args of [["--user", "--system"], ["--session", "--user"]]) {
      r = await cli([...args, "version"], {
        UPSTART_SESSION: gone,
        DBUS_SESSION_BUS_ADDRESS: sb.address,
      });
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.err, /^initctl: Unable to connect to Upstart: /, args.join(" "));
    }
    // A user session is a peer socket: --dest has no bus to apply to (initctl's message).
    r = await cli(["--user", "--dest", "com.ubuntu.Upstart", "version"], { UPSTART_SESSION: gone });
    assert.deepEqual([r.code, r.err], [1, `initctl: --dest given without --system\n${HINT}`]);
    // --address is ours: it goes with no bus option.
    r = await cli(["--address", sb.address, "--system", "version"]);
    assert.deepEqual([r.code, r.err], [
      1,
      `initctl: --address cannot be combined with --system\n${HINT}`,
    ]);
  });
});

Deno.test("KEY=VALUE as Upstart checks it: an = anywhere (=x passes), none is an error", async () => {
  assert.deepEqual(envPairs(["=x", "A=", "B=1=2"]), ["=x", "A=", "B=1=2"]);
  assert.throws(() => envPairs(["A=1", "x"]), /^CliError: Env must be KEY=VALUE pairs$/);
  await withSandbox(async (_sb, a) => {
    const r = await cli([...a, "start", "svc", "FOO"]);
    assert.deepEqual([r.code, r.out, r.err], [1, "", "initctl: Env must be KEY=VALUE pairs\n"]);
    const ok = await cli([...a, "emit", "ev", "=x"]);
    assert.deepEqual([ok.code, ok.err], [0, ""]);
  });
});

Deno.test("signalProcess: kill(2) through libc, false when it fails, no --allow-run", async () => {
  const child = new Deno.Command("sleep", { args: ["1000"] }).spawn();
  try {
    assert.equal(signalProcess(child.pid, 0), true);
    assert.equal(signalProcess(child.pid, 15), true);
    assert.equal((await child.status).signal, "SIGTERM");
  } catch (e) {
    child.kill();
    throw e;
  }
  // Reaped: the pid is free again (a reused pid would be very unlikely this soon).
  assert.equal(signalProcess(child.pid, 0), false);
  assert.throws(() => signalProcess(0, 1), RangeError); // 0 would be our process group
  assert.throws(() => signalProcess(-1, 1), RangeError); // -1 would be every process
  assert.throws(() => signalProcess(1, 99), RangeError);
});

Deno.test("reload on an Upstart without Reload, as a subprocess with only --allow-ffi --allow-env", async () => {
  const log = await Deno.makeTempFile();
  const sb = await startSandbox({
    jobs: {
      hup: hupJob(log),
    },
  });
  try {
    assert.equal((await cli(["--address", sb.address, "start", "hup"])).code, 0);
    await logged(log, "ready");
    await using proxy = await peerProxy(sb.address, { version: "init (upstart 1.5)" });
    const r = await cliProcess(["reload", "hup"], { UPSTART_SESSION: proxy.address }, [
      "--allow-ffi",
      "--allow-env",
    ]);
    assert.deepEqual([r.code, r.err], [0, ""]);
    await logged(log, "hup");
    await proxy.until((calls) => calls.includes("com.ubuntu.Upstart0_6.Job.GetInstance"));
    assert.ok(!proxy.calls.includes("com.ubuntu.Upstart0_6.Instance.Reload"));
  } finally {
    await sb.close();
    await Deno.remove(log);
  }
});

Deno.test("text output escapes control characters from the daemon (names, values, events); --json does not", async () => {
  await using sb = await startSandbox({ jobs: { inst: "instance $I\nexec sleep 1000\n" } });
  const a = ["--address", sb.address];
  const evil = "x\x1b]0;pwned\x07\nsvc start/running";
  assert.equal((await cli([...a, "start", "inst", `I=${evil}`])).code, 0);
  const list = await cli([...a, "list"]);
  assert.equal(list.code, 0, list.err);
  assert.ok(!hasControl(list.out), JSON.stringify(list.out));
  assert.match(list.out, /inst \(x\\x1b\]0;pwned\\x07\\nsvc start\/running\) start\/running/);
  assert.equal(list.out.trimEnd().split("\n").length, 1, "no forged line");
  assert.equal((await cli([...a, "set-env", `V=a\x1b[2Jb`])).code, 0);
  const env = await cli([...a, "list-env"]);
  assert.match(env.out, /V=a\\x1b\[2Jb/);
  const value = await cli([...a, "get-env", "V"]);
  assert.equal(value.out, "a\\x1b[2Jb\n");
  const json = await cli([...a, "--json", "get-env", "V"]);
  assert.equal(JSON.parse(json.out).value, "a\x1b[2Jb");
});

Deno.test("--json stop of an instance keeps its name", async () => {
  await using sb = await startSandbox({ jobs: { worker: "instance $N\nexec sleep 1000\n" } });
  const a = ["--address", sb.address];
  assert.equal((await cli([...a, "start", "worker", "N=7"])).code, 0);
  const r = await cli([...a, "--json", "stop", "worker", "N=7"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(r.out), {
    job: "worker",
    name: "7",
    goal: "stop",
    state: "waiting",
    processes: [],
  });
});

Deno.test("on a terminal the progress line is erased before the result is printed", async () => {
  await using sb = await startSandbox({
    jobs: { slow: "pre-start exec sleep 0.7\nexec sleep 1000\n" },
  });
  const { io, log } = terminalLog();
  assert.equal(await main(["--address", sb.address, "start", "slow"], io), 0);
  const shown = log.findIndex((l) => l.startsWith("err:\rstarting slow ("));
  const erased = log.findIndex((l) => /^err:\r +\r$/.test(l));
  const result = log.findIndex((l) => l.startsWith("out:slow start/running"));
  assert.ok(shown >= 0, JSON.stringify(log));
  assert.ok(erased > shown && erased < result, JSON.stringify(log));
});

Deno.test("Ctrl-C during a slow start erases the progress line and ends with 130", async () => {
  await using sb = await startSandbox({
    jobs: { slow: "pre-start exec sleep 5\nexec sleep 1000\n" },
  });
  const { f, io, log } = terminalLog();
  const running = main(["--address", sb.address, "start", "slow"], io);
  await until(() => log.some((l) => l.startsWith("err:\rstarting slow (")), "the progress line");
  f.interrupt();
  assert.equal(await running, 130);
  assert.match(log[log.length - 1], /^err:\r +\r$/, JSON.stringify(log));
  assert.ok(!log.some((l) => l.startsWith("out:")));
});

/** A fake io whose stderr is a terminal, logging both streams in the order written. */
function terminalLog() {
  const f = fakeIo({}, {}, { stderr: true });
  const log: string[] = [];
  const io = {
    ...f.io,
    stdout: (t: string) => void log.push(`out:${t}`),
    stderr: (t: string) => void log.push(`err:${t}`),
  };
  return { f, io, log };
}
