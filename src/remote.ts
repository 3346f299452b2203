/**
 * Reaching the Upstart of another machine over ssh: a libdbus `unixexec:`
 * address that runs `ssh HOST sh -c '...'`, where the far side bridges
 * stdin/stdout to Upstart's private socket (as root) or to the system bus
 * socket, with tools old hosts already have: `socat` when installed, else a
 * few lines of `python3` or `python` (2.6 and later).
 *
 * The bridge also rewrites the client's first authentication line
 * (`AUTH EXTERNAL <hex uid>`) to claim the far-side uid: libdbus claims the
 * local uid, which the far side would reject whenever the two differ (local
 * user 1000 logging in as root). libdbus's client sends nothing else until it
 * gets the reply, so reading one line never swallows later bytes. When the two
 * uids are the same, the bridge takes ssh's channel as it is.
 *
 * @module
 */

import { processUid } from "../ffi/mod.ts";
import { sshControlDirectory } from "./ssh_control.ts";

/** Where the far side connects to. */
export type RemoteSocket = "private" | "system" | (string & Record<never, never>);

/** Which program bridges on the far side. */
export type RemoteBridge = "auto" | "socat" | "python3" | "python";

/**
 * Every {@linkcode RemoteBridge}, for checking a value given as text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { REMOTE_BRIDGES } from "./remote.ts";
 * assert.ok(REMOTE_BRIDGES.includes("socat"));
 * ```
 */
export const REMOTE_BRIDGES: readonly RemoteBridge[] = ["auto", "socat", "python3", "python"];

/** How to reach a remote host. */
export interface RemoteOptions {
  /** `host` or `user@host`, as ssh takes it. */
  readonly host: string;
  /** How messages name the host (an inventory's name for it; default `host`). */
  readonly label?: string;
  /** The ssh program (default `ssh`; searched in `PATH`). */
  readonly sshCommand?: string;
  /** Extra ssh arguments, before the host (`["-p", "2222", "-i", key]`). */
  readonly sshArgs?: readonly string[];
  /** Run the bridge through `sudo -n` on the far side (to reach the private socket as root). */
  readonly sudo?: boolean;
  /**
   * The far-side socket: `"private"` (Upstart's `/com/ubuntu/upstart`, needs root),
   * `"system"` (the system bus), an absolute path, or `@name` for an abstract socket.
   */
  readonly remoteSocket?: RemoteSocket;
  /** Force the far-side bridge (default `"auto"`: socat, else python3, else python). */
  readonly bridge?: RemoteBridge;
  /**
   * Reuse one ssh connection per host (`ControlMaster=auto`): the first connection becomes a
   * master that stays up `controlPersist` seconds after its last use, and later ones to the same
   * host skip the handshake. The control sockets live in a private directory (see
   * {@linkcode sshControlDirectory}).
   */
  readonly reuse?: boolean;
  /** With `reuse`: seconds an idle master stays up (default 60). */
  readonly controlPersist?: number;
  /**
   * The uid libdbus claims when it authenticates (default: this process's): when the far side
   * runs as the same uid, the bridge needs no rewriting of the claim. `null`: always rewrite.
   */
  readonly localUid?: number | null;
}

/**
 * The private socket's abstract name (`unix:abstract=/com/ubuntu/upstart`), as a remote socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRIVATE_SOCKET } from "./remote.ts";
 * assert.equal(PRIVATE_SOCKET, "@/com/ubuntu/upstart"); // "@": an abstract socket
 * ```
 */
export const PRIVATE_SOCKET = "@/com/ubuntu/upstart";
/**
 * The system bus socket on every Upstart-era distribution.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SYSTEM_BUS_SOCKET } from "./remote.ts";
 * assert.equal(SYSTEM_BUS_SOCKET, "/var/run/dbus/system_bus_socket");
 * ```
 */
export const SYSTEM_BUS_SOCKET = "/var/run/dbus/system_bus_socket";

/**
 * Percent-escapes a value for a D-Bus address, as the D-Bus specification
 * says: every byte of the UTF-8 form except `[-0-9A-Za-z_/.\*]` becomes `%XX`.
 *
 * @param value The value.
 * @returns The escaped value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeAddressValue } from "./remote.ts";
 * assert.equal(escapeAddressValue("a b,c"), "a%20b%2cc");
 * assert.equal(escapeAddressValue("/bin/sh"), "/bin/sh");
 * ```
 */
export function escapeAddressValue(value: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out += /[-0-9A-Za-z_/.\\*]/.test(c) ? c : "%" + byte.toString(16).padStart(2, "0");
  }
  return out;
}

/**
 * Quotes a string for a POSIX shell (single quotes; `'` as `'\''`).
 *
 * @param value The string.
 * @returns The quoted word.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./remote.ts";
 * assert.equal(shellQuote("it's"), "'it'\\''s'");
 * assert.equal(shellQuote("$HOME"), "'$HOME'");
 * ```
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function socketPath(socket: RemoteSocket): string {
  if (socket === "private") return PRIVATE_SOCKET;
  if (socket === "system") return SYSTEM_BUS_SOCKET;
  if (typeof socket !== "string" || !(socket.startsWith("/") || socket.startsWith("@"))) {
    throw new TypeError(
      `Invalid remote socket ${
        JSON.stringify(socket)
      }: expected "private", "system", an absolute path or @abstract-name`,
    );
  }
  if (socket.length < 2 || /[\0\n]/.test(socket)) {
    throw new TypeError(`Invalid remote socket ${JSON.stringify(socket)}`);
  }
  return socket;
}

// The python bridge: argv[1] is the socket ("@name" for an abstract one). Written for
// python 2.6+ and 3: no f-strings, bytes only through os.read/os.write and the socket.
const PYTHON_BRIDGE = `import os, select, socket, sys
p = sys.argv[1]
if p[0] == "@":
    p = "\\0" + p[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(p)
except Exception:
    sys.stderr.write("upstart bridge: cannot connect to %s: %s\\n" % (sys.argv[1], sys.exc_info()[1]))
    sys.exit(1)
i = sys.stdin.fileno()
o = sys.stdout.fileno()
r = [i, s]
while True:
    for f in select.select(r, [], [])[0]:
        if f is s:
            d = s.recv(65536)
            if not d:
                sys.exit(0)
            while d:
                d = d[os.write(o, d):]
        else:
            d = os.read(i, 65536)
            if d:
                s.sendall(d)
            else:
                s.shutdown(socket.SHUT_WR)
                r.remove(i)
`;

/**
 * The far-side shell script: pick a bridge, rewrite the first auth line to
 * the far-side uid, and connect stdin/stdout to the socket.
 *
 * @param socket The far-side socket (see {@linkcode RemoteOptions.remoteSocket}).
 * @param bridge Which bridge to use (default `"auto"`).
 * @returns A script for `sh -c`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bridgeScript } from "./remote.ts";
 * const script = bridgeScript("system"); // socat, else python3, else python
 * assert.match(script, /^if command -v socat .* 'UNIX-CONNECT:\/var\/run\/dbus\/system_bus_socket'/m);
 * assert.match(script, /^if command -v python3 /m);
 * ```
 */
export function bridgeScript(
  socket: RemoteSocket = "system",
  bridge: RemoteBridge = "auto",
  localUid: number | null = null,
): string {
  const path = socketPath(socket);
  if (!REMOTE_BRIDGES.includes(bridge)) {
    throw new TypeError(
      `Invalid bridge ${JSON.stringify(bridge)}: expected "auto", "socat", "python3" or "python"`,
    );
  }
  const socat = path.startsWith("@") ? `ABSTRACT-CONNECT:${path.slice(1)}` : `UNIX-CONNECT:${path}`;
  // socat reads its address with a grammar of its own (`,` options, `:` parameters, `!!` two
  // addresses, `\` and quotes, differing between releases): a path outside the plainest
  // characters never goes to it, so it can neither fail nor run something else. Python's bridge
  // takes the path as one argument, verbatim.
  const socatSafe = /^@?[A-Za-z0-9/._+-]*$/.test(path);
  if (bridge === "socat" && !socatSafe) {
    throw new TypeError(
      `The socket ${JSON.stringify(path)} cannot be given to socat safely (its address syntax ` +
        'treats ",", ":", "!", "\\" and quotes specially): use the python3 or python bridge',
    );
  }
  const candidates = bridge === "auto"
    ? (socatSafe ? ["socat", "python3", "python"] : ["python3", "python"])
    : [bridge];
  const bridgeCommand = (c: string) =>
    c === "socat"
      ? `socat - ${shellQuote(socat)}`
      : `${c} -c ${shellQuote(PYTHON_BRIDGE)} ${shellQuote(path)}`;
  const lines = ["n=$(id -u)"];
  if (localUid !== null) {
    if (!Number.isInteger(localUid) || localUid < 0) {
      throw new RangeError(`Invalid local uid ${localUid}`);
    }
    // The same uid on both sides: libdbus's claim holds as it is, so the bridge takes the
    // channel itself (no rewriter, no fifo: four processes fewer per connection).
    lines.push(`if [ "$n" = ${localUid} ]; then`);
    for (const c of candidates) {
      lines.push(`  if command -v ${c} >/dev/null 2>&1; then exec ${bridgeCommand(c)}; fi`);
    }
    lines.push("fi");
  }
  lines.push(
    // The uid as libdbus's EXTERNAL mechanism spells it: the decimal digits, hex-encoded (the
    // digit d is the byte 0x3d), in the shell itself: a process fewer per digit tool.
    `u=; while [ -n "$n" ]; do r=\${n#?}; u=\${u}3\${n%"$r"}; n=$r; done`,
    // The rewriter feeds the bridge through a fifo and is killed when the bridge ends, so that
    // nothing keeps the client's socket open once the far side has gone (the client sees EOF).
    `d=$(mktemp -d 2>/dev/null) || { d=/tmp/upstart-bridge.$$; mkdir -m 700 "$d"; } || exit 1`,
    // Removed however the script ends (a hangup when ssh goes, a failed mkfifo).
    `c=; trap '[ -z "$c" ] || kill $c 2>/dev/null; rm -rf "$d"' EXIT; trap 'exit 129' HUP; ` +
      `trap 'exit 143' TERM`,
    `mkfifo "$d/in" || exit 1`,
    "exec 3<&0",
    // \`read\` takes the line byte by byte, so nothing after it is swallowed.
    `{ IFS= read -r l; printf '\\000AUTH EXTERNAL %s\\r\\n' "$u"; exec cat; } <&3 >"$d/in" &`,
    "c=$!",
    `run() { "$@" <"$d/in"; exit $?; }`,
  );
  for (const c of candidates) {
    lines.push(`if command -v ${c} >/dev/null 2>&1; then run ${bridgeCommand(c)}; fi`);
  }
  lines.push(
    `echo "upstart bridge: none of ${candidates.join(", ")} found on $(uname -n)" >&2`,
    "exit 127",
  );
  return lines.join("\n");
}

/**
 * Refuses a host ssh would misread: empty, holding white space or NUL, or starting with `-`
 * (ssh would take it as an option: `-oProxyCommand=...` runs a command here).
 *
 * @param host The host, as given.
 * @throws {TypeError} naming it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSshHost } from "./remote.ts";
 * assertSshHost("root@db1");
 * assert.throws(() => assertSshHost("-oProxyCommand=sh"), TypeError);
 * ```
 */
export function assertSshHost(host: string): void {
  if (typeof host !== "string" || host === "" || host.startsWith("-") || /[\s\0]/.test(host)) {
    throw new TypeError(
      `Invalid host ${
        JSON.stringify(host)
      }: expected "host" or "user@host" (no spaces, no leading -)`,
    );
  }
}

/**
 * The libdbus `unixexec:` address that reaches a remote Upstart through ssh.
 *
 * @param options The host, ssh command and arguments, `sudo`, the far-side socket and bridge.
 * @param capture A path prefix for the wrapper's records (see {@linkcode RemoteOptions}): its
 *   standard error while the file `capture` exists, and `capture.pid`, `.ssh`, `.exit`; empty
 *   (the default) for none, every stderr line then going to ours with the host before it.
 * @returns The address, for `Connection.open`.
 * @throws {TypeError} for a host that is empty, starts with `-` or holds whitespace.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { remoteAddress } from "./remote.ts";
 * const address = remoteAddress({ host: "root@server", remoteSocket: "private" });
 * assert.match(address, /^unixexec:path=\/bin\/sh,argv0=sh,argv1=-c,/);
 * ```
 */
export function remoteAddress(options: RemoteOptions, capture = ""): string {
  const { host, sshCommand = "ssh", sshArgs = [], sudo = false } = options;
  assertSshHost(host);
  if (typeof sshCommand !== "string" || sshCommand === "" || sshCommand.includes("\0")) {
    throw new TypeError(`Invalid ssh command ${JSON.stringify(sshCommand)}`);
  }
  if (!Array.isArray(sshArgs) || sshArgs.some((a) => typeof a !== "string" || a.includes("\0"))) {
    throw new TypeError("Invalid ssh arguments: expected an array of strings without NUL");
  }
  const script = bridgeScript(
    options.remoteSocket ?? "system",
    options.bridge ?? "auto",
    options.localUid === undefined ? processUid() : options.localUid,
  );
  const command = `${sudo ? "sudo -n " : ""}sh -c ${shellQuote(script)}`;
  // ssh runs under a local sh that sorts its standard error (see SSH_WRAPPER).
  const argv = [
    "sh",
    "-c",
    SSH_WRAPPER,
    "sh",
    options.label || host,
    capture || "-",
    sshCommand,
    "-T",
    ...reuseArgs(options),
    ...sshArgs,
    host,
    command,
  ];
  return `unixexec:path=/bin/sh,` +
    argv.map((a, i) => `argv${i}=${escapeAddressValue(a)}`).join(",");
}

/**
 * `sh -c` script run by libdbus (`$1` the host, `$2` a capture path or `-` (libdbus refuses an
 * empty argument), then ssh's argv):
 * runs ssh in the background with stdin and stdout left as they are (the D-Bus socket) and
 * sorts its standard error (ssh's own, and the far-side bridge's) line by line: into the
 * capture file until `CAPTURE.done` appears (the connection is being set up: the lines explain
 * a failure), then onto our stderr prefixed with `$1: `, so a fleet's messages say where they
 * come from. With a capture path it also records its own pid (`.pid`: libdbus never waits for
 * it), ssh's (`.ssh`: to stop a hung one) and ssh's exit status (`.exit`: 255 is ssh's own
 * failure). The files are removed once the wrapper has exited and been collected.
 */
const SSH_WRAPPER = `h=$1; f=$2; shift 2; [ "$f" != - ] || f=
[ -z "$f" ] || echo $$ >"$f.pid"
exec 4<&0
{ { "$@" <&4 4<&- 2>&1 >&3 3>&- &
    [ -z "$f" ] || echo $! >"$f.ssh"
    wait $!; s=$?
    [ -z "$f" ] || echo $s >"$f.exit"
  } 2>/dev/null | while IFS= read -r l || [ -n "$l" ]; do
    if [ -n "$f" ] && [ ! -e "$f.done" ]; then printf '%s\\n' "$l" >>"$f"
    else printf '%s: %s\\n' "$h" "$l" >&2; fi
  done
} 3>&1`;

/**
 * The far-side socket to use when none is given: Upstart's private socket
 * for `root@host` or with `sudo`, else the system bus.
 *
 * @param options The remote options.
 * @returns `"private"` or `"system"`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultRemoteSocket } from "./remote.ts";
 * assert.equal(defaultRemoteSocket({ host: "root@h" }), "private");
 * assert.equal(defaultRemoteSocket({ host: "h" }), "system");
 * ```
 */
export function defaultRemoteSocket(options: RemoteOptions): "private" | "system" {
  return options.sudo || options.host.startsWith("root@") ? "private" : "system";
}

/**
 * The ssh options that make connections to a host share one master (`reuse`): for every ssh
 * run to a host (D-Bus, files), so they all share it.
 *
 * @param options The remote options (`reuse`, `controlPersist`).
 * @returns The `-o` arguments, none without `reuse`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reuseArgs } from "./remote.ts";
 * assert.deepEqual(reuseArgs({ host: "h" }), []);
 * assert.deepEqual(reuseArgs({ host: "h", reuse: true }).slice(0, 4), [
 *   "-o",
 *   "ControlMaster=auto",
 *   "-o",
 *   "ControlPersist=60",
 * ]);
 * ```
 */
export function reuseArgs(options: RemoteOptions): string[] {
  if (!options.reuse) return [];
  const persist = options.controlPersist ?? 60;
  if (!Number.isInteger(persist) || persist < 1) {
    throw new RangeError(`Invalid controlPersist ${persist}: expected whole seconds (1 or more)`);
  }
  return [
    "-o",
    "ControlMaster=auto",
    "-o",
    `ControlPersist=${persist}`,
    "-o",
    // %C: a hash of the local host, remote host, port and user, short enough for a socket path.
    `ControlPath=${sshControlDirectory()}/%C`,
  ];
}
