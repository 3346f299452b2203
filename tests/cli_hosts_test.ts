import assert from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { cli, maskPids } from "./support/cli_io.ts";

// Stands in for ssh: runs the far-side command locally; host "down" is unreachable.
const FAKE_SSH = `#!/bin/sh
shift
host="$1"; shift
case "$host" in *down*) echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255;; esac
exec sh -c "$1"
`;

async function setup() {
  const sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n", other: "exec sleep 1000\n" } });
  const dir = await Deno.makeTempDir();
  const ssh = `${dir}/ssh`;
  await Deno.writeTextFile(ssh, FAKE_SSH);
  await Deno.chmod(ssh, 0o755);
  const socket = sb.address.replace(/^unix:path=/, "").split(",")[0];
  return {
    sb,
    dir,
    args: ["--ssh-command", ssh, "--remote-socket", socket],
    async [Symbol.asyncDispose]() {
      await sb.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
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
  assert.match(r.err, /^down1: initctl: Upstart is not running or cannot be reached/m);
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
  assert.match(doc.hosts.down1.error, /^Upstart is not running or cannot be reached/);
  r = await cli([...s.args, "--host=-oProxyCommand=x", "list"]);
  assert.equal(r.code, 1);
  assert.match(r.err, /invalid host/);
  r = await cli(["-H", "a", "check", "x.conf"]);
  assert.equal(r.code, 2);
});
