import assert from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { cli, CLI_PERMISSIONS, fakeIo } from "./support/cli_io.ts";
import { hasControl } from "./support/cli_io.ts";
import { main } from "../src/cli/main.ts";
import { until } from "./support/poll.ts";
import { peerProxy } from "./support/api_sandbox.ts";
import { FEATURES } from "../src/versions.ts";

const JOBS = { svc: "exec sleep 1000\n" };
const CLI = new URL("../cli.ts", import.meta.url).pathname;

Deno.test("watch prints the events of a start and a stop; Ctrl-C ends it with 0", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const f = fakeIo();
  const running = main(["--address", sb.address, "-v", "watch"], f.io);
  await until(() => f.err().includes("Watching"), "the subscription: " + f.err());
  assert.equal((await cli(["--address", sb.address, "start", "svc"])).code, 0);
  assert.equal((await cli(["--address", sb.address, "stop", "svc"])).code, 0);
  await until(() => f.out().includes("InstanceRemoved svc"), "InstanceRemoved");
  f.interrupt();
  assert.equal(await running, 0);
  const events = f.out().trimEnd().split("\n").map((l) => l.replace(/^\S+ \S+ /, ""));
  for (
    const e of [
      "InstanceAdded svc",
      "GoalChanged svc start",
      "StateChanged svc running",
      "EventEmitted started JOB=svc INSTANCE=",
      "GoalChanged svc stop",
      "StateChanged svc stopping",
      "EventEmitted stopped JOB=svc INSTANCE= RESULT=ok",
      "InstanceRemoved svc",
    ]
  ) assert.ok(events.includes(e), `missing ${e} in:\n${events.join("\n")}`);
  assert.ok(events.indexOf("StateChanged svc running") < events.indexOf("GoalChanged svc stop"));
});

Deno.test("watch --json prints JSON lines; --count ends it", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const f = fakeIo();
  const running = main(
    ["--address", sb.address, "-v", "watch", "--json", "--type", "StateChanged", "--count", "2"],
    f.io,
  );
  await until(() => f.err().includes("Watching"), "the subscription: " + f.err());
  await cli(["--address", sb.address, "start", "svc"]);
  assert.equal(await running, 0);
  const docs = f.out().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.equal(docs.length, 2);
  for (const d of docs) {
    assert.equal(d.type, "StateChanged");
    assert.equal(d.job, "svc");
    assert.equal(typeof d.time, "string");
    assert.ok(!Number.isNaN(Date.parse(d.time)));
  }
  assert.equal(docs[0].state, "starting");
});

Deno.test("wait: reached, already there, timeout (124), unknown job", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const a = ["--address", sb.address];
  const f = fakeIo();
  const waiting = main([...a, "wait", "svc", "running", "--timeout", "10", "--json"], f.io);
  await new Promise((r) => setTimeout(r, 100));
  await cli([...a, "start", "--no-wait", "svc"]);
  assert.equal(await waiting, 0, f.err());
  assert.equal(JSON.parse(f.out()).state, "running");
  let r = await cli([...a, "wait", "svc", "start/running"]);
  assert.deepEqual([r.code, r.err], [0, ""]);
  r = await cli([...a, "wait", "svc", "waiting", "--timeout", "0.2"]);
  assert.deepEqual([r.code, r.err], [124, "initctl: Timed out waiting for svc to be waiting\n"]);
  await cli([...a, "stop", "svc"]);
  r = await cli([...a, "wait", "svc", "waiting"]);
  assert.equal(r.code, 0);
  r = await cli([...a, "wait", "nosuch"]);
  assert.deepEqual([r.code, r.err], [1, "initctl: Unknown job: nosuch\n"]);
  r = await cli([...a, "wait", "svc", "bogus"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^initctl: invalid state: bogus/);
});

Deno.test("watch colours lines only on a terminal, and not with NO_COLOR set", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const a = ["--address", sb.address];
  const run = async (env: Record<string, string>, stdout: boolean) => {
    const f = fakeIo(env, {}, { stdout });
    const watching = main([...a, "-v", "watch", "-t", "StateChanged", "--count", "1"], f.io);
    await until(() => f.err().includes("Watching"), "the subscription: " + f.err());
    await cli([...a, "start", "svc"]);
    assert.equal(await watching, 0);
    await cli([...a, "stop", "svc"]);
    return f.out();
  };
  const ESC = "\x1b";
  const coloured = await run({}, true);
  assert.ok(coloured.endsWith(` ${ESC}[32mStateChanged svc starting${ESC}[0m\n`), coloured);
  // no-color.org: set and not empty turns colour off; empty does not.
  assert.match(await run({ NO_COLOR: "1" }, true), /^\S+ \S+ StateChanged svc starting\n$/);
  assert.ok((await run({ NO_COLOR: "" }, true)).includes(`${ESC}[32m`));
  assert.match(await run({}, false), /^\S+ \S+ StateChanged svc starting\n$/);
});

Deno.test("a real watch process ends with status 0 on SIGINT (Ctrl-C)", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...CLI_PERMISSIONS, CLI, "--address", sb.address, "-v", "watch"],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const d = new TextDecoder();
  const reading = Promise.all([
    child.stdout.pipeTo(new WritableStream({ write: (c) => void (out += d.decode(c)) })),
    child.stderr.pipeTo(new WritableStream({ write: (c) => void (err += d.decode(c)) })),
  ]);
  try {
    await until(() => err.includes("Watching"), "the subscription: " + err);
    assert.equal((await cli(["--address", sb.address, "start", "svc"])).code, 0);
    await until(() => out.includes("StateChanged svc running"), "the events: " + out);
    child.kill("SIGINT");
    const status = await child.status;
    await reading;
    assert.equal(status.code, 0, err);
    assert.ok(out.endsWith("\n"), "whole lines only");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
});

Deno.test("wait JOB waiting waits for the last instance, not the first to stop", async () => {
  await using sb = await startSandbox({ jobs: { inst: "instance $N\nexec sleep 1000\n" } });
  const a = ["--address", sb.address];
  for (const n of ["1", "2"]) assert.equal((await cli([...a, "start", "inst", `N=${n}`])).code, 0);
  const f = fakeIo();
  let settled = false;
  const waiting = main([...a, "wait", "inst", "waiting", "--timeout", "30"], f.io).finally(() => {
    settled = true;
  });
  // A signal subscription is in place once a watcher's match rule reaches the bus; give the
  // waiter time to subscribe and then to see instance 1's StateChanged(waiting).
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await cli([...a, "stop", "inst", "N=1"])).code, 0);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(settled, false, "wait returned with instance 2 still running: " + f.err());
  assert.equal((await cli([...a, "stop", "inst", "N=2"])).code, 0);
  assert.equal(await waiting, 0, f.err());
});

Deno.test("watch escapes control characters in event names and environments", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const a = ["--address", sb.address];
  const f = fakeIo();
  const watching = main([...a, "-v", "watch", "-t", "EventEmitted", "--count", "1"], f.io);
  await until(() => f.err().includes("Watching"), "the subscription: " + f.err());
  assert.equal((await cli([...a, "emit", "--no-wait", "deploy", "V=a\x1b[2J\nforged"])).code, 0);
  assert.equal(await watching, 0, f.err());
  assert.ok(!hasControl(f.out()), JSON.stringify(f.out()));
  assert.match(f.out(), /^\S+ \S+ EventEmitted deploy V=a\\x1b\[2J\\nforged\n$/);
});

Deno.test("a real wait process ends with 143 on SIGTERM and 130 on SIGINT", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  for (const [signal, status] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...CLI_PERMISSIONS, CLI, "--address", sb.address, "-v", "wait", "svc"],
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let err = "";
    const reading = child.stderr.pipeTo(
      new WritableStream({ write: (c) => void (err += new TextDecoder().decode(c)) }),
    );
    try {
      await until(() => err.includes("Waiting for svc"), "the wait's subscription: " + err);
      child.kill(signal);
      assert.equal((await child.status).code, status, err);
      await reading;
    } finally {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }
  }
});

Deno.test("-q and -v: the later one wins, as in initctl", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const a = ["--address", sb.address];
  assert.equal((await cli([...a, "-v", "-q", "status", "svc"])).out, "");
  assert.equal((await cli([...a, "-q", "-v", "status", "svc"])).out, "svc stop/waiting\n");
  assert.equal((await cli([...a, "-q", "status", "svc", "-v"])).out, "svc stop/waiting\n");
  assert.equal((await cli([...a, "-v", "status", "svc", "--quiet"])).out, "");
});

Deno.test("watch JOB with an unknown job says so and exits 1, unless --wait-for-job", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const a = ["--address", sb.address];
  const r = await cli([...a, "watch", "nosuchjob"]);
  assert.equal(r.code, 1);
  assert.equal(r.err, "initctl: Unknown job: nosuchjob\n");
  const f = fakeIo();
  const watching = main(
    [...a, "-v", "watch", "later", "--wait-for-job", "-t", "JobAdded", "--count", "1"],
    f.io,
  );
  await until(() => f.err().includes("Watching"), "the subscription: " + f.err());
  await sb.writeJob("later", "exec sleep 1000\n");
  assert.equal(await watching, 0, f.err());
  assert.match(f.out(), /JobAdded later/);
});

Deno.test("wait on an Upstart 0.6.5 (no StateChanged or GoalChanged signals) looks at the state instead", async () => {
  await using sb = await startSandbox({ jobs: JOBS });
  const missing = Object.values(FEATURES).filter((f) => f.since === "0.6.7").map((f) => f.member);
  await using proxy = await peerProxy(sb.address, { version: "init (upstart 0.6.5)", missing });
  const f = fakeIo({ UPSTART_SESSION: proxy.address });
  const waiting = main(["-v", "wait", "svc", "--timeout", "30"], f.io);
  await until(() => f.err().includes("Waiting for svc"), "the wait: " + f.err());
  assert.equal((await cli(["--address", sb.address, "start", "svc"])).code, 0);
  assert.equal(await waiting, 0, f.err());
  await cli(["--address", sb.address, "stop", "svc"]);
});
