/**
 * Runs `deno ARGS...` with `DBUS_SESSION_BUS_ADDRESS` set to a private bus (`startBus()`), as
 * `dbus-run-session` would, for the JSDoc examples that use `Connection.session()`: our bus
 * config, and none of the daemon's harmless warning as root. Exits with deno's exit code.
 *
 * `deno run -A tests/support/with_bus.ts test -A --doc ffi/`
 *
 * @module
 */

import { startBus } from "./bus.ts";

if (import.meta.main) {
  let code: number;
  {
    await using bus = await startBus();
    const child = new Deno.Command(Deno.execPath(), {
      args: Deno.args,
      env: { DBUS_SESSION_BUS_ADDRESS: bus.address },
    }).spawn();
    code = (await child.status).code;
  }
  Deno.exit(code);
}
