/**
 * Helpers for the typed-API tests: a sandboxed Upstart with the given jobs and a
 * System connected to it (on its bus, or peer-to-peer through a proxy, as on
 * Upstart's private socket), and python3-dbus reading the same objects for
 * cross-checking.
 */
import { startSandbox, type TestSandbox } from "./sandbox.ts";
import type { Connection } from "../../ffi/mod.ts";
import { System } from "../../src/system.ts";

/** A sandbox and a System on it; disposing stops both. */
export interface ApiSandbox extends AsyncDisposable {
  /** The sandbox's bus address. */
  readonly address: string;
  /** The System connected to it (on the bus, or through the peer proxy with `peer`). */
  readonly system: System;
  /** The sandbox (job files, signal recorder). */
  readonly sandbox: TestSandbox;
  /** The peer proxy, with `peer`. */
  readonly proxy: PeerProxy | null;
}

/** Options of {@linkcode sandboxSystem}. */
export interface ApiSandboxOptions extends PeerProxyOptions {
  /** Connect peer-to-peer through a {@linkcode peerProxy} instead of on the bus. */
  readonly peer?: boolean;
}

/** Starts a sandbox with `jobs` and connects to it. */
export async function sandboxSystem(
  jobs: Record<string, string>,
  options: ApiSandboxOptions = {},
): Promise<ApiSandbox> {
  const sandbox = await startSandbox({ jobs });
  let proxy: PeerProxy | null = null;
  let system: System;
  try {
    if (options.peer) proxy = await peerProxy(sandbox.address, options);
    system = proxy
      ? await System.connect({ address: proxy.address, peer: true })
      : await System.connect({ address: sandbox.address, peer: false });
  } catch (e) {
    await proxy?.close();
    await sandbox.close();
    throw e;
  }
  return {
    address: sandbox.address,
    system,
    sandbox,
    proxy,
    async [Symbol.asyncDispose]() {
      await system.close();
      await proxy?.close();
      await sandbox.close();
    },
  };
}

/** Options of {@linkcode peerProxy}: make it look like an older Upstart. */
export interface PeerProxyOptions {
  /** The `version` property to report instead of the sandbox's (`init (upstart 1.5)`). */
  readonly version?: string;
  /** Methods to answer with `UnknownMethod`, and signals never to pass on, as a daemon that lacks them. */
  readonly missing?: readonly string[];
}

/** A peer-to-peer D-Bus server in front of the sandbox. */
export interface PeerProxy extends AsyncDisposable {
  /** Its address (`unix:path=...`): connect with `peer: true` (no bus daemon, no `Hello`). */
  readonly address: string;
  /** Its socket path. */
  readonly socket: string;
  /** `INTERFACE.Member` of every method call received so far, in order. */
  readonly calls: readonly string[];
  /**
   * Waits until `pred` holds for the call log (the log is read from the proxy's output, so
   * it can trail the replies a little). Throws after 10 s.
   */
  until(pred: (calls: readonly string[]) => boolean): Promise<void>;
  /**
   * Sends an `Introspect` through `connection` and waits until the proxy has logged it: every
   * call sent before it is in the log by then. (Not `Peer.Ping`: libdbus answers that itself.)
   */
  sync(connection: Connection): Promise<void>;
  /** Stops it. */
  close(): Promise<void>;
}

// Forwards each call from a peer to com.ubuntu.Upstart on the bus (reply or error back to the
// peer), and every signal of Upstart's to every peer, in the order the bus delivered them: what
// a peer sees is what Upstart's private socket would send. Logs each call as "CALL iface.member".
const PROXY = `import sys, dbus, dbus.server, dbus.lowlevel as ll
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib
DBusGMainLoop(set_as_default=True)
listen, bus_address, version = sys.argv[1], sys.argv[2], sys.argv[3]
missing = set(x for x in sys.argv[4].split(",") if x)
UP, PROPS, MANAGER = "com.ubuntu.Upstart0_6", "org.freedesktop.DBus.Properties", "/com/ubuntu/Upstart"
bus = dbus.bus.BusConnection(bus_address)
peers = []

def args_of(m):
    a = m.get_args_list()
    return a, m.get_signature()

def on_peer(conn, msg):
    if msg.get_type() != ll.MESSAGE_TYPE_METHOD_CALL:
        return ll.HANDLER_RESULT_NOT_YET_HANDLED
    iface, member, path = msg.get_interface(), msg.get_member(), msg.get_path()
    a, sig = args_of(msg)
    sys.stdout.write("CALL %s.%s\\n" % (iface, member))
    sys.stdout.flush()
    def send(back):
        if not msg.get_no_reply():
            conn.send_message(back)
    if member in missing:
        send(ll.ErrorMessage(msg, "org.freedesktop.DBus.Error.UnknownMethod",
            'Method "%s" with signature "%s" on interface "%s" doesn\\'t exist\\n' % (member, sig, iface)))
        return ll.HANDLER_RESULT_HANDLED
    if version and path == MANAGER and iface == PROPS and member == "Get" and a[1] == "version":
        back = ll.MethodReturnMessage(msg)
        back.append(dbus.String(version, variant_level=1), signature="v")
        send(back)
        return ll.HANDLER_RESULT_HANDLED
    out = ll.MethodCallMessage("com.ubuntu.Upstart", path, iface, member)
    if a:
        out.append(signature=sig, *a)
    def reply(r):
        if r.get_type() == ll.MESSAGE_TYPE_ERROR:
            text = r.get_args_list()
            back = ll.ErrorMessage(msg, r.get_error_name(), text[0] if text else "")
        else:
            back = ll.MethodReturnMessage(msg)
            ra, rsig = args_of(r)
            if version and path == MANAGER and member == "GetAll" and "version" in ra[0]:
                ra[0]["version"] = dbus.String(version, variant_level=1)
            if ra:
                back.append(signature=rsig, *ra)
        send(back)
    bus.send_message_with_reply(out, reply, 600, True)
    return ll.HANDLER_RESULT_HANDLED

def on_bus(b, msg):
    # A release that lacks a signal (0.6.5: no StateChanged, GoalChanged, Failed) never sends it.
    if msg.get_type() == ll.MESSAGE_TYPE_SIGNAL and msg.get_member() in missing:
        return ll.HANDLER_RESULT_NOT_YET_HANDLED
    if msg.get_type() == ll.MESSAGE_TYPE_SIGNAL and (msg.get_path() or "").startswith(MANAGER):
        a, sig = args_of(msg)
        s = ll.SignalMessage(msg.get_path(), msg.get_interface(), msg.get_member())
        if a:
            s.append(signature=sig, *a)
        for p in peers:
            if p not in gone:
                p.send_message(s)
    return ll.HANDLER_RESULT_NOT_YET_HANDLED

# A closed peer's Connection stays referenced: when dbus-python frees it, the next connection the
# server accepts finds no Python object for itself and fails.
gone = set()

def on_connection(conn):
    peers.append(conn)
    conn.add_message_filter(on_peer)
    conn.call_on_disconnection(gone.add)

bus.add_match_string("type='signal',sender='com.ubuntu.Upstart'")
bus.add_message_filter(on_bus)
server = dbus.server.Server(listen)
server.on_connection_added.append(on_connection)
sys.stdout.write("READY\\n")
sys.stdout.flush()
GLib.MainLoop().run()
`;

/**
 * Starts a peer-to-peer server that stands for Upstart's private socket (or a
 * user session's `$UPSTART_SESSION`): python3-dbus forwarding to the sandbox.
 */
export async function peerProxy(
  busAddress: string,
  options: PeerProxyOptions = {},
): Promise<PeerProxy> {
  const dir = await Deno.makeTempDir({ prefix: "upstart-peer-" });
  const socket = `${dir}/upstart`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: [
      "-c",
      PROXY,
      `unix:path=${socket}`,
      busAddress,
      options.version ?? "",
      (options.missing ?? []).join(","),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const calls: string[] = [];
  const waiters = new Set<() => void>();
  let ready!: () => void;
  const started = new Promise<void>((r) => ready = r);
  const reading = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === "READY") ready();
        else if (line.startsWith("CALL ")) calls.push(line.slice(5));
      }
      for (const w of [...waiters]) w();
    }
  })();
  const exited = child.status.then(() => {
    throw new Error("the peer proxy exited before listening");
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await reading.catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await Promise.race([started, exited]);
  } catch (e) {
    await close();
    throw e;
  }
  exited.catch(() => {});
  const until = (pred: (calls: readonly string[]) => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pred(calls)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`The proxy's call log never matched: ${calls.join(", ")}`));
      }, 10_000);
      waiters.add(check);
      check();
    });
  let pings = 0;
  const sync = async (connection: Connection) => {
    const want = ++pings;
    await connection.call({
      path: "/com/ubuntu/Upstart",
      interface: "org.freedesktop.DBus.Introspectable",
      member: "Introspect",
    }).catch(() => {}); // answered or not, the proxy has logged it
    await until((c) =>
      c.filter((x) => x === "org.freedesktop.DBus.Introspectable.Introspect").length >= want
    );
  };
  return {
    address: `unix:path=${socket}`,
    socket,
    calls,
    until,
    sync,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Runs a python3-dbus snippet against the bus at `address`; `bus` and `up` are bound; prints JSON. */
export async function python(address: string, code: string): Promise<unknown> {
  const script = `import json, sys, dbus
bus = dbus.bus.BusConnection(sys.argv[1])
up = bus.get_object("com.ubuntu.Upstart", "/com/ubuntu/Upstart")
def plain(v):
    if isinstance(v, (list, tuple, dbus.Array, dbus.Struct)):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return dict((str(k), plain(x)) for k, x in v.items())
    if isinstance(v, (dbus.Boolean,)):
        return bool(v)
    if isinstance(v, (int, dbus.Int32, dbus.UInt32, dbus.Int64, dbus.Byte)):
        return int(v)
    return str(v)
${code}
`;
  const out = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, address],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`python3 failed: ${new TextDecoder().decode(out.stderr)}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** A sandbox on a private bus whose policy is a non-root user's view of a real system bus. */
export interface PolicySandbox extends AsyncDisposable {
  /** The bus address. */
  readonly address: string;
}

/**
 * Starts a dbus-daemon that applies Upstart's own `dbus/Upstart.conf` rules
 * for everyone but root (everything sent to Upstart denied, except reading
 * properties and looking jobs and instances up), and a sandbox on it. The
 * tests run as one user, so leaving out Upstart.conf's root section gives what
 * a non-root user meets on a real system bus.
 */
export async function policySandbox(jobs: Record<string, string>): Promise<PolicySandbox> {
  const { Sandbox } = await import("../../src/sandbox/mod.ts");
  const dir = await Deno.makeTempDir({ prefix: "upstart-policy-" });
  const jobDir = `${dir}/jobs`;
  await Deno.mkdir(jobDir);
  for (const [name, text] of Object.entries(jobs)) {
    await Deno.writeTextFile(`${jobDir}/${name}.conf`, text);
  }
  const allow = (iface: string, member: string) =>
    `<allow send_destination="com.ubuntu.Upstart" send_interface="${iface}" send_type="method_call" send_member="${member}"/>`;
  await Deno.writeTextFile(
    `${dir}/bus.conf`,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
    <deny send_destination="com.ubuntu.Upstart"/>
    <allow send_destination="com.ubuntu.Upstart" send_interface="org.freedesktop.DBus.Introspectable"/>
    ${allow("org.freedesktop.DBus.Properties", "Get")}
    ${allow("org.freedesktop.DBus.Properties", "GetAll")}
    ${allow("com.ubuntu.Upstart0_6", "GetJobByName")}
    ${allow("com.ubuntu.Upstart0_6", "GetAllJobs")}
    ${allow("com.ubuntu.Upstart0_6.Job", "GetInstance")}
    ${allow("com.ubuntu.Upstart0_6.Job", "GetInstanceByName")}
    ${allow("com.ubuntu.Upstart0_6.Job", "GetAllInstances")}
  </policy>
</busconfig>
`,
  );
  const address = `unix:path=${dir}/bus`;
  const daemon = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${dir}/bus.conf`, "--nofork", "--print-address=1"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = daemon.stdout.getReader();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    printed += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  daemon.stdout.cancel().catch(() => {});
  const stop = async () => {
    try {
      daemon.kill("SIGTERM");
    } catch { /* already gone */ }
    await daemon.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  let sandbox;
  try {
    if (!printed) throw new Error("dbus-daemon exited before listening");
    sandbox = await Sandbox.start({ jobDir, address, logDir: `${dir}/log`, watch: false });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    address,
    async [Symbol.asyncDispose]() {
      await sandbox.close();
      await stop();
    },
  };
}
