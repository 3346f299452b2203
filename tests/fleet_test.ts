/**
 * Fleets through a stand-in ssh (the real sshd is in remote_sshd_test.ts): each failure kind in
 * one line, no second socket after ssh failed, time limits that stop a hung ssh, progress and
 * summary lines, per-host JSON, the library's forEachHost/connectMany, and no zombies.
 */

import assert from "node:assert/strict";
import { cli, CLI_PERMISSIONS, fakeIo } from "./support/cli_io.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;
import { startBus } from "./support/bus.ts";
import { fleetInProcess } from "./support/children.ts";
import { fakeFleet, writeFakeSsh } from "./support/fake_ssh.ts";
import { busSocketPath } from "./support/sshd.ts";
import { until } from "./support/poll.ts";
import { main } from "../src/cli/main.ts";
import { connectMany, forEachHost } from "../src/fleet.ts";
import { HostTimeoutError, HostUnreachableError } from "../src/host_errors.ts";
import { System } from "../src/system.ts";

function setup() {
  return fakeFleet({ svc: "exec sleep 1000\n" });
}

Deno.test("each failure kind is one line naming the host, what was tried and why", async () => {
  await using s = await setup();
  await using bus = await startBus(); // a bus with no Upstart on it
  const busSocket = busSocketPath(bus.address);
  const hosts = "ok1,down1,nokey1,nosudo1,nobridge1,hang1";
  let r = await cli([...s.args, "-H", hosts, "--host-timeout", "1", "version"]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out, "ok1: init (upstart 1.13.2) sandbox\n");
  const lines = r.err.trimEnd().split("\n");
  const at = `the socket ${s.socket} over ssh`;
  assert.deepEqual(
    lines.sort(),
    [
      "6 hosts: 1 ok, 5 failed (down1, nokey1, nosudo1, nobridge1, hang1)",
      `down1: ${at}: ssh: connect to host down1 port 22: Connection refused`,
      "hang1: no answer within 1 seconds",
      `nobridge1: ${at}: upstart bridge: none of socat, python3, python found on nobridge1`,
      `nokey1: ${at}: nokey1: Permission denied (publickey).`,
      `nosudo1: ${at}: sudo: a password is required`,
    ].sort(),
  );
  for (const line of lines) assert.ok(line.length <= 200, line);

  r = await cli([...s.args, "-H", hosts, "--host-timeout", "1", "--json", "version"]);
  const doc = JSON.parse(r.out);
  const kinds = Object.fromEntries(
    Object.entries(doc.hosts).map(([h, v]) => {
      const e = v as { ok: boolean; error?: { kind: string } };
      return [h, e.ok ? "ok" : e.error!.kind];
    }),
  );
  assert.deepEqual(kinds, {
    ok1: "ok",
    down1: "ssh",
    nokey1: "ssh",
    nosudo1: "permission",
    nobridge1: "bridge",
    hang1: "timeout",
  });
  assert.equal(doc.hosts.hang1.exitCode, 124);
  assert.deepEqual(doc.summary.failed, ["down1", "nokey1", "nosudo1", "nobridge1", "hang1"]);

  // Connected, but no Upstart there; a socket that is missing.
  r = await cli([
    "--ssh-command",
    s.ssh,
    "-H",
    "far1",
    "--remote-socket",
    busSocket,
    "--json",
    "version",
  ]);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /^initctl: far1: the socket \S+ over ssh: no owner of com\.ubuntu\.Upstart\n$/,
  );
  r = await cli([
    "--ssh-command",
    s.ssh,
    "-H",
    "a,b",
    "--remote-socket",
    `${s.dir}/x`,
    "--json",
    "version",
  ]);
  const missing = JSON.parse(r.out).hosts.a;
  assert.equal(missing.error.kind, "bridge");
  assert.match(missing.error.message, /cannot connect to .*\/x: (\[Errno 2\] )?No such file/);
});

Deno.test("after ssh itself failed, the next socket is not tried", async () => {
  await using s = await setup();
  const log = `${s.dir}/log`;
  const e = await System.connect({ host: "root@down2", sshCommand: s.ssh }).then(
    () => null,
    (e) => e,
  );
  assert.ok(e instanceof HostUnreachableError);
  assert.equal(e.kind, "ssh");
  assert.equal(e.tried.length, 1);
  assert.equal(
    e.message,
    "root@down2: the private socket over ssh: ssh: connect to host root@down2 port 22: Connection refused",
  );
  // The log proves ssh ran once only.
  const logging = await writeFakeSsh(await Deno.makeTempDir({ dir: s.dir }), log);
  await System.connect({ host: "root@down3", sshCommand: logging }).catch(() => {});
  assert.equal(await Deno.readTextFile(log), "root@down3\n");
});

Deno.test("a hung host is stopped at its time limit and never holds up the rest", async () => {
  await using s = await setup();
  const started = Date.now();
  const results = await connectMany(
    ["hang2", "ok2", "ok3"],
    (system) => system.version(),
    { sshCommand: s.ssh, remoteSocket: s.socket, hostTimeout: 800, parallel: 2 },
  );
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(results.map((r) => [r.name, r.ok]), [["hang2", false], ["ok2", true], [
    "ok3",
    true,
  ]]);
  const hung = results[0];
  assert.ok(!hung.ok && hung.failure.kind === "timeout");
  assert.ok(!hung.ok && hung.failure.error instanceof HostTimeoutError);
});

Deno.test("the hung ssh is stopped, and 50 connections leave no zombie behind", async () => {
  await using s = await setup();
  const hosts = [...Array.from({ length: 50 }, (_, i) => `h${i}`), "hang3"];
  const run = await fleetInProcess(hosts, {
    sshCommand: s.ssh,
    remoteSocket: s.socket,
    parallel: 25,
    hostTimeout: 3000,
  });
  assert.deepEqual(run.results, [...Array(50).fill("ok"), "timeout"]);
  assert.deepEqual(run.left, []);
  // The hung "ssh" (a sleep) was stopped, not left running.
  const sleepers = [...Deno.readDirSync("/proc")].filter((e) => {
    try {
      return Deno.readTextFileSync(`/proc/${e.name}/cmdline`) === "sleep\x0061.7\x00";
    } catch {
      return false;
    }
  });
  assert.deepEqual(sleepers, []);
});

Deno.test("on a terminal, a progress line is kept on stderr and erased; a summary ends the run", async () => {
  await using s = await setup();
  const { io, out, err } = fakeIo({}, {}, { stderr: true });
  const code = await main([...s.args, "-H", "a1,down4,a2", "--parallel", "1", "version"], io);
  assert.equal(code, 1);
  assert.equal(out().split("\n").filter(Boolean).length, 2);
  const text = err();
  for (const p of ["[1/3] 1 ok, 0 failed", "[2/3] 1 ok, 1 failed", "[3/3] 2 ok, 1 failed"]) {
    assert.ok(text.includes(p), text);
  }
  // What stays on screen once each progress line is erased.
  const screen = text.replace(/\[\d+\/\d+\][^\r\n]*\r *\r/g, "").replace(
    /\[\d+\/\d+\][^\r\n]*/g,
    "",
  );
  assert.match(screen, /^down4: .*Connection refused\n3 hosts: 2 ok, 1 failed \(down4\)\n$/);
});

Deno.test("forEachHost bounds parallelism, keeps order, and stops on its signal", async () => {
  let running = 0;
  let most = 0;
  const results = await forEachHost(
    Array.from({ length: 20 }, (_, i) => `n${i}`),
    async (host) => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (host.host === "n3") throw new Error("broken");
      return host.host;
    },
    { parallel: 4 },
  );
  assert.equal(most, 4);
  assert.deepEqual(results.map((r) => r.name), Array.from({ length: 20 }, (_, i) => `n${i}`));
  assert.deepEqual(results[3], {
    name: "n3",
    ok: false,
    failure: {
      kind: "command",
      message: "broken",
      error: (results[3] as { failure: { error: Error } }).failure.error,
    },
  });
  const controller = new AbortController();
  const started: string[] = [];
  const run = forEachHost(["a", "b", "c"], async (host, signal) => {
    started.push(host.host);
    controller.abort(new Error("enough"));
    // Work that ignores its signal does not hold the fleet up.
    await new Promise(() => {});
    return signal.aborted ? 0 : 1;
  }, { parallel: 1, signal: controller.signal });
  await assert.rejects(run, /enough/);
  assert.deepEqual(started, ["a"]);
  await assert.rejects(forEachHost([], () => Promise.resolve(), { parallel: 0 }), RangeError);
});

Deno.test("--inventory and --limit: the hosts an Ansible pattern selects, each with its ssh settings", async () => {
  await using s = await setup();
  const log = `${s.dir}/log`;
  const ini = `${s.dir}/hosts.ini`;
  await Deno.writeTextFile(
    ini,
    `[web]
web[1:3].example.com ansible_port=2222

[db]
db1 ansible_host=10.0.0.5 ansible_user=admin ansible_ssh_private_key_file=/keys/db

[prod:children]
web
db
`,
  );
  const logging = await writeFakeSsh(await Deno.makeTempDir({ dir: s.dir }), log);
  {
    const args = ["--ssh-command", logging, "--remote-socket", s.socket];
    const r = await cli([...args, "-i", ini, "-l", "prod:!web2*", "version"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.out.trimEnd().split("\n").map((l) => l.split(":")[0]).sort(), [
      "db1",
      "web1.example.com",
      "web3.example.com",
    ]);
    const seen = (await Deno.readTextFile(log)).trimEnd().split("\n").sort();
    assert.deepEqual(seen, [
      "admin@10.0.0.5 -i /keys/db",
      "web1.example.com -p 2222",
      "web3.example.com -p 2222",
    ]);
  }
  // YAML, read through the lazily loaded parser; the host's name keys the JSON.
  const yml = `${s.dir}/hosts.yml`;
  await Deno.writeTextFile(yml, "all:\n  hosts:\n    alpha:\n      ansible_host: far1\n");
  const j = await cli([...s.args, "--inventory", yml, "--json", "version"]);
  assert.equal(j.code, 0, j.err);
  assert.deepEqual(Object.keys(JSON.parse(j.out).hosts), ["alpha"]);
  // Mistakes: a limit without an inventory, a limit that leaves nothing, a bad inventory line.
  let r = await cli([...s.args, "-l", "web", "version"]);
  assert.match(r.err, /--limit selects hosts of an --inventory/);
  r = await cli([...s.args, "-i", ini, "-l", "web:&db", "version"]);
  assert.match(r.err, /no host of .*hosts\.ini matches --limit web:&db/);
  r = await cli([...s.args, "-i", ini, "-l", "nosuch", "version"]);
  assert.match(r.err, /Could not match supplied host pattern/);
  await Deno.writeTextFile(ini, "[web]\nweb[5:1]\n");
  r = await cli([...s.args, "-i", ini, "version"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^initctl: \S*hosts\.ini:2: /);
});

Deno.test("Ctrl-C ends watch on many hosts as on one (status 0), nothing reported as failed", async () => {
  await using s = await setup();
  for (const hosts of ["w1", "w1,w2"]) {
    const f = fakeIo();
    const running = main([...s.args, "-H", hosts, "-v", "watch"], f.io);
    await until(
      () => f.err().split("Watching").length > hosts.split(",").length,
      "the subscriptions: " + f.err(),
    );
    f.interrupt();
    assert.equal(await running, 0, f.err());
    assert.doesNotMatch(f.err(), /failed \(|no answer/);
  }
});

Deno.test("Ctrl-C on a local command that does not handle it ends it by the signal, as before", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "uh-" });
  const hang = Deno.listen({ transport: "unix", path: `${dir}/hang.sock` });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const c of hang) held.push(c); // accepted, never answered
  })().catch(() => {});
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...CLI_PERMISSIONS, CLI, "--address", `unix:path=${dir}/hang.sock`, "list"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, 1500));
    child.kill("SIGINT");
    const out = await child.output();
    assert.equal(out.signal, "SIGINT", new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stderr), "");
  } finally {
    hang.close();
    for (const c of held) c.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connecting with a signal already aborted starts nothing and leaks nothing", async () => {
  await using s = await setup();
  const why = new Error("already");
  for (
    const options of [{ address: "unix:path=/nonexistent/socket" }, {
      host: "a1",
      sshCommand: s.ssh,
      remoteSocket: s.socket,
    }]
  ) {
    await assert.rejects(
      System.connect({ ...options, signal: AbortSignal.abort(why) }),
      (e) => e === why,
    );
  }
  // No unhandled rejection, no connection left: the test's sanitizers would say so.
  await new Promise((r) => setTimeout(r, 200));
});

Deno.test("-i and --hosts-file refuse what is not a small text file; a hosts file may be a pipe", async () => {
  await using s = await setup();
  const dir = await Deno.makeTempDir();
  try {
    await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
    await Deno.writeFile(`${dir}/binary.ini`, new Uint8Array([0x5b, 0x77, 0x5d, 0x0a, 0x68, 0xff]));
    const refused: [string, string][] = [
      ["-i", "/dev/zero"],
      ["-i", `${dir}/fifo`],
      ["-i", `${dir}/binary.ini`],
      ["-i", dir],
      ["--hosts-file", "/dev/zero"],
      ["--hosts-file", `${dir}/binary.ini`],
      ["--hosts-file", dir],
    ];
    for (const [option, file] of refused) {
      const r = await cli([option, file, "list"]);
      assert.equal(r.code, 1, `${option} ${file}`);
      assert.match(
        r.err,
        /regular file|UTF-8|over \d+ bytes|directory/,
        `${option} ${file}: ${r.err}`,
      );
    }
    // A pipe, as <(grep web hosts) gives one (Deno lets only -A open /dev/ paths).
    const piped = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, ...s.args, "--hosts-file", "/dev/stdin", "version"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = piped.stdin.getWriter();
    await w.write(new TextEncoder().encode("p1\np2\n"));
    await w.close();
    const out = await piped.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).length, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
