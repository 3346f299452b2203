/**
 * Working on many hosts at once: a bounded number at a time, each with its own time limit,
 * one result per host (a value, or a failure with a kind and a one-line message), one failing
 * or hung host never stopping the others.
 *
 * @module
 */

import { PermissionDeniedError, UpstartError, UpstartNotRunningError } from "./errors.ts";
import { type HostFailureKind, HostTimeoutError, HostUnreachableError } from "./host_errors.ts";
import type { RemoteOptions } from "./remote.ts";
import { System, type SystemOptions } from "./system.ts";

/** A host of a fleet: where ssh goes, and the ssh settings of this host alone. */
export interface FleetHost extends Partial<Omit<RemoteOptions, "host">> {
  /** The name results are keyed by (an inventory's host name; default: `host`). */
  readonly name?: string;
  /** `host` or `user@host`, as ssh takes it. */
  readonly host: string;
}

/** Why a host failed. */
export interface HostFailure {
  /** Which part failed: `ssh`, `bridge`, `upstart`, `permission`, `timeout` or `command`. */
  readonly kind: HostFailureKind;
  /** One line, without the host in front. */
  readonly message: string;
  /** The error itself. */
  readonly error: unknown;
}

/** What one host gave. */
export type HostResult<T> =
  | { readonly name: string; readonly ok: true; readonly value: T }
  | { readonly name: string; readonly ok: false; readonly failure: HostFailure };

/** Counts so far, for a progress line. */
export interface FleetProgress {
  /** Hosts finished. */
  readonly done: number;
  /** Hosts in all. */
  readonly total: number;
  /** Hosts finished that succeeded. */
  readonly ok: number;
  /** Hosts finished that failed. */
  readonly failed: number;
}

/** How to run over a fleet (`T`: what each host's work gives). */
export interface FleetOptions<T = unknown> {
  /** Hosts handled at once (default 16). */
  readonly parallel?: number;
  /** Milliseconds each host may take, connecting included (default: no limit). */
  readonly hostTimeout?: number;
  /** Stops starting hosts, and aborts those running, when aborted. */
  readonly signal?: AbortSignal;
  /** Called as each host finishes. */
  readonly onResult?: (result: HostResult<T>, progress: FleetProgress) => void;
}

/**
 * Sorts any error a host's work ended with into a {@linkcode HostFailure}.
 *
 * @param error The error.
 * @returns Its kind and one-line message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureOf, HostTimeoutError } from "@upstart/upstart";
 * const failure = failureOf(HostTimeoutError.after("db3", 5000));
 * assert.equal(failure.kind, "timeout");
 * assert.equal(failure.message, "no answer within 5 seconds");
 * ```
 */
export function failureOf(error: unknown): HostFailure {
  if (error instanceof HostUnreachableError || error instanceof HostTimeoutError) {
    return { kind: error.kind, message: error.reason, error };
  }
  if (error instanceof PermissionDeniedError) {
    return { kind: "permission", message: error.dbusMessage.trim(), error };
  }
  if (error instanceof UpstartNotRunningError) {
    return { kind: "upstart", message: error.message, error };
  }
  if (error instanceof UpstartError) {
    return { kind: "command", message: (error.dbusMessage ?? error.message).trim(), error };
  }
  return {
    kind: "command",
    message: error instanceof Error ? error.message : String(error),
    error,
  };
}

function hostName(host: string | FleetHost): string {
  return typeof host === "string" ? host : host.name ?? host.host;
}

/**
 * Runs `task` for every host, at most `parallel` at once, each within `hostTimeout`: a host
 * that runs over is reported as a `timeout` at once (its task's signal is aborted, so it can
 * stop) and never holds up the rest.
 *
 * @param hosts The hosts (names, or {@linkcode FleetHost}s with their own ssh settings).
 * @param task The work for one host; it gets a signal aborted on timeout or when `options.signal` is.
 * @param options Parallelism, the time limit, a signal and a progress callback.
 * @returns One result per host, in the order given.
 * @throws {RangeError} for a `parallel` or `hostTimeout` that is not a positive number.
 * @example One failing host does not stop the others
 * ```ts
 * import assert from "node:assert/strict";
 * import { forEachHost } from "@upstart/upstart";
 * const results = await forEachHost(["web1", "db1"], async (host) => {
 *   if (host.host === "db1") throw new Error("disk full");
 *   return "done";
 * });
 * assert.deepEqual(results.map((r) => r.ok ? r.value : r.failure.message), ["done", "disk full"]);
 * ```
 */
export async function forEachHost<T>(
  hosts: readonly (string | FleetHost)[],
  task: (host: FleetHost, signal: AbortSignal) => Promise<T>,
  options: FleetOptions<T> = {},
): Promise<HostResult<T>[]> {
  const parallel = options.parallel ?? 16;
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new RangeError(`Invalid parallel ${parallel}: expected a positive integer`);
  }
  const limit = options.hostTimeout;
  if (limit !== undefined && !(limit > 0)) {
    throw new RangeError(`Invalid hostTimeout ${limit}: expected milliseconds (more than 0)`);
  }
  const results: HostResult<T>[] = new Array(hosts.length);
  let ok = 0;
  let failed = 0;
  const runOne = async (index: number) => {
    const given = hosts[index];
    const host: FleetHost = typeof given === "string" ? { host: given } : given;
    const name = hostName(given);
    const controller = new AbortController();
    const stopOuter = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", stopOuter, { once: true });
    // The host's end comes from its work, its time limit or the caller's signal, whichever is
    // first: work that ignores its signal never holds up the rest.
    const { promise: ended, reject: end } = Promise.withResolvers<never>();
    ended.catch(() => {}); // raced below; never a rejection of its own
    controller.signal.addEventListener("abort", () => end(controller.signal.reason), {
      once: true,
    });
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    const timer = limit === undefined
      ? undefined
      : setTimeout(() => controller.abort(HostTimeoutError.after(name, limit)), limit);
    let result: HostResult<T>;
    try {
      const work = task(host, controller.signal);
      work.catch(() => {}); // after a timeout its failure is nobody's: not an unhandled rejection
      const value = await Promise.race([work, ended]);
      result = { name, ok: true, value };
    } catch (e) {
      result = { name, ok: false, failure: failureOf(e) };
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", stopOuter);
    }
    results[index] = result;
    if (result.ok) ok++;
    else failed++;
    options.onResult?.(result, { done: ok + failed, total: hosts.length, ok, failed });
  };
  let next = 0;
  const worker = async () => {
    while (next < hosts.length && !options.signal?.aborted) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, hosts.length) }, worker));
  options.signal?.throwIfAborted();
  return results;
}

/**
 * Connects to Upstart on every host over ssh and runs `fn` with each {@linkcode System}, closed
 * afterwards: {@linkcode forEachHost} with the connection made for you.
 *
 * @param hosts The hosts (names, or {@linkcode FleetHost}s with their own ssh settings).
 * @param fn The work on one host's Upstart.
 * @param options Connection settings shared by every host (ssh command and arguments, `reuse`,
 *   `sudo`, the far-side socket, ...) and the fleet's (parallelism, time limit, signal).
 * @returns One result per host, in the order given.
 * @example
 * ```ts ignore
 * import { connectMany } from "@upstart/upstart";
 * const results = await connectMany(["web1", "web2"], (system) => system.version());
 * for (const r of results) console.log(r.name, r.ok ? r.value : r.failure.message);
 * ```
 */
export async function connectMany<T>(
  hosts: readonly (string | FleetHost)[],
  fn: (system: System, host: FleetHost) => Promise<T>,
  options: FleetOptions<T> & Omit<SystemOptions, "host" | "signal"> = {},
): Promise<HostResult<T>[]> {
  const { parallel, hostTimeout, signal, onResult, ...connect } = options;
  return await forEachHost(hosts, async (host, hostSignal) => {
    const { name, ...remote } = host;
    const label = name ?? remote.label;
    const system = await System.connect({ ...connect, ...remote, label, signal: hostSignal });
    if (hostSignal.aborted) {
      await system.close(); // its time ran out as it connected: fn must not run
      throw hostSignal.reason;
    }
    const stop = () => void system.close();
    hostSignal.addEventListener("abort", stop, { once: true });
    try {
      return await fn(system, host);
    } finally {
      hostSignal.removeEventListener("abort", stop);
      await system.close();
    }
  }, { parallel, hostTimeout, signal, onResult });
}
