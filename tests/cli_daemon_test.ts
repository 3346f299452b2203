import assert from "node:assert/strict";
import { startSandbox, type TestSandbox } from "./support/sandbox.ts";
import { cli, cliProcess, maskPids } from "./support/cli_io.ts";

const JOBS: Record<string, string> = {
  svc: "exec sleep 1000\n",
  inst: "instance $N\nexec sleep 1000\n",
  cond: "start on (a and b) or c KEY=val\nstop on d\nexec sleep 1000\n",
  meta: 'usage "FOO=bar - needs FOO"\nemits meta-ready\nemits meta-done\n',
  rl: "start on runlevel [2345]\nstop on runlevel [!2345]\nexec sleep 1000\n",
  onetask: "task\nexec true\n",
  failer: "exec /nonexistent/binary\n",
};

async function withSandbox(fn: (sb: TestSandbox, a: string[]) => Promise<void>) {
  const sb = await startSandbox({ jobs: JOBS });
  try {
    await fn(sb, ["--address", sb.address]);
  } finally {
    await sb.close();
  }
}

const lines = (t: string) => t.trimEnd().split("\n").sort();

Deno.test("version, list, status, start, stop: initctl's lines and exit statuses", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "version"]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^init \(upstart 1\.13\.2\)( sandbox)?\n$/);

    r = await cli([...a, "list"]);
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.out), Object.keys(JOBS).map((j) => `${j} stop/waiting`).sort());

    r = await cli([...a, "status", "svc"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "svc stop/waiting\n", ""]);

    r = await cli([...a, "start", "svc"]);
    assert.deepEqual([r.code, maskPids(r.out)], [0, "svc start/running, process PID\n"]);
    r = await cli([...a, "start", "svc"]);
    assert.deepEqual([r.code, r.out, r.err], [1, "", "initctl: Job is already running: svc\n"]);
    r = await cli([...a, "stop", "svc"]);
    assert.deepEqual([r.code, r.out], [0, "svc stop/waiting\n"]);
    r = await cli([...a, "stop", "svc"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown instance: \n"]);
    r = await cli([...a, "restart", "svc"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown instance: \n"]);
    r = await cli([...a, "status", "nosuchjob"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuchjob\n"]);
    r = await cli([...a, "status"]);
    assert.deepEqual([r.code, r.err], [
      1,
      "initctl: missing job name\nTry `initctl --help' for more information.\n",
    ]);
  });
});

Deno.test("instances: KEY=VALUE selects, status/list show each instance", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "start", "inst", "N=1"]);
    assert.deepEqual([r.code, maskPids(r.out)], [0, "inst (1) start/running, process PID\n"]);
    r = await cli([...a, "start", "inst", "N=2"]);
    assert.equal(maskPids(r.out), "inst (2) start/running, process PID\n");
    r = await cli([...a, "status", "inst"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown parameter: N\n"]);
    r = await cli([...a, "status", "inst", "N=2"]);
    assert.equal(maskPids(r.out), "inst (2) start/running, process PID\n");
    r = await cli([...a, "stop", "inst", "N=9"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown instance: 9\n"]);
    r = await cli([...a, "stop", "inst", "N=1"]);
    assert.deepEqual([r.code, r.out], [0, "inst stop/waiting\n"]);
    r = await cli([...a, "list"]);
    assert.ok(maskPids(r.out).includes("inst (2) start/running, process PID\n"));
    r = await cli([...a, "--json", "list"]);
    const doc = JSON.parse(r.out);
    const inst = doc.jobs.find((j: { name: string }) => j.name === "inst");
    assert.equal(inst.instances.length, 1);
    assert.deepEqual(Object.keys(inst.instances[0]).sort(), [
      "goal",
      "job",
      "name",
      "processes",
      "state",
    ]);
    assert.equal(inst.instances[0].name, "2");
    assert.equal(inst.instances[0].processes[0].type, "main");
    assert.equal(typeof inst.instances[0].processes[0].pid, "number");
    r = await cli([...a, "start", "inst", "N"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Env must be KEY=VALUE pairs\n"]);
    await cli([...a, "stop", "inst", "N=2"]);
  });
});

Deno.test("tasks, failures, emit and events", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "start", "onetask"]);
    assert.deepEqual([r.code, r.out], [0, "onetask stop/waiting\n"]);
    r = await cli([...a, "start", "failer"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Job failed to start\n"]);
    r = await cli([...a, "emit", "c", "KEY=val"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cli([...a, "status", "cond"]);
    assert.match(maskPids(r.out), /^cond start\/running, process PID\n$/);
    r = await cli([...a, "emit", "--no-wait", "d"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "emit", "runlevel", "2"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Env must be KEY=VALUE pairs\n"]);
    r = await cli([...a, "emit"]);
    assert.deepEqual([r.code, r.err], [
      1,
      "initctl: missing event name\nTry `initctl --help' for more information.\n",
    ]);
  });
});

Deno.test("usage, log-priority, env commands, reload-configuration", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "usage", "meta"]);
    assert.deepEqual([r.code, r.out], [0, "Usage: FOO=bar - needs FOO\n"]);
    r = await cli([...a, "usage", "svc"]);
    assert.equal(r.out, "Usage: \n");
    r = await cli([...a, "log-priority"]);
    assert.deepEqual([r.code, r.out], [0, "message\n"]);
    r = await cli([...a, "log-priority", "info"]);
    assert.deepEqual([r.code, r.out], [0, ""]);
    r = await cli([...a, "--json", "log-priority"]);
    assert.deepEqual(JSON.parse(r.out), { priority: "info" });
    r = await cli([...a, "log-priority", "bogus"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: The log priority given was not recognised\n"]);
    r = await cli([...a, "set-env", "FOO=bar", "EMPTY"]);
    assert.equal(r.code, 0, r.err);
    r = await cli([...a, "get-env", "FOO"]);
    assert.deepEqual([r.code, r.out], [0, "bar\n"]);
    r = await cli([...a, "set-env", "-r", "FOO=baz"]);
    r = await cli([...a, "get-env", "FOO"]);
    assert.equal(r.out, "bar\n");
    r = await cli([...a, "get-env", "NOSUCH"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: No such variable: NOSUCH\n"]);
    r = await cli([...a, "list-env"]);
    const env = r.out.trimEnd().split("\n");
    assert.ok(env.includes("FOO=bar") && env.includes("EMPTY="));
    assert.deepEqual(env, [...env].sort());
    r = await cli([...a, "--json", "list-env"]);
    assert.equal(JSON.parse(r.out).env.FOO, "bar");
    r = await cli([...a, "unset-env", "FOO"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "get-env", "FOO"]);
    assert.equal(r.code, 1);
    r = await cli([...a, "reset-env"]);
    assert.equal(r.code, 0);
    r = await cli([...a, "reload-configuration"]);
    assert.deepEqual([r.code, r.out, r.err], [0, "", ""]);
    r = await cli([...a, "get-env"]);
    assert.match(r.err, /^initctl: missing variable name\n/);
  });
});

Deno.test("show-config, show-config -e and check-config as in the transcript", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli([...a, "show-config", "-e", "cond"]);
    assert.deepEqual([r.code, r.out], [
      0,
      "cond\n  start on a (job:, env:)\n  start on b (job:, env:)\n  start on c (job:, env: KEY=val)\n  stop on d (job:, env:)\n",
    ]);
    r = await cli([...a, "show-config", "rl"]);
    assert.equal(r.out, "rl\n  start on runlevel [2345]\n  stop on runlevel [!2345]\n");
    r = await cli([...a, "show-config"]);
    assert.ok(r.out.includes("cond\n  start on ((a and b) or c KEY=val)\n  stop on d\n"));
    assert.ok(r.out.includes("meta\n  emits meta-ready\n  emits meta-done\n"));
    r = await cli([...a, "check-config"]);
    assert.equal(r.code, 1);
    assert.ok(r.out.includes(
      "cond\n  start on: unknown event c\n  start on: unknown event b\n  start on: unknown event a\n  stop on: unknown event d\n",
    ));
    assert.ok(
      r.out.includes("rl\n  start on: unknown event runlevel\n  stop on: unknown event runlevel\n"),
    );
    r = await cli([...a, "check-config", "-i", "a,b,c,d,runlevel"]);
    assert.deepEqual([r.code, r.out], [0, ""]);
    r = await cli([...a, "check-config", "--json", "rl"]);
    assert.deepEqual(JSON.parse(r.out), {
      ok: false,
      jobs: [{
        name: "rl",
        problems: [
          { stanza: "start on", kind: "event", name: "runlevel" },
          { stanza: "stop on", kind: "event", name: "runlevel" },
        ],
      }],
    });
    r = await cli([...a, "check-config", "nosuch"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Invalid job class: nosuch\n"]);
    r = await cli([...a, "--json", "show-config", "cond"]);
    const doc = JSON.parse(r.out);
    assert.equal(doc.jobs[0].startOn, "((a and b) or c KEY=val)");
    assert.deepEqual(doc.jobs[0].stopOnRaw, [["d"]]);
  });
});

Deno.test("-q silences output; options work after the command; --json everywhere", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cli(["-q", ...a, "status", "svc"]);
    assert.deepEqual([r.code, r.out], [0, ""]);
    r = await cli(["status", "svc", ...a]);
    assert.equal(r.out, "svc stop/waiting\n");
    r = await cli(["start", "svc", "--json", `--address=${a[1]}`]);
    const doc = JSON.parse(r.out);
    assert.equal(doc.job, "svc");
    assert.equal(doc.state, "running");
    r = await cli([...a, "--json", "version"]);
    assert.match(JSON.parse(r.out).version, /upstart/);
    r = await cli([...a, "--json", "status", "nosuch"]);
    assert.deepEqual([r.code, r.out, r.err], [1, "", "initctl: Unknown job: nosuch\n"]);
    r = await cli([...a, "-n", "stop", "svc"]);
    assert.equal(r.code, 1, "-n is not a global option");
    r = await cli([...a, "stop", "-n", "svc"]);
    assert.equal(r.code, 0);
  });
});

Deno.test("real subprocess: list and an error, with least permissions", async () => {
  await withSandbox(async (_sb, a) => {
    let r = await cliProcess([...a, "list"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(lines(r.out), Object.keys(JOBS).map((j) => `${j} stop/waiting`).sort());
    r = await cliProcess([...a, "status", "nosuch"]);
    assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuch\n"]);
    // --session finds the bus in DBUS_SESSION_BUS_ADDRESS, as initctl --session does.
    r = await cliProcess(["--session", "version"], { DBUS_SESSION_BUS_ADDRESS: a[1] });
    assert.equal(r.code, 0, r.err);
  });
});

Deno.test("a missing libdbus is named as such, not as Upstart not running", async () => {
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli.ts", import.meta.url).pathname, "--system", "list"],
    env: { DENO_LIBDBUS_PATH: "/nonexistent/libdbus-1.so.3", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(child.stderr);
  assert.equal(child.code, 1, err);
  assert.match(
    err,
    /^initctl: Cannot load \/nonexistent\/libdbus-1\.so\.3: install the Debian package libdbus-1-3/,
  );
  assert.doesNotMatch(err, /not running/);
});

Deno.test("--address with a bare path suggests the D-Bus form", async () => {
  const r = await cli(["--address", "/run/x.sock", "list"]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /invalid --address \/run\/x\.sock: expected a D-Bus address: did you mean unix:path=\/run\/x\.sock\?/,
  );
});

Deno.test("emit '' prints the daemon's own message, as initctl does", async () => {
  await using sb = await startSandbox({ jobs: {} });
  const r = await cli(["--address", sb.address, "emit", ""]);
  assert.equal(r.code, 1);
  assert.equal(r.err, "initctl: Name may not be empty string\n");
});
