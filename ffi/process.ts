/**
 * Facts about this process that D-Bus clients need, and signals to other
 * processes, through libc.
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
 * import assert from "node:assert/strict";
 * import { processUid } from "@upstart/upstart/dbus";
 * assert.equal(processUid(), Deno.uid());
 * ```
 */
export function processUid(): number {
  return loadLibC().getuid();
}

/**
 * Sends a signal to one process, as `kill(2)`: what initctl does to reload a
 * job on an Upstart too old to do it itself. Through libc, so it needs
 * `--allow-ffi` rather than `--allow-run` (which `Deno.kill` needs).
 *
 * @param pid The process (a positive pid: never a process group or every process).
 * @param signal A Linux signal number (`1` is SIGHUP, `15` SIGTERM; `0` only checks the
 *   process exists).
 * @returns `true` when sent; `false` when `kill` failed (no such process, or not allowed:
 *   libc's `errno` cannot be read through `Deno.dlopen`, so which is not known).
 * @throws {RangeError} for a pid that is not a positive integer or a signal out of range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { signalProcess } from "@upstart/upstart/dbus";
 * assert.ok(signalProcess(Deno.pid, 0)); // this process exists
 * ```
 */
export function signalProcess(pid: number, signal: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
    throw new RangeError(`Invalid pid ${pid}: expected a positive integer`);
  }
  if (!Number.isInteger(signal) || signal < 0 || signal > 64) {
    throw new RangeError(`Invalid signal ${signal}: expected a signal number from 0 to 64`);
  }
  return loadLibC().kill(pid, signal) === 0;
}

/**
 * Closes a file descriptor, as `close(2)`. A `h` (Unix fd) read from a
 * message is a duplicate that the receiver owns: close it when done. Only
 * close descriptors you received: closing one libdbus or Deno uses breaks it.
 *
 * @param fd The descriptor.
 * @returns `false` when it was not open.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closeFileDescriptor, Connection } from "@upstart/upstart/dbus";
 * await using bus = await Connection.session();
 * // A service that hands out a descriptor ("h"): here, this connection itself, passing stdout.
 * const files = { path: "/org/example/Files", interface: "org.example.Files" };
 * bus.export(files.path, [{ name: files.interface, methods: { Out: { out: "h", handler: () => [1] } } }]);
 * const [fd] = await bus.call({ destination: bus.uniqueName!, ...files, member: "Out" }) as [number];
 * assert.notEqual(fd, 1); // a duplicate, which is ours to close
 * assert.equal(closeFileDescriptor(fd), true);
 * ```
 */
export function closeFileDescriptor(fd: number): boolean {
  if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff) {
    throw new RangeError(`Invalid file descriptor ${fd}`);
  }
  return loadLibC().close(fd) === 0;
}

const WNOHANG = 1;

/**
 * Collects a child process that has exited, as `waitpid(pid, &status, WNOHANG)`: libdbus's
 * `unixexec:` transport forks a child it never waits for, and every one left uncollected stays
 * a zombie until this process exits. Never blocks; never touches a child someone else waits
 * for unless given its pid.
 *
 * @param pid A child of this process.
 * @returns `"reaped"` when it had exited and is now gone, `"running"` when it has not exited
 *   yet, `"gone"` when it is not (or no longer) a child of this process.
 * @throws {RangeError} for a pid that is not a positive integer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reapChild } from "@upstart/upstart/dbus";
 * assert.equal(reapChild(1), "gone"); // init is nobody's child here
 * ```
 */
export function reapChild(pid: number): "reaped" | "running" | "gone" {
  if (!Number.isInteger(pid) || pid <= 0 || pid > 0x7fffffff) {
    throw new RangeError(`Invalid pid ${pid}: expected a positive integer`);
  }
  const result = loadLibC().waitpid(pid, new Uint8Array(4), WNOHANG);
  return result === pid ? "reaped" : result === 0 ? "running" : "gone";
}
