/**
 * Errors about one host of a fleet, each with a kind a program can act on and a one-line
 * message a person can read.
 *
 * @module
 */

import { UpstartNotRunningError, type UpstartNotRunningErrorOptions } from "./errors.ts";
import type { HostFailureKind } from "./remote_attempt.ts";

export type { HostFailureKind } from "./remote_attempt.ts";

/** Options of {@linkcode HostUnreachableError}. */
export interface HostUnreachableErrorOptions extends UpstartNotRunningErrorOptions {
  /** The host, as given. */
  readonly host: string;
  /** Which part failed (of the last attempt). */
  readonly kind: Exclude<HostFailureKind, "timeout" | "command">;
  /** The message without the host in front. */
  readonly reason: string;
}

/**
 * Upstart on another host could not be reached over ssh. The message is one line,
 * `HOST: what was tried: why` (ssh's or the bridge's own last words), never the encoded
 * address; `kind` says which part failed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostUnreachableError } from "@upstart/upstart";
 * const tried = [{ target: "the system bus over ssh", reason: "ssh: Connection refused" }];
 * const reason = "the system bus over ssh: ssh: Connection refused";
 * const e = new HostUnreachableError(`web1: ${reason}`, { host: "web1", kind: "ssh", reason, tried });
 * assert.equal(e.kind, "ssh");
 * assert.equal(e.name, "HostUnreachableError");
 * ```
 */
export class HostUnreachableError extends UpstartNotRunningError {
  /** Always `"HostUnreachableError"`. */
  override readonly name: string = "HostUnreachableError";
  /** The host, as given. */
  readonly host: string;
  /** Which part failed (of the last attempt). */
  readonly kind: Exclude<HostFailureKind, "timeout" | "command">;
  /** The message without the host in front (what the JSON output's `error.message` holds). */
  readonly reason: string;

  /**
   * Makes the error.
   *
   * @param message The one line (`HOST: reason`).
   * @param options The host, the kind, the reason, what was tried and the cause.
   */
  constructor(message: string, options: HostUnreachableErrorOptions) {
    super(message, options);
    this.host = options.host;
    this.kind = options.kind;
    this.reason = options.reason;
  }
}

/** Options of {@linkcode HostTimeoutError}. */
export interface HostTimeoutErrorOptions {
  /** The host, as given. */
  readonly host: string;
  /** The time allowed, in milliseconds. */
  readonly timeout: number;
}

/**
 * A host took longer than the time allowed for it (`hostTimeout`, `--host-timeout`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostTimeoutError } from "@upstart/upstart";
 * const e = HostTimeoutError.after("db3", 5000);
 * assert.equal(e.message, "db3: no answer within 5 seconds");
 * assert.equal(e.kind, "timeout");
 * ```
 */
export class HostTimeoutError extends Error {
  /** Always `"HostTimeoutError"`. */
  override readonly name: string = "HostTimeoutError";
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
   * @param message The one line (`HOST: reason`).
   * @param options The host and the time allowed.
   */
  constructor(message: string, options: HostTimeoutErrorOptions) {
    super(message);
    this.host = options.host;
    this.timeout = options.timeout;
    this.reason = message.startsWith(`${options.host}: `)
      ? message.slice(options.host.length + 2)
      : message;
  }

  /**
   * The error for a host that ran out of its time, in the usual words.
   *
   * @param host The host.
   * @param timeout The time allowed, in milliseconds.
   * @returns The error.
   */
  static after(host: string, timeout: number): HostTimeoutError {
    return new HostTimeoutError(`${host}: no answer within ${timeout / 1000} seconds`, {
      host,
      timeout,
    });
  }
}
