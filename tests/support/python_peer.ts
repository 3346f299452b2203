/**
 * A peer-to-peer D-Bus server written with python3-dbus (a script of `tests/support/`), on a
 * socket in a fresh temp dir: started, waited for until it prints READY, and stopped and cleaned
 * up on dispose.
 *
 * @module
 */

/** A running peer server. */
export interface PythonPeer extends AsyncDisposable {
  /** Its address (`unix:path=...`): connect with `{ bus: false }`. */
  readonly address: string;
}

/** Starts `tests/support/<script>` with the address and `args`, and waits for its READY line. */
export async function startPythonPeer(script: string, args: string[] = []): Promise<PythonPeer> {
  const dir = await Deno.makeTempDir();
  const address = `unix:path=${dir}/peer`;
  const child = new Deno.Command("/usr/bin/python3", {
    args: [new URL(`./${script}`, import.meta.url).pathname, address, ...args],
    stdout: "piped",
  }).spawn();
  const stop = async () => {
    try {
      child.kill();
    } catch { /* already gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  };
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  if (!/READY/.test(new TextDecoder().decode(value))) {
    await stop();
    throw new Error(`${script} did not start`);
  }
  return { address, [Symbol.asyncDispose]: stop };
}
