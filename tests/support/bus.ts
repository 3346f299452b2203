/**
 * A private `dbus-daemon` for tests and benchmarks: started on a socket in a
 * fresh temp dir, stopped (and the dir removed) by `close()`.
 *
 * @module
 */

const CONFIG = new URL("./bus.conf", import.meta.url).pathname;

/** A running private bus. */
export interface PrivateBus extends AsyncDisposable {
  /** The D-Bus address to connect to (`unix:path=...`). */
  readonly address: string;
  /** The daemon's pid. */
  readonly pid: number;
  /** Kills the daemon abruptly (to test a vanished bus). */
  kill(): void;
  /** Stops the daemon and removes its directory. */
  close(): Promise<void>;
}

// As root, dbus-daemon tries to raise its fd limit and says so when a container forbids it:
// harmless, and noise in every test's output.
const HARMLESS = /Failed to set fd limit/;

/** Copies the daemon's stderr to ours, line by line, without the harmless warning. */
async function forwardStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
  let pending = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (pending + chunk).split("\n");
    pending = lines.pop()!;
    for (const line of lines) if (!HARMLESS.test(line)) console.error(line);
  }
  if (pending && !HARMLESS.test(pending)) console.error(pending);
}

/** Starts a private bus with `tests/support/bus.conf`, listening in a fresh temp dir. */
export async function startBus(): Promise<PrivateBus> {
  const dir = await Deno.makeTempDir({ prefix: "upstart-bus-" });
  const address = `unix:path=${dir}/bus`;
  const child = new Deno.Command("dbus-daemon", {
    args: [`--config-file=${CONFIG}`, `--address=${address}`, "--nofork", "--print-address=1"],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  forwardStderr(child.stderr);
  // The daemon prints its address once it is listening.
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let printed = "";
  while (!printed.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`dbus-daemon exited before listening (config ${CONFIG})`);
    printed += decoder.decode(value);
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    address: printed.trim().split(",")[0].startsWith("unix:") ? address : printed.trim(),
    pid: child.pid,
    kill() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
