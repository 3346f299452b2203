/**
 * The errors the sandbox's engine reports, carrying Upstart's D-Bus error names and messages.
 *
 * @module
 */

/** Upstart's error interface prefix. */
export const UPSTART_ERROR = "com.ubuntu.Upstart0_6.Error";
/** `org.freedesktop.DBus.Error.InvalidArgs`. */
export const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";

/** Options of {@linkcode SandboxError}. */
export interface SandboxErrorOptions {
  /** The D-Bus error name the sandbox replies with. */
  readonly dbusName: string;
}

/**
 * A request Upstart would refuse: the sandbox replies with `dbusName` and `message`. The
 * client turns the reply into its own typed error (`UnknownJobError`, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SandboxError } from "./errors.ts";
 * const e = new SandboxError("Unknown job: web", {
 *   dbusName: "com.ubuntu.Upstart0_6.Error.UnknownJob",
 * });
 * assert.ok(e.name === "SandboxError" && e.message === "Unknown job: web");
 * ```
 */
export class SandboxError extends Error {
  /** Always `"SandboxError"`. */
  override readonly name = "SandboxError";
  /** The D-Bus error name. */
  readonly dbusName: string;

  /**
   * Makes the error.
   *
   * @param message Upstart's message.
   * @param options The D-Bus error name.
   */
  constructor(message: string, options: SandboxErrorOptions) {
    super(message);
    this.dbusName = options.dbusName;
  }
}

/** `com.ubuntu.Upstart0_6.Error.NAME`. */
export function upstartError(name: string, message: string): SandboxError {
  return new SandboxError(message, { dbusName: `${UPSTART_ERROR}.${name}` });
}

/** `org.freedesktop.DBus.Error.InvalidArgs`. */
export function invalidArgs(message: string): SandboxError {
  return new SandboxError(message, { dbusName: INVALID_ARGS });
}
