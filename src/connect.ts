/**
 * Finding and connecting to Upstart the way `initctl` does, with every choice
 * forceable: `$UPSTART_SESSION` (a user session, peer-to-peer); as root the
 * private socket `unix:abstract=/com/ubuntu/upstart` (peer-to-peer) and then
 * the system bus; else the system bus. Each attempt is probed by reading the
 * `version` property, which also tells which calls the daemon has.
 *
 * @module
 */

import { Connection, DBusError, LibraryLoadError, processUid } from "../ffi/mod.ts";
import { isNoSuchObject } from "./_client.ts";
import {
  type ConnectAttempt,
  PermissionDeniedError,
  toUpstartError,
  UpstartNotRunningError,
} from "./errors.ts";
import { UPSTART_INTERFACE, UPSTART_PATH, UPSTART_SERVICE } from "./names.ts";
import { HostUnreachableError } from "./host_errors.ts";
import { defaultRemoteSocket, remoteAddress, type RemoteOptions } from "./remote.ts";
import { type HostFailureKind, RemoteAttempt } from "./remote_attempt.ts";

/**
 * Upstart's private socket (peer-to-peer; root only).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PRIVATE_ADDRESS } from "@upstart/upstart";
 * assert.equal(PRIVATE_ADDRESS, "unix:abstract=/com/ubuntu/upstart");
 * ```
 */
export const PRIVATE_ADDRESS = "unix:abstract=/com/ubuntu/upstart";

/** How to reach Upstart; everything is optional (the default is initctl's). */
export interface ConnectOptions extends Partial<RemoteOptions> {
  /**
   * `"system"`: the system bus; `"session"`: the session bus (`init --session`);
   * `"user"`: the user session in `$UPSTART_SESSION`; `"private"`: the private socket.
   */
  readonly bus?: "system" | "session" | "user" | "private";
  /** A D-Bus address to use instead (a bus, or a peer with `peer: true`). */
  readonly address?: string;
  /** With `address`: `true` for a peer-to-peer address, `false` for a bus; default: try a bus, then a peer. */
  readonly peer?: boolean;
  /** The bus name Upstart owns (default `com.ubuntu.Upstart`; unused on peer connections). */
  readonly dest?: string;
  /** Milliseconds each call may take (default 25000; `Infinity` for no limit). */
  readonly timeout?: number;
  /** Gives up connecting when aborted (a hung ssh is stopped), rejecting with its reason. */
  readonly signal?: AbortSignal;
}

/** One place to try. */
export interface Target {
  /** What it is, for messages (`the system bus`, `the private socket unix:abstract=...`). */
  readonly label: string;
  /** The D-Bus address, or `"system"`/`"session"` for the standard buses. */
  readonly address: string;
  /** `true` for peer-to-peer (no `Hello`, no destination); `null`: try a bus, then a peer. */
  readonly peer: boolean | null;
  /** For a host: how to reach it (the address is built from this, per attempt). */
  readonly remote?: RemoteOptions;
}

/** A connection that answered as Upstart. */
export interface UpstartConnection {
  /** The open connection. */
  readonly connection: Connection;
  /** The destination for calls (`undefined` on a peer connection). */
  readonly dest: string | undefined;
  /** What answered. */
  readonly target: Target;
  /** The daemon's `version` property. */
  readonly version: string;
}

function sessionAddress(env: (name: string) => string | undefined): string {
  return env("DBUS_SESSION_BUS_ADDRESS") ?? "session";
}

/**
 * The places to try, in order, for the given options: pure, so it can be
 * checked without a daemon.
 *
 * @param options The connect options.
 * @param env Reads an environment variable (default `Deno.env.get`).
 * @param uid The current uid (default: this process's, read through libc only when needed,
 * so a given `bus`, `address` or `host` loads nothing native).
 * @returns The targets, in the order they are tried.
 * @throws {TypeError} for contradictory or invalid options.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectTargets } from "./connect.ts";
 * // As root, with no options, initctl tries Upstart's private socket first:
 * const targets = connectTargets({}, () => undefined, 0);
 * assert.deepEqual(targets.map((t) => t.address), ["unix:abstract=/com/ubuntu/upstart", "system"]);
 * ```
 */
export function connectTargets(
  options: ConnectOptions = {},
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
  uid?: number | null,
): Target[] {
  const chosen = ["bus", "address", "host"].filter((k) =>
    options[k as keyof ConnectOptions] !== undefined
  );
  if (chosen.length > 1) {
    throw new TypeError(`Invalid connect options: give only one of ${chosen.join(", ")}`);
  }
  const privateTarget: Target = {
    label: `the private socket ${PRIVATE_ADDRESS}`,
    address: PRIVATE_ADDRESS,
    peer: true,
  };
  const system: Target = { label: "the system bus", address: "system", peer: false };
  if (options.address !== undefined) {
    if (typeof options.address !== "string" || options.address === "") {
      throw new TypeError(
        `Invalid address ${JSON.stringify(options.address)}: expected a D-Bus address`,
      );
    }
    return [{
      label: `the address ${options.address}`,
      address: options.address,
      peer: options.peer ?? null,
    }];
  }
  if (options.host !== undefined) {
    const remote = { ...options, host: options.host } as RemoteOptions;
    const sockets = options.remoteSocket !== undefined
      ? [options.remoteSocket]
      : defaultRemoteSocket(remote) === "private"
      ? ["private", "system"]
      : ["system"];
    return sockets.map((socket) => ({
      label: `${
        socket === "private"
          ? "the private socket"
          : socket === "system"
          ? "the system bus"
          : `the socket ${socket}`
      } over ssh`,
      address: remoteAddress({ ...remote, remoteSocket: socket }),
      peer: socket === "private" ? true : socket === "system" ? false : (options.peer ?? false),
      remote: { ...remote, remoteSocket: socket },
    }));
  }
  const user = (): Target => {
    const address = env("UPSTART_SESSION");
    if (!address) {
      throw new TypeError("Cannot connect to the user session: UPSTART_SESSION is not set");
    }
    return { label: `the user session ${address}`, address, peer: true };
  };
  switch (options.bus) {
    case "system":
      return [system];
    case "session":
      return [{ label: "the session bus", address: sessionAddress(env), peer: false }];
    case "user":
      return [user()];
    case "private":
      return [privateTarget];
    case undefined:
      break;
    default:
      throw new TypeError(
        `Invalid bus ${
          JSON.stringify(options.bus)
        }: expected "system", "session", "user" or "private"`,
      );
  }
  if (env("UPSTART_SESSION")) return [user()];
  return (uid === undefined ? processUid() : uid) === 0 ? [privateTarget, system] : [system];
}

function describe(error: unknown): string {
  if (error instanceof DBusError) return error.message.trim() || error.name;
  return error instanceof Error ? error.message : String(error);
}

async function openTarget(target: Target, peer: boolean, attempt: RemoteAttempt | null) {
  if (target.address === "system") return await Connection.system();
  if (target.address === "session") return await Connection.session();
  const address = attempt === null
    ? target.address
    : remoteAddress(target.remote!, attempt.capture);
  return await Connection.open(address, { bus: !peer });
}

/** Waits for `work`, unless `signal` aborts first (then `onAbort` runs and `work`'s result is closed). */
async function unlessAborted<T extends { close(): Promise<void> }>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  onAbort: () => void,
): Promise<T> {
  if (signal === undefined) return await work;
  signal.throwIfAborted();
  const { promise, reject } = Promise.withResolvers<never>();
  const abort = () => {
    onAbort();
    work.then((c) => c.close(), () => {});
    reject(signal.reason);
  };
  signal.addEventListener("abort", abort, { once: true });
  try {
    return await Promise.race([work, promise]);
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

const stderrEncoder = new TextEncoder();

/**
 * Connects to Upstart: tries each target of {@linkcode connectTargets} in
 * turn and keeps the first one whose `version` property answers.
 *
 * @param options The connect options.
 * @returns The connection, the destination to call, and the daemon's version.
 * @throws {UpstartNotRunningError} naming every place tried and why it failed.
 * @example When nothing answers
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectUpstart } from "./connect.ts";
 * // Nothing answers there: the error names each place tried and why it failed.
 * await assert.rejects(connectUpstart({ address: "unix:path=/nonexistent/socket" }), {
 *   name: "UpstartNotRunningError",
 *   message: /: the address unix:path=\/nonexistent\/socket: Failed to connect to socket/,
 * });
 * ```
 */
export async function connectUpstart(options: ConnectOptions = {}): Promise<UpstartConnection> {
  if (options.timeout !== undefined && !(options.timeout >= 0)) {
    throw new RangeError(
      `Invalid timeout ${options.timeout}: expected milliseconds (0 or more, or Infinity)`,
    );
  }
  const dest = options.dest ?? UPSTART_SERVICE;
  if (typeof dest !== "string" || dest === "") {
    throw new TypeError(`Invalid dest ${JSON.stringify(dest)}: expected a bus name`);
  }
  const tried: ConnectAttempt[] = [];
  let lastError: unknown;
  let remoteKind: HostFailureKind | null = null;
  targets: for (const target of connectTargets(options)) {
    for (const peer of target.peer === null ? [false, true] : [target.peer]) {
      // Before anything starts: an attempt begun here would be left running.
      options.signal?.throwIfAborted();
      const attempt = target.remote ? RemoteAttempt.create() : null;
      const remote = target.remote !== undefined;
      let connection: Connection;
      try {
        connection = await unlessAborted(
          openTarget(target, peer, attempt),
          options.signal,
          () => attempt?.stop(),
        );
      } catch (e) {
        if (options.signal?.aborted) {
          await attempt?.failed(0);
          throw e;
        }
        // Not a reason to try elsewhere: a bad argument, or no libdbus on this machine.
        if (e instanceof TypeError || e instanceof LibraryLoadError) {
          attempt?.succeeded(() => {});
          throw e;
        }
        lastError = e;
        if (remote) {
          const { kind, why } = attempt === null
            ? { kind: "bridge" as const, why: `${describe(e)} (ssh's own messages are on stderr)` }
            : await attempt.failed(2000, describe(e));
          remoteKind = kind;
          tried.push({ target: target.label, reason: why, failure: "connect", detail: why });
          // ssh itself failed (name, refused, key): the next socket would fail the same way.
          if (kind === "ssh") break targets;
          continue;
        }
        tried.push({
          target: target.label,
          reason: describe(e),
          failure: "connect",
          detail: describe(e),
        });
        continue;
      }
      const host = target.remote?.label || target.remote?.host;
      attempt?.succeeded((line) => {
        Deno.stderr.writeSync(stderrEncoder.encode(`${host}: ${line}\n`));
      });
      try {
        // Aborted meanwhile (a host's time is up): closing ends the probe at once.
        const stop = () => void connection.close();
        options.signal?.addEventListener("abort", stop, { once: true });
        let version: unknown;
        try {
          version = await connection.getProperty({
            destination: peer ? undefined : dest,
            path: UPSTART_PATH,
            interface: UPSTART_INTERFACE,
            name: "version",
          });
        } finally {
          options.signal?.removeEventListener("abort", stop);
        }
        options.signal?.throwIfAborted();
        return { connection, dest: peer ? undefined : dest, target, version: String(version) };
      } catch (e) {
        await connection.close();
        if (options.signal?.aborted) throw options.signal.reason;
        // Upstart is there but the policy forbids even reading it: not a "not running".
        const typed = toUpstartError(e);
        if (typed instanceof PermissionDeniedError) throw typed;
        lastError = e;
        remoteKind = "upstart";
        const name = e instanceof DBusError ? e.name : "";
        if (/ServiceUnknown|NameHasNoOwner/.test(name)) {
          tried.push({
            target: target.label,
            reason: `no owner of ${dest}`,
            failure: "no-owner",
            detail: dest,
          });
        } else if (isNoSuchObject(e)) {
          tried.push({
            target: target.label,
            reason: `no Upstart there (${describe(e)})`,
            failure: "not-upstart",
            detail: describe(e),
          });
        } else tried.push({ target: target.label, reason: describe(e) });
      }
    }
  }
  if (options.host !== undefined && remoteKind !== null) {
    // The last attempt first: it got furthest, and its reason is the one to act on.
    const reason = [...tried].reverse().map((t) => `${t.target}: ${t.reason}`).join("; ");
    throw new HostUnreachableError(`${options.host}: ${reason}`, {
      host: options.host,
      kind: remoteKind,
      reason,
      tried,
      cause: lastError,
    });
  }
  const list = tried.map((t) => `${t.target}: ${t.reason}`).join("; ");
  throw new UpstartNotRunningError(`Upstart is not running or cannot be reached: ${list}`, {
    tried,
    cause: lastError,
  });
}
