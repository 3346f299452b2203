/**
 * Facts about this process that D-Bus clients need, read through libc.
 *
 * @module
 */

import { loadLibC } from "./library.ts";

/**
 * The real user id of this process, as `getuid(2)` gives it: what initctl
 * looks at to choose between Upstart's private socket (root) and the system
 * bus. Read through libc, so it needs `--allow-ffi` rather than
 * `--allow-sys=uid`.
 *
 * @returns The uid.
 * @example
 * ```ts
 * import { processUid } from "@upstart/upstart/dbus";
 * console.log(processUid() === 0 ? "root" : "a user");
 * ```
 */
export function processUid(): number {
  return loadLibC().getuid();
}
