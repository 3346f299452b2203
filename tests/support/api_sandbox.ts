/**
 * Helpers for the typed-API tests: a sandboxed Upstart with the given jobs and a
 * System connected to it, and python3-dbus reading the same objects for cross-checking.
 */
import { startSandbox } from "./sandbox.ts";
import { System } from "../../src/system.ts";

/** A sandbox and a System on it; disposing stops both. */
export interface ApiSandbox extends AsyncDisposable {
  readonly address: string;
  readonly system: System;
}

/** Starts a sandbox with `jobs` and connects to it. */
export async function sandboxSystem(jobs: Record<string, string>): Promise<ApiSandbox> {
  const sandbox = await startSandbox({ jobs });
  let system: System;
  try {
    system = await System.connect({ address: sandbox.address, peer: false });
  } catch (e) {
    await sandbox[Symbol.asyncDispose]();
    throw e;
  }
  return {
    address: sandbox.address,
    system,
    async [Symbol.asyncDispose]() {
      await system.close();
      await sandbox[Symbol.asyncDispose]();
    },
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
