/**
 * Errors about one host of a fleet, each with a kind a program can act on and a one-line
 * message a person can read.
 *
 * @module
 */

import { type ConnectAttempt, UpstartNotRunningError } from "./errors.ts";
import type { UpstartErrorOptions } from "./errors.ts";
import type { HostFailureKind } from "./remote_attempt.ts";

export type { HostFailureKind } from "./remote_attempt.ts";

/**
 * Upstart on another host could not be reached over ssh. The message is one line,
 * `HOST: what was tried: why` (ssh's or the bridge's own last words), never the encoded
 * address; `kind` says which part failed.
 *
 * @example
 * ```ts
 * import { HostUnreachableError } from "@upstart/upstart";
 * const e = new HostUnreachableError("web1", "ssh", [
 *   { target: "the system bus over ssh", reason: "ssh: connect to host web1 port 22: Connection refused" },
 * ]);
 * console.assert(e.message === "web1: the system bus over ssh: ssh: connect to host web1 port 22: Connection refused");
 * console.assert(e.kind === "ssh");
 * ```
 */
export class HostUnreachableError extends UpstartNotRunningError {
  /** The host, as given. */
  readonly host: string;
  /** Which part failed (of the last attempt). */
  readonly kind: Exclude<HostFailureKind, "timeout" | "command">;
  /** The message without the host in front (what the JSON output's `error.message` holds). */
  readonly reason: string;

  /** `"HostUnreachableError"`. */
  override get name(): string {
    return "HostUnreachableError";
  }

  /**
   * Makes the error.
   *
   * @param host The host.
   * @param kind Which part failed.
   * @param tried Each attempt: what was tried, and why it failed.
   * @param options The cause (the last failure).
   */
  constructor(
    host: string,
    kind: Exclude<HostFailureKind, "timeout" | "command">,
    tried: readonly ConnectAttempt[],
    options: UpstartErrorOptions = {},
  ) {
    super(tried, options);
    this.host = host;
    this.kind = kind;
    // The last attempt first: it got furthest, and its reason is the one to act on.
    this.reason = [...tried].reverse().map((t) => `${t.target}: ${t.reason}`).join("; ");
    this.message = `${host}: ${this.reason}`;
  }
}

/**
 * A host took longer than the time allowed for it (`hostTimeout`, `--host-timeout`).
 *
 * @example
 * ```ts
 * import { HostTimeoutError } from "@upstart/upstart";
 * const e = new HostTimeoutError("db3", 5000);
 * console.assert(e.message === "db3: no answer within 5 seconds" && e.kind === "timeout");
 * ```
 */
export class HostTimeoutError extends Error {
  /** The host, as given. */
  readonly host: string;
  /** The time allowed, in milliseconds. */
  readonly timeout: number;
  /** Always `"timeout"`. */
  readonly kind = "timeout";
  /** The message without the host in front. */
  readonly reason: string;

  /**
   * Makes the error.
   *
   * @param host The host.
   * @param timeout The time allowed, in milliseconds.
   */
  constructor(host: string, timeout: number) {
    const reason = `no answer within ${timeout / 1000} seconds`;
    super(`${host}: ${reason}`);
    this.name = "HostTimeoutError";
    this.host = host;
    this.timeout = timeout;
    this.reason = reason;
  }
}
