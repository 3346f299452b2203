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
 * gets the reply, so reading one line never swallows later bytes.
 *
 * @module
 */

/** Where the far side connects to. */
export type RemoteSocket = "private" | "system" | (string & Record<never, never>);

/** Which program bridges on the far side. */
export type RemoteBridge = "auto" | "socat" | "python3" | "python";

/** How to reach a remote host. */
export interface RemoteOptions {
  /** `host` or `user@host`, as ssh takes it. */
  readonly host: string;
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
}

/**
 * The private socket's abstract name (`unix:abstract=/com/ubuntu/upstart`), as a remote socket.
 *
 * @example
 * ```ts
 * import { PRIVATE_SOCKET } from "./remote.ts";
 * console.assert(PRIVATE_SOCKET.startsWith("@"));
 * ```
 */
export const PRIVATE_SOCKET = "@/com/ubuntu/upstart";
/**
 * The system bus socket on every Upstart-era distribution.
 *
 * @example
 * ```ts
 * import { SYSTEM_BUS_SOCKET } from "./remote.ts";
 * console.assert(SYSTEM_BUS_SOCKET.endsWith("system_bus_socket"));
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
 * import { escapeAddressValue } from "./remote.ts";
 * console.assert(escapeAddressValue("a b,c") === "a%20b%2cc");
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
 * import { shellQuote } from "./remote.ts";
 * console.assert(shellQuote("it's") === "'it'\\''s'");
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
 * import { bridgeScript } from "./remote.ts";
 * console.assert(bridgeScript("system").includes("socat"));
 * ```
 */
export function bridgeScript(
  socket: RemoteSocket = "system",
  bridge: RemoteBridge = "auto",
): string {
  const path = socketPath(socket);
  if (!["auto", "socat", "python3", "python"].includes(bridge)) {
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
  const lines = [
    // The uid as libdbus's EXTERNAL mechanism spells it: the decimal digits, hex-encoded.
    `u=$(printf %s "$(id -u)" | od -An -tx1 | tr -d ' \\n')`,
    // The rewriter feeds the bridge through a fifo and is killed when the bridge ends, so that
    // nothing keeps the client's socket open once the far side has gone (the client sees EOF).
    `d=$(mktemp -d 2>/dev/null) || { d=/tmp/upstart-bridge.$$; mkdir -m 700 "$d"; } || exit 1`,
    `mkfifo "$d/in" || exit 1`,
    "exec 3<&0",
    `{ head -n 1 >/dev/null; printf '\\000AUTH EXTERNAL %s\\r\\n' "$u"; exec cat; } <&3 >"$d/in" &`,
    "c=$!",
    `run() { "$@" <"$d/in"; s=$?; kill $c 2>/dev/null; rm -rf "$d"; exit $s; }`,
  ];
  for (const c of candidates) {
    const run = c === "socat"
      ? `run socat - ${shellQuote(socat)}`
      : `run ${c} -c ${shellQuote(PYTHON_BRIDGE)} ${shellQuote(path)}`;
    lines.push(`if command -v ${c} >/dev/null 2>&1; then ${run}; fi`);
  }
  lines.push(
    `kill $c 2>/dev/null; rm -rf "$d"`,
    `echo "upstart bridge: none of ${candidates.join(", ")} found on $(uname -n)" >&2`,
    "exit 127",
  );
  return lines.join("\n");
}

/**
 * The libdbus `unixexec:` address that reaches a remote Upstart through ssh.
 *
 * @param options The host, ssh command and arguments, `sudo`, the far-side socket and bridge.
 * @returns The address, for `Connection.open`.
 * @throws {TypeError} for a host that is empty, starts with `-` or holds whitespace.
 * @example
 * ```ts
 * import { remoteAddress } from "./remote.ts";
 * const address = remoteAddress({ host: "root@server", remoteSocket: "private" });
 * console.assert(address.startsWith("unixexec:path=/bin/sh,argv0=sh,argv1=-c,"));
 * ```
 */
export function remoteAddress(options: RemoteOptions): string {
  const { host, sshCommand = "ssh", sshArgs = [], sudo = false } = options;
  if (typeof host !== "string" || host === "" || host.startsWith("-") || /[\s\0]/.test(host)) {
    throw new TypeError(
      `Invalid host ${
        JSON.stringify(host)
      }: expected "host" or "user@host" (no spaces, no leading -)`,
    );
  }
  if (typeof sshCommand !== "string" || sshCommand === "" || sshCommand.includes("\0")) {
    throw new TypeError(`Invalid ssh command ${JSON.stringify(sshCommand)}`);
  }
  if (!Array.isArray(sshArgs) || sshArgs.some((a) => typeof a !== "string" || a.includes("\0"))) {
    throw new TypeError("Invalid ssh arguments: expected an array of strings without NUL");
  }
  const script = bridgeScript(options.remoteSocket ?? "system", options.bridge ?? "auto");
  const command = `${sudo ? "sudo -n " : ""}sh -c ${shellQuote(script)}`;
  // ssh runs under a local sh that prefixes every line of its standard error (ssh's own, and
  // the far-side bridge's) with the host, so a fleet's messages say where they come from.
  const argv = ["sh", "-c", PREFIX_STDERR, "sh", host, sshCommand, "-T", ...sshArgs, host, command];
  return `unixexec:path=/bin/sh,` +
    argv.map((a, i) => `argv${i}=${escapeAddressValue(a)}`).join(",");
}

/**
 * `sh -c` script: runs `"$@"` with stdin and stdout left as they are (the D-Bus socket) and its
 * stderr's lines prefixed with `$1: `.
 */
const PREFIX_STDERR = 'h=$1; shift; { "$@" 2>&1 >&3 3>&- | ' +
  `while IFS= read -r l; do printf '%s: %s\n' "$h" "$l"; done >&2; } 3>&1`;

/**
 * The far-side socket to use when none is given: Upstart's private socket
 * for `root@host` or with `sudo`, else the system bus.
 *
 * @param options The remote options.
 * @returns `"private"` or `"system"`.
 * @example
 * ```ts
 * import { defaultRemoteSocket } from "./remote.ts";
 * console.assert(defaultRemoteSocket({ host: "root@h" }) === "private");
 * ```
 */
export function defaultRemoteSocket(options: RemoteOptions): "private" | "system" {
  return options.sudo || options.host.startsWith("root@") ? "private" : "system";
}
