/**
 * A private OpenSSH server for the remote tests and the fleet benchmark: the real far side of
 * `--host`, on 127.0.0.1 and a free port, with everything (config, keys, log, pid file, known
 * hosts) in a fresh temp dir removed on dispose. A client config (`ssh -F FILE`) names it as
 * many host aliases (`h1`..`hN`), so a "fleet" is one sshd reached under many names.
 *
 * sshd insists on its privilege-separation directory `/run/sshd`: when it is missing it is
 * created (we run as root), and when that is not allowed sshd runs in a private mount namespace
 * (`unshare -m`) with a tmpfs on `/run` that holds one. Tests skip, saying why, only when
 * sshd cannot run at all ({@linkcode sshdSkipReason}).
 *
 * @module
 */

/** Options of {@linkcode startSshd}. */
export interface SshdOptions {
  /** How many `h1`..`hN` aliases the client config names (default 64). */
  readonly hosts?: number;
  /**
   * Run sshd in a private mount namespace with a tmpfs `/run/sshd` even when `/run/sshd` exists
   * or could be created (default: only when it is missing and cannot be created).
   */
  readonly mountNamespace?: boolean;
  /** More `sshd_config` lines (`"MaxSessions 50"`), after ours. */
  readonly serverConfig?: readonly string[];
}

/** A running sshd and the client side that reaches it. */
export interface TestSshd extends AsyncDisposable {
  /** The temp dir holding everything. */
  readonly dir: string;
  /** The port sshd listens on, on 127.0.0.1. */
  readonly port: number;
  /** The client config, for `ssh -F`. */
  readonly configPath: string;
  /** The client's private key (in `authorized_keys`). */
  readonly clientKey: string;
  /** The alias whose key sshd refuses (a key pair of its own, not in `authorized_keys`). */
  readonly refusedKeyHost: string;
  /** `["-F", configPath]`: the `sshArgs` of the API. */
  readonly sshArgs: readonly string[];
  /** The same for the CLI: `["--ssh-arg=-F", "--ssh-arg=" + configPath]`. */
  readonly cliArgs: readonly string[];
  /** sshd's log (`-E`, `LogLevel VERBOSE`). */
  readonly logPath: string;
  /** Whether sshd runs in a private mount namespace (see the module doc). */
  readonly namespaced: boolean;
  /** The first `n` aliases, `h1`..`hn` (throws past the number configured). */
  aliases(n: number): string[];
  /** How many connections sshd has accepted so far ("Accepted publickey" in its log). */
  acceptedConnections(): Promise<number>;
  /** sshd's log so far. */
  log(): Promise<string>;
  /** Stops sshd (and every session it still serves) and removes the temp dir. */
  close(): Promise<void>;
}

/** Where sshd is: `/usr/sbin/sshd`, else `sshd` on `PATH` (it must be run by absolute path). */
function findSshd(): string | null {
  const dirs = ["/usr/sbin", "/usr/local/sbin", ...(Deno.env.get("PATH") ?? "").split(":")];
  for (const dir of dirs) {
    if (!dir.startsWith("/")) continue;
    try {
      if (Deno.statSync(`${dir}/sshd`).isFile) return `${dir}/sshd`;
    } catch { /* next */ }
  }
  return null;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * A port on 127.0.0.1 that nothing listens on right now (the kernel's pick, released at once).
 *
 * @returns The port.
 * @example
 * ```ts no-eval
 * import { freePort } from "./sshd.ts";
 * const closed = freePort(); // for "ssh -p closed h1": Connection refused
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * The socket path of a `unix:path=...` D-Bus address (the sandbox's bus), for `remoteSocket`.
 *
 * @param address The address.
 * @returns The path.
 * @example
 * ```ts
 * import { busSocketPath } from "./sshd.ts";
 * console.assert(busSocketPath("unix:path=/tmp/x/bus,guid=00") === "/tmp/x/bus");
 * ```
 */
export function busSocketPath(address: string): string {
  const m = /^unix:path=([^,;]+)/.exec(address);
  if (!m) throw new TypeError(`not a unix:path= address: ${address}`);
  return decodeURIComponent(m[1]);
}

/** Whether `/run/sshd` exists or could be made (root on a writable /run). */
async function privsepDirReady(): Promise<boolean> {
  try {
    await Deno.mkdir("/run/sshd", { mode: 0o755 });
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return true;
    return false;
  }
}

/** Pids of every descendant of `pid` (from /proc: the per-connection sshd processes, their sessions). */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      parent.set(Number(entry.name), ppid);
    } catch { /* gone meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function serverConfig(dir: string, port: number, extra: readonly string[]): string {
  return [
    "ListenAddress 127.0.0.1",
    `Port ${port}`,
    `HostKey ${dir}/host_ed25519`,
    `PidFile ${dir}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    // The temp dir's modes are not sshd's business: it checks them only for a real home.
    "StrictModes no",
    "UsePAM no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "UseDNS no",
    "PrintMotd no",
    "PrintLastLog no",
    "X11Forwarding no",
    // VERBOSE logs "Accepted publickey", which acceptedConnections() counts.
    "LogLevel VERBOSE",
    // A fleet connects all at once: the default 10:30:100 drops unauthenticated connections
    // at random past 10, and 10 sessions per connection is too few for multiplexing.
    "MaxStartups 500",
    "MaxSessions 100",
    ...extra,
    "",
  ].join("\n");
}

function clientConfig(
  dir: string,
  port: number,
  hosts: number,
  refused: string,
): string {
  const names = Array.from({ length: hosts }, (_, i) => `h${i + 1}`);
  return [
    `Host ${names.join(" ")}`,
    "  HostName 127.0.0.1",
    `  Port ${port}`,
    `  IdentityFile ${dir}/client_ed25519`,
    `Host ${refused}`,
    "  HostName 127.0.0.1",
    `  Port ${port}`,
    `  IdentityFile ${dir}/refused_ed25519`,
    // For every host, the aliases and any other name a test gives (no-such-host.invalid).
    "Host *",
    "  IdentitiesOnly yes",
    "  StrictHostKeyChecking no",
    `  UserKnownHostsFile ${dir}/known_hosts`,
    "  LogLevel ERROR",
    "  BatchMode yes",
    "  ConnectTimeout 10",
    "",
  ].join("\n");
}

/** Waits until sshd's log says it listens, or it exits; returns the reason when it did not start. */
async function waitListening(
  logPath: string,
  child: Deno.ChildProcess,
): Promise<string | null> {
  let exited = false;
  child.status.then(() => exited = true);
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    const log = await Deno.readTextFile(logPath).catch(() => "");
    if (/Server listening on /.test(log)) return null;
    if (exited) return log.trim() || `sshd exited with ${(await child.status).code}`;
    await new Promise((r) => setTimeout(r, 20));
  }
  return "sshd did not report listening within 15 s";
}

/**
 * Starts a private sshd (see the module doc).
 *
 * @param options How many aliases, whether to force the mount namespace, more server config.
 * @returns The running server; dispose it (`await using`) to stop it and remove its files.
 * @throws {Error} when sshd cannot be found or does not start (its log's text).
 * @example
 * ```ts no-eval
 * import { startSshd } from "./sshd.ts";
 * await using sshd = await startSshd({ hosts: 3 });
 * // ssh -F sshd.configPath h1 true
 * ```
 */
export async function startSshd(options: SshdOptions = {}): Promise<TestSshd> {
  const sshd = findSshd();
  if (!sshd) throw new Error("sshd not found (install openssh-server)");
  const hosts = options.hosts ?? 64;
  if (!Number.isInteger(hosts) || hosts < 1) throw new RangeError(`invalid hosts: ${hosts}`);
  const dir = await Deno.makeTempDir({ prefix: "upstart-sshd-" });
  const refusedKeyHost = "refused-key";
  try {
    await Promise.all(
      ["host", "client", "refused"].map((k) =>
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", k, "-f", `${dir}/${k}_ed25519`])
      ),
    );
    await Deno.copyFile(`${dir}/client_ed25519.pub`, `${dir}/authorized_keys`);
    const namespaced = options.mountNamespace === true || !await privsepDirReady();
    const logPath = `${dir}/sshd.log`;
    const configPath = `${dir}/ssh_config`;
    let failure = "";
    // The port is free when picked but may be taken before sshd binds it: a few tries.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = freePort();
      await Deno.writeTextFile(
        `${dir}/sshd_config`,
        serverConfig(dir, port, options.serverConfig ?? []),
      );
      await Deno.writeTextFile(configPath, clientConfig(dir, port, hosts, refusedKeyHost));
      await Deno.writeTextFile(logPath, "");
      // Errors before the log file is open (a bad config) go to stderr.
      const args = ["-D", "-E", logPath, "-f", `${dir}/sshd_config`];
      const child = namespaced
        ? new Deno.Command("unshare", {
          // unshare and sh exec, so the child's pid is sshd's own.
          args: [
            "-m",
            "sh",
            "-c",
            'mount -t tmpfs -o mode=755 tmpfs /run && mkdir -m 755 /run/sshd && exec "$0" "$@"',
            sshd,
            ...args,
          ],
          stdin: "null",
          stdout: "null",
          stderr: "piped",
        }).spawn()
        : new Deno.Command(sshd, { args, stdin: "null", stdout: "null", stderr: "piped" })
          .spawn();
      const stderr = new Response(child.stderr).text();
      const why = await waitListening(logPath, child);
      if (why === null) {
        return handle(dir, port, configPath, logPath, refusedKeyHost, hosts, namespaced, child);
      }
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      failure = `${why}\n${(await stderr).trim()}`.trim();
      if (!/Address already in use|Bind to port/.test(failure)) break;
    }
    throw new Error(`sshd did not start: ${failure}`);
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

function handle(
  dir: string,
  port: number,
  configPath: string,
  logPath: string,
  refusedKeyHost: string,
  hosts: number,
  namespaced: boolean,
  child: Deno.ChildProcess,
): TestSshd {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    // Sessions whose client has just closed are still winding down: give them a moment to end
    // on their own (killing them would make their ssh print "closed by remote host"), then
    // stop the listener and whatever it forked and still serves.
    const end = Date.now() + 3_000;
    while (descendants(child.pid).length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const rest = descendants(child.pid);
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    for (const pid of rest) {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* gone */ }
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const log = () => Deno.readTextFile(logPath);
  return {
    dir,
    port,
    configPath,
    clientKey: `${dir}/client_ed25519`,
    refusedKeyHost,
    sshArgs: ["-F", configPath],
    cliArgs: ["--ssh-arg=-F", `--ssh-arg=${configPath}`],
    logPath,
    namespaced,
    aliases(n) {
      if (!Number.isInteger(n) || n < 0 || n > hosts) {
        throw new RangeError(`aliases(${n}): the config names h1..h${hosts}`);
      }
      return Array.from({ length: n }, (_, i) => `h${i + 1}`);
    },
    async acceptedConnections() {
      return (await log()).split("\n").filter((l) => l.startsWith("Accepted publickey for "))
        .length;
    },
    log,
    close,
    [Symbol.asyncDispose]: close,
  };
}

let probed: Promise<string | null> | null = null;

/**
 * Why sshd cannot run here (`null` when it can): starts one and connects once, so a test
 * module can decide at load time (`ignore: await sshdSkipReason() !== null`). Memoized.
 *
 * @returns The reason, or `null`.
 * @example
 * ```ts no-eval
 * import { sshdSkipReason } from "./sshd.ts";
 * const skip = await sshdSkipReason();
 * Deno.test({ name: "over ssh", ignore: skip !== null, fn() {} });
 * ```
 */
export function sshdSkipReason(): Promise<string | null> {
  probed ??= (async () => {
    let server: TestSshd;
    try {
      server = await startSshd({ hosts: 1 });
    } catch (e) {
      return (e as Error).message;
    }
    try {
      const out = await new Deno.Command("ssh", {
        args: ["-F", server.configPath, "h1", "echo", "ok"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout).trim();
      return text === "ok"
        ? null
        : `ssh to the test sshd failed: ${
          new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`
        }`;
    } catch (e) {
      return `ssh client: ${(e as Error).message}`;
    } finally {
      await server.close();
    }
  })();
  return probed;
}
