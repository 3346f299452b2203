/**
 * A private `dbus-daemon` for the sandbox: a session-style bus on a socket in a fresh temp
 * directory, which only this user can reach, stopped (and its directory removed) by `close()`.
 * Its configuration is written into that directory, so nothing is read from beside this module
 * (which may have been loaded from JSR or any URL).
 *
 * @module
 */

/**
 * The sandbox's bus: only this user can connect (EXTERNAL auth, a socket in a 0700 directory);
 * anyone on it may own any name and call anything (the sandbox owns `com.ubuntu.Upstart`).
 */
const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <!-- dbus-daemon needs a listen element; the address option replaces it. -->
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

// As root in a container, dbus-daemon cannot raise its fd limit and says so: harmless noise.
const HARMLESS = /Failed to set fd limit/;

/** A running private bus. */
export interface PrivateBus extends AsyncDisposable {
  /** The address clients connect to (what `DBUS_SESSION_BUS_ADDRESS` should be). */
  readonly address: string;
  /** The daemon's pid. */
  readonly pid: number;
  /** Settles when the daemon has exited (for any reason). */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Kills the daemon abruptly (SIGKILL), as a crash would; `close()` still cleans up. */
  kill(): void;
  /** Stops the daemon and removes its directory; safe to call twice. */
  close(): Promise<void>;
}

/** Copies the daemon's stderr to ours, line by line, without the harmless warning. */
async function forwardStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
  let pending = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) if (!HARMLESS.test(line)) console.error(line);
    }
  } catch { /* the daemon is gone */ }
  if (pending && !HARMLESS.test(pending)) console.error(pending);
}

/** Options of {@linkcode startPrivateBus}. */
export interface PrivateBusOptions {
  /**
   * A dbus-daemon configuration file to use instead of the sandbox's own (which is written to
   * the bus's temp directory).
   */
  readonly config?: string;
}

/**
 * Starts `dbus-daemon` with the sandbox's bus configuration in a fresh temp dir.
 *
 * @param options Another configuration file, e.g. with higher limits for tests.
 * @returns The bus, once it listens.
 * @throws {Error} When `dbus-daemon` is not installed or exits before listening.
 * @example Starting and stopping a private bus
 * ```ts
 * import assert from "node:assert/strict";
 * import { startPrivateBus } from "@upstart/upstart/sandbox";
 * import { Connection } from "@upstart/upstart/dbus";
 * await using bus = await startPrivateBus();
 * assert.match(bus.address, /^unix:path=/); // what DBUS_SESSION_BUS_ADDRESS would be
 * await using conn = await Connection.open(bus.address);
 * assert.match(conn.uniqueName!, /^:1\.\d+$/);
 * ```
 */
export async function startPrivateBus(options: PrivateBusOptions = {}): Promise<PrivateBus> {
  const dir = await Deno.makeTempDir({ prefix: "upstart-sandbox-bus-" });
  const address = `unix:path=${dir}/bus`;
  const config = options.config ?? `${dir}/bus.conf`;
  let child: Deno.ChildProcess;
  try {
    if (options.config === undefined) {
      await Deno.writeTextFile(config, BUS_CONFIG, { createNew: true, mode: 0o600 });
    }
    const daemon = [
      "dbus-daemon",
      `--config-file=${config}`,
      `--address=${address}`,
      "--nofork",
      "--print-address=1",
    ];
    // setpriv (util-linux) makes the kernel kill the daemon when this process dies, even by
    // SIGKILL, so a private bus is never left behind; without it, close() is the only way.
    const [cmd, ...args] = hasSetpriv() ? ["setpriv", "--pdeathsig", "KILL", ...daemon] : daemon;
    child = new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    if (e instanceof Deno.errors.NotFound) {
      throw new Error("dbus-daemon not found: install the dbus package (e.g. apt install dbus)", {
        cause: e,
      });
    }
    throw e;
  }
  const stderrDone = forwardStderr(child.stderr);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await stderrDone;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  // The daemon prints its address once it is listening.
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      await close();
      throw new Error(`dbus-daemon exited before listening (config ${config})`);
    }
    printed += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return {
    address: printed.trim(),
    pid: child.pid,
    exited: child.status,
    kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

let setprivFound: boolean | undefined;

/** Whether util-linux's `setpriv` is on the PATH (looked up once). */
function hasSetpriv(): boolean {
  if (setprivFound === undefined) {
    const path = (() => {
      try {
        return Deno.env.get("PATH") ?? "/usr/bin:/bin";
      } catch {
        return "/usr/bin:/bin";
      }
    })();
    setprivFound = path.split(":").some((d) => {
      try {
        return Deno.statSync(`${d || "."}/setpriv`).isFile;
      } catch {
        return false;
      }
    });
  }
  return setprivFound;
}
