/**
 * The ssh transport for real: libdbus's `unixexec:` runs a stand-in for ssh
 * that executes the remote command locally (`sh -c "$last_arg"`), and the
 * far-side bridge (socat, python3, python 2.7) connects to a real dbus-daemon.
 */
import assert from "node:assert/strict";
import { Connection } from "../ffi/mod.ts";
import {
  bridgeScript,
  defaultRemoteSocket,
  escapeAddressValue,
  remoteAddress,
  shellQuote,
} from "../src/remote.ts";
import { connectTargets } from "../src/connect.ts";
import { System } from "../src/system.ts";
import { UpstartNotRunningError } from "../src/errors.ts";
import { HostUnreachableError } from "../src/host_errors.ts";
import { peerProxy } from "./support/api_sandbox.ts";
import { startSandbox } from "./support/sandbox.ts";

const CONFIG = new URL("./support/bus.conf", import.meta.url).pathname;

/** A dbus-daemon listening on `address`, allowing every uid (for the uid-rewrite test). */
async function daemon(dir: string, address: string) {
  const config = `${dir}/bus.conf`;
  const base = await Deno.readTextFile(CONFIG);
  // Let any uid connect: the far side may run as another user than the daemon.
  await Deno.writeTextFile(
    config,
    base.replace('<policy context="default">', '<policy context="default">\n    <allow user="*"/>'),
  );
  const child = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${config}`, `--address=${address}`, "--nofork", "--print-address=1"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("dbus-daemon exited");
    printed += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** Writes the ssh stand-in: logs its arguments, then runs the last one with sh (optionally as another uid). */
async function fakeSsh(dir: string, prefix = ""): Promise<string> {
  const path = `${dir}/fake-ssh-${crypto.randomUUID().slice(0, 8)}`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh
printf '%s\\n' "$@" > "${path}.args"
for last; do :; done
exec ${prefix} sh -c "$last"
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

async function getId(connection: Connection): Promise<string> {
  const [id] = await connection.call({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "GetId",
  });
  return id as string;
}

Deno.test("escapeAddressValue keeps [-0-9A-Za-z_/.\\*] and percent-escapes the rest", () => {
  assert.deepEqual(escapeAddressValue("abc-XYZ_09/.\\*"), "abc-XYZ_09/.\\*");
  assert.deepEqual(escapeAddressValue("a b,c=d;e'f"), "a%20b%2cc%3dd%3be%27f");
  assert.deepEqual(escapeAddressValue("é"), "%c3%a9");
});

Deno.test("shellQuote survives sh", async () => {
  const tricky = `it's "quoted" $HOME \`x\` \\ ;|&`;
  const out = await new Deno.Command("sh", { args: ["-c", `printf %s ${shellQuote(tricky)}`] })
    .output();
  assert.deepEqual(new TextDecoder().decode(out.stdout), tricky);
});

Deno.test("remoteAddress builds a unixexec address with ssh -T, the host and one sh -c command", () => {
  const address = remoteAddress({ host: "root@server", sshArgs: ["-p", "2222"], sudo: true });
  // A local sh prefixes ssh's stderr with the host; then ssh -T, its arguments, the host, one command.
  assert.match(
    address,
    /^unixexec:path=\/bin\/sh,argv0=sh,argv1=-c,argv2=[^,]+,argv3=sh,argv4=root%40server,argv5=-,argv6=ssh,argv7=-T,argv8=-p,argv9=2222,argv10=root%40server,argv11=sudo%20-n%20sh%20-c%20/,
  );
  assert.deepEqual(address.includes(" "), false);
  assert.throws(() => remoteAddress({ host: "-oProxyCommand=x" }), TypeError);
  assert.throws(() => remoteAddress({ host: "a b" }), TypeError);
  assert.throws(() => remoteAddress({ host: "" }), TypeError);
  assert.throws(() => bridgeScript("relative/path"), TypeError);
  assert.throws(() => bridgeScript("system", "perl" as "socat"), TypeError);
});

Deno.test("the far-side socket defaults to the private one for root or sudo", () => {
  assert.deepEqual(defaultRemoteSocket({ host: "root@h" }), "private");
  assert.deepEqual(defaultRemoteSocket({ host: "h", sudo: true }), "private");
  assert.deepEqual(defaultRemoteSocket({ host: "admin@h" }), "system");
  const targets = connectTargets({ host: "root@h" }, () => undefined, 1000);
  assert.deepEqual(targets.map((t) => t.peer), [true, false]);
  assert.ok(targets[0].address.includes("ABSTRACT-CONNECT%3a/com/ubuntu/upstart"));
  assert.ok(targets[1].address.includes("system_bus_socket"));
});

for (const bridge of ["socat", "python3", "python"] as const) {
  Deno.test(`over the ${bridge} bridge, a unixexec connection reaches a real bus socket`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
    try {
      const socket = `${dir}/bus`;
      await using _bus = await daemon(dir, `unix:path=${socket}`);
      const ssh = await fakeSsh(dir);
      const address = remoteAddress({
        host: "admin@far",
        sshCommand: ssh,
        remoteSocket: socket,
        bridge,
      });
      await using connection = await Connection.open(address);
      assert.match(await getId(connection), /^[0-9a-f]{32}$/);
      assert.match(connection.uniqueName ?? "", /^:1\./);
      const args = (await Deno.readTextFile(`${ssh}.args`)).split("\n");
      assert.deepEqual(args.slice(0, 2), ["-T", "admin@far"]);
      assert.ok(args[2].startsWith("sh -c '"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("python 2.7 bridges an abstract socket (\\0 + the name, leading / included)", async (t) => {
  const probe = await new Deno.Command("sh", {
    args: ["-c", "PYENV_VERSION=2.7.18 python -c 'import sys; print(sys.version_info[0])'"],
    stderr: "null",
  }).output().catch(() => null);
  if (!probe || new TextDecoder().decode(probe.stdout).trim() !== "2") {
    t.step({ name: "python 2.7 not installed: skipped", fn: () => {}, ignore: true });
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    const name = `/com/ubuntu/upstart-test-${crypto.randomUUID().slice(0, 8)}`;
    await using _bus = await daemon(dir, `unix:abstract=${name}`);
    const ssh = await fakeSsh(dir, "env PYENV_VERSION=2.7.18");
    const address = remoteAddress({
      host: "h",
      sshCommand: ssh,
      remoteSocket: `@${name}`,
      bridge: "python",
    });
    await using connection = await Connection.open(address);
    assert.match(await getId(connection), /^[0-9a-f]{32}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the socat bridge reaches an abstract socket", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    const name = `/com/ubuntu/upstart-test-${crypto.randomUUID().slice(0, 8)}`;
    await using _bus = await daemon(dir, `unix:abstract=${name}`);
    const ssh = await fakeSsh(dir);
    const address = remoteAddress({
      host: "h",
      sshCommand: ssh,
      remoteSocket: `@${name}`,
      bridge: "socat",
    });
    await using connection = await Connection.open(address);
    assert.match(await getId(connection), /^[0-9a-f]{32}$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the bridge claims the far-side uid, so a different remote user authenticates", async (t) => {
  if (Deno.uid() !== 0) {
    t.step({ name: "needs root to switch uid: skipped", fn: () => {}, ignore: true });
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    await Deno.chmod(dir, 0o755);
    const socket = `${dir}/bus`;
    await using _bus = await daemon(dir, `unix:path=${socket}`);
    await Deno.chmod(socket, 0o777);
    const ssh = await fakeSsh(dir, "setpriv --reuid=65534 --regid=65534 --clear-groups");
    for (const bridge of ["socat", "python3"] as const) {
      const address = remoteAddress({
        host: "nobody@h",
        sshCommand: ssh,
        remoteSocket: socket,
        bridge,
      });
      await using connection = await Connection.open(address);
      const [uid] = await connection.call({
        destination: "org.freedesktop.DBus",
        path: "/org/freedesktop/DBus",
        interface: "org.freedesktop.DBus",
        member: "GetConnectionUnixUser",
        signature: "s",
        body: [connection.uniqueName],
      });
      assert.deepEqual(uid, 65534, `${bridge}: the bus sees the far-side uid`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a far side with nothing listening fails the connection with a clear error", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    const ssh = await fakeSsh(dir);
    for (const bridge of ["socat", "python3"] as const) {
      const address = remoteAddress({
        host: "h",
        sshCommand: ssh,
        remoteSocket: `${dir}/none`,
        bridge,
      });
      await assert.rejects(() => Connection.open(address));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("System.connect to a remote peer socket (like the private socket) runs the whole API", async () => {
  await using sb = await startSandbox({ jobs: { "svc": "exec sleep 1000\n" } });
  await using proxy = await peerProxy(sb.address);
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    const ssh = await fakeSsh(dir);
    await using remote = await System.connect({
      host: "root@far",
      sshCommand: ssh,
      remoteSocket: proxy.socket,
      peer: true,
    });
    assert.equal(remote.target.peer, true);
    assert.equal(remote.connection.isBus, false);
    const job = await remote.job("svc");
    const stream = remote.watch({ types: ["StateChanged"], job: "svc" });
    await stream.ready;
    const inst = await job.start({ wait: false });
    for await (const ev of stream) if (ev.type === "StateChanged" && ev.state === "running") break;
    assert.equal((await inst.waitFor("running", { timeout: 10_000 })).state, "running");
    assert.equal((await remote.statusAll())[0].instances[0].state, "running");
    await job.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("root@host tries the private socket, then the system bus, and says so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    const ssh = await fakeSsh(dir);
    // Nothing listens on the far side's private socket, and it has no system bus (or no Upstart).
    await assert.rejects(
      () => System.connect({ host: "root@far", sshCommand: ssh, bridge: "python3" }),
      (e: unknown) => {
        assert.ok(e instanceof HostUnreachableError);
        assert.ok(e instanceof UpstartNotRunningError);
        assert.deepEqual(e.tried.map((t) => t.target), [
          "the private socket over ssh",
          "the system bus over ssh",
        ]);
        // Upstart's socket is missing on the far side: the bridge said so, in one line.
        assert.equal(e.kind, "bridge");
        assert.match(
          e.message,
          /^root@far: the system bus over ssh: upstart bridge: cannot connect/,
        );
        assert.ok(!e.message.includes("%"), e.message);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a socket path with socat's special characters goes to python verbatim; a hostile one runs nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "upstart-remote-" });
  try {
    // Legitimate paths socat would misread: ",", "!", ":" and a trailing backslash.
    const socket = `${dir}/we,ird!na:me\\`;
    await using _bus = await daemon(dir, `unix:path=${escapeAddressValue(socket)}`);
    const ssh = await fakeSsh(dir);
    const address = remoteAddress({ host: "far", sshCommand: ssh, remoteSocket: socket });
    await using connection = await Connection.open(address);
    assert.match(await getId(connection), /^[0-9a-f]{32}$/);
    // A value that socat would read as a second address running a command.
    const pwned = `${dir}/pwned`;
    const hostile = `${dir}/none!!EXEC:touch ${pwned}`;
    await assert.rejects(
      Connection.open(remoteAddress({ host: "far", sshCommand: ssh, remoteSocket: hostile })),
    );
    await assert.rejects(Deno.stat(pwned), Deno.errors.NotFound);
    // Forcing socat with such a path is refused before anything runs.
    assert.throws(
      () => remoteAddress({ host: "far", sshCommand: ssh, remoteSocket: hostile, bridge: "socat" }),
      (e) => e instanceof TypeError && /cannot be given to socat safely/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
