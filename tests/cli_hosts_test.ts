import assert from "node:assert/strict";
import { cli, cliProcess, fakeIo, maskPids } from "./support/cli_io.ts";
import { main } from "../src/cli/main.ts";
import { fakeFleet } from "./support/fake_ssh.ts";

function setup() {
  return fakeFleet({ svc: "exec sleep 1000\n", other: "exec sleep 1000\n" });
}

Deno.test("-H a,b runs on each host over the real unixexec bridge, prefixing lines", async () => {
  await using s = await setup();
  const r = await cli([...s.args, "-H", "alpha,root@beta", "status", "svc"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trimEnd().split("\n").sort(), [
    "alpha: svc stop/waiting",
    "root@beta: svc stop/waiting",
  ]);
  // One host: plain output, like systemctl -H.
  const one = await cli([...s.args, "-H", "alpha", "start", "svc"]);
  assert.equal(maskPids(one.out), "svc start/running, process PID\n");
});

Deno.test("an unreachable host fails alone; --json gives one document per host", async () => {
  await using s = await setup();
  const hostsFile = `${s.dir}/hosts`;
  await Deno.writeTextFile(hostsFile, "# fleet\nalpha\ndown1\n\nbeta  # comment\n");
  let r = await cli([...s.args, "--hosts-file", hostsFile, "--parallel", "2", "version"]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.out.trimEnd().split("\n").map((l) => l.replace(/ sandbox$/, "")).sort(), [
    "alpha: init (upstart 1.13.2)",
    "beta: init (upstart 1.13.2)",
  ]);
  // One readable line, `HOST: what was tried: why`, never libdbus's escaped unixexec address;
  // then the summary.
  const [line, summary, ...more] = r.err.trimEnd().split("\n");
  assert.match(
    line,
    /^down1: the socket \S+ over ssh: ssh: connect to host down1 port 22: Connection refused$/,
  );
  assert.ok(line.length < 300, line);
  assert.doesNotMatch(line, /argv|%20/);
  assert.deepEqual([summary, more], ["3 hosts: 2 ok, 1 failed (down1)", []]);
  r = await cli([...s.args, "--hosts-file", hostsFile, "--json", "list"]);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.out);
  assert.deepEqual(Object.keys(doc.hosts), ["alpha", "down1", "beta"]);
  assert.equal(doc.hosts.alpha.ok, true);
  assert.deepEqual(
    doc.hosts.alpha.result.jobs.map((j: { name: string }) => j.name).sort(),
    ["other", "svc"],
  );
  assert.equal(doc.hosts.down1.ok, false);
  assert.equal(doc.hosts.down1.exitCode, 1);
  assert.equal(doc.hosts.down1.error.kind, "ssh");
  assert.match(
    doc.hosts.down1.error.message,
    /^the socket \S+ over ssh: ssh: connect to host down1/,
  );
  assert.deepEqual(doc.summary, { hosts: 3, ok: 2, failed: ["down1"] });
  r = await cli([...s.args, "--host=-oProxyCommand=x", "list"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid host/);
  // A control character would reach the terminal through every line naming the host.
  r = await cli([...s.args, "-H", "h1\x1b[31mX", "list"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^initctl: invalid host: "h1\\u001b\[31mX"\n/);
  r = await cli(["-H", "a", "check", "x.conf"]);
  assert.equal(r.code, 2);
  r = await cli(["-H", "a", "graph", "--dir", s.dir]);
  assert.deepEqual([r.code, r.err], [
    2,
    "initctl: graph runs locally: --host and --hosts-file do not apply\n" +
    "Try `initctl --help' for more information.\n",
  ]);
});

Deno.test("graph without --dir asks Upstart, so it runs on --host", async () => {
  await using s = await setup();
  const r = await cli([...s.args, "-H", "alpha,beta", "graph", "svc"]);
  assert.equal(r.code, 0, r.err);
  for (const host of ["alpha", "beta"]) {
    assert.ok(r.out.includes(`${host}: digraph upstart {`), r.out);
    assert.ok(r.out.includes(`${host}:   "job:svc" [label="svc"`), r.out);
  }
});

Deno.test("a usage error on many hosts is one usage error (2 for ours, 1 for initctl's)", async () => {
  await using s = await setup();
  let r = await cli([...s.args, "-H", "alpha,beta", "wait", "svc", "bogus"]);
  assert.equal(r.code, 2);
  assert.equal(r.out, "");
  assert.match(
    r.err,
    /^initctl: invalid state: bogus \(expected one of [^)]*\)\nTry `initctl --help' for more information\.\n$/,
  );
  r = await cli([...s.args, "-H", "alpha,beta", "--json", "start"]);
  assert.deepEqual([r.code, r.out, r.err], [
    1,
    "",
    "initctl: missing job name\nTry `initctl --help' for more information.\n",
  ]);
});

/** A fake ssh that records how many connections are open at once (at most `barrier` meet). */
async function countingSsh(dir: string, barrier: number): Promise<string> {
  const ssh = `${dir}/counting-ssh`;
  await Deno.mkdir(`${dir}/open`);
  await Deno.mkdir(`${dir}/arrived`);
  await Deno.writeTextFile(
    ssh,
    `#!/bin/sh
shift
host="$1"; shift
touch "${dir}/open/$$" "${dir}/arrived/$$"
# The first ${barrier} connections wait (up to 15 s, however loaded the machine: well within the
# 25 s a connection may take to authenticate) until ${barrier} are open, so the count below sees
# the real overlap; later ones, which may never have that many companions, go straight on.
if [ "$(ls "${dir}/arrived" | wc -l)" -le ${barrier} ]; then
  i=0
  while [ "$(ls "${dir}/open" | wc -l)" -lt ${barrier} ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done
  [ $i -lt 300 ] || echo "$host" >> "${dir}/barrier-timeout"
  ls "${dir}/open" | wc -l >> "${dir}/first"
fi
ls "${dir}/open" | wc -l >> "${dir}/counts"
echo "$host" >> "${dir}/hosts"
sh -c "$1"
rm -f "${dir}/open/$$"
`,
  );
  await Deno.chmod(ssh, 0o755);
  return ssh;
}

Deno.test("many hosts run concurrently, never more than --parallel (default 16) at once", async () => {
  await using s = await setup();
  for (const [parallel, hosts] of [[2, 6], [undefined, 20]] as const) {
    const dir = await Deno.makeTempDir({ dir: s.dir });
    const limit = parallel ?? 16;
    const ssh = await countingSsh(dir, limit);
    const names = Array.from({ length: hosts }, (_, i) => `h${i}`);
    const args = [...s.args, "--ssh-command", ssh, "-H", names.join(",")];
    if (parallel) args.push("--parallel", String(parallel));
    const r = await cli([...args, "status", "svc"]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out.trimEnd().split("\n").sort(),
      names.map((h) => `${h}: svc stop/waiting`).sort(),
    );
    const numbers = async (f: string) =>
      (await Deno.readTextFile(`${dir}/${f}`)).trim().split(/\s+/).map(Number);
    const counts = await numbers("counts");
    assert.equal(counts.length, hosts);
    // The first batch, held at the barrier, shows the overlap exactly: that many, no more (on
    // a machine so loaded that they never all met, at least no more).
    const met = await Deno.stat(`${dir}/barrier-timeout`).then(() => false, () => true);
    const first = Math.max(...await numbers("first"));
    if (met) assert.equal(first, limit, `${limit} at once`);
    else assert.ok(first <= limit, `at most ${limit} at once, met: ${first}`);
    // Later a finished host's ssh may still be exiting when the next one starts: a little slack.
    assert.ok(Math.max(...counts) <= limit + 2, `at most ${limit} at once: ${counts}`);
    assert.deepEqual(
      (await Deno.readTextFile(`${dir}/hosts`)).trim().split("\n").sort(),
      names.sort(),
    );
  }
  const r = await cli([...s.args, "-H", "a,b", "--parallel", "0", "list"]);
  assert.deepEqual([r.code, r.err.split("\n")[0]], [
    1,
    "initctl: invalid --parallel value: 0: expected a positive integer",
  ]);
});

Deno.test("watch --json on many hosts: one JSON line per event, tagged with its host", async () => {
  await using s = await setup();
  const f = fakeIo();
  const watching = main(
    [...s.args, "-H", "alpha,beta", "--json", "watch", "-t", "GoalChanged", "--count", "1"],
    f.io,
  );
  // Both hosts are the same sandbox, so one start reaches both watchers.
  const end = Date.now() + 10_000;
  while (f.out().split("\n").length < 3 && Date.now() < end) {
    await cli(["--address", s.sb.address, "start", "svc"]);
    await cli(["--address", s.sb.address, "stop", "svc"]);
  }
  assert.equal(await watching, 0, f.err());
  const docs = f.out().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(docs.map((d) => d.host).sort(), ["alpha", "beta"]);
  for (const d of docs) assert.deepEqual([d.type, d.job], ["GoalChanged", "svc"]);
});

Deno.test("watch on 100 hosts at once (--parallel 100): every host's watcher gets the event", async () => {
  // Each host holds a subscribed connection for as long as it watches: with a pool thread per
  // waiting connection this stalled after 31 hosts.
  await using s = await setup();
  const hosts = Array.from({ length: 100 }, (_, i) => `h${String(i).padStart(3, "0")}`);
  const f = fakeIo();
  const watching = main(
    [
      ...s.args,
      "-H",
      hosts.join(","),
      "--parallel",
      "100",
      "--json",
      "watch",
      "-t",
      "GoalChanged",
      "--count",
      "1",
    ],
    f.io,
  );
  let done = false;
  watching.finally(() => done = true);
  const end = Date.now() + 60_000;
  while (!done && Date.now() < end) {
    await cli(["--address", s.sb.address, "start", "svc"]);
    await cli(["--address", s.sb.address, "stop", "svc"]);
  }
  assert.equal(await watching, 0, f.err());
  const docs = f.out().trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual([...new Set(docs.map((d) => d.host))].sort(), hosts);
  for (const d of docs) assert.deepEqual([d.type, d.job], ["GoalChanged", "svc"]);
});

Deno.test("--ssh-arg (repeatable) reaches ssh before the host; --bridge picks the far-side bridge", async () => {
  await using s = await setup();
  const logging = `${s.dir}/ssh-logging`;
  await Deno.writeTextFile(
    logging,
    `#!/bin/sh\nprintf '%s\\n' "$@" > "${logging}.args"\nfor last; do :; done\nexec sh -c "$last"\n`,
  );
  await Deno.chmod(logging, 0o755);
  const args = ["--ssh-command", logging, ...s.args.slice(2)];
  const r = await cli([
    ...args,
    "-H",
    "alpha",
    "--ssh-arg=-p",
    "--ssh-arg=2222",
    "--ssh-arg=-oConnectTimeout=5",
    "--bridge",
    "python3",
    "status",
    "svc",
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "svc stop/waiting\n");
  const seen = (await Deno.readTextFile(`${logging}.args`)).split("\n");
  assert.deepEqual(seen.slice(0, 5), ["-T", "-p", "2222", "-oConnectTimeout=5", "alpha"]);
  assert.ok(seen.join("\n").includes("run python3"), "the python3 bridge only");
  assert.ok(!seen.join("\n").includes("run socat"));
  const bad = await cli([...args, "-H", "alpha", "--bridge", "perl", "status", "svc"]);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /invalid --bridge value: perl/);
});

Deno.test("every stderr line from a host (ssh's own, the bridge's) carries the host's name", async () => {
  await using s = await setup();
  const r = await cliProcess([...s.args, "-H", "down1,alpha", "version"]);
  assert.equal(r.code, 1);
  assert.match(r.out, /^alpha: init \(upstart 1\.13\.2\)/m);
  const lines = r.err.trimEnd().split("\n");
  assert.match(
    lines[0],
    /^down1: the socket \S+ over ssh: ssh: connect to host down1 port 22: Connection refused$/,
  );
  assert.equal(lines.pop(), "2 hosts: 1 ok, 1 failed (down1)");
  for (const line of lines) assert.match(line, /^(down1|alpha): /);
});
