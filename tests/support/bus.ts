/**
 * A private `dbus-daemon` for tests and benchmarks: the sandbox's private bus
 * (`src/sandbox/private_bus.ts`) with `tests/support/bus.conf`, whose limits let
 * benchmarks keep thousands of calls in flight.
 *
 * @module
 */

import { type PrivateBus, startPrivateBus } from "../../src/sandbox/mod.ts";

/** Starts a private bus with `tests/support/bus.conf`, listening in a fresh temp dir. */
export function startBus(): Promise<PrivateBus> {
  return startPrivateBus({ config: new URL("./bus.conf", import.meta.url).pathname });
}

/** The bus daemon's `GetId`: the cheapest real round trip, for tests and benchmarks. */
export const GET_ID = {
  destination: "org.freedesktop.DBus",
  path: "/org/freedesktop/DBus",
  interface: "org.freedesktop.DBus",
  member: "GetId",
} as const;
