/**
 * The errors the sandbox's engine reports, carrying Upstart's D-Bus error names and messages.
 *
 * @module
 */

/** Upstart's error interface prefix. */
export const UPSTART_ERROR = "com.ubuntu.Upstart0_6.Error";
/** `org.freedesktop.DBus.Error.InvalidArgs`. */
export const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";

/**
 * A request Upstart would refuse: `dbusName` is the D-Bus error name it replies with, `message`
 * its text.
 *
 * @example
 * ```ts
 * import { UpstartError } from "./errors.ts";
 * const e = new UpstartError("com.ubuntu.Upstart0_6.Error.UnknownJob", "Unknown job: web");
 * console.assert(e.message === "Unknown job: web");
 * ```
 */
export class UpstartError extends Error {
  /** Always `"UpstartError"`. */
  override readonly name = "UpstartError";
  /** The D-Bus error name. */
  readonly dbusName: string;

  /**
   * Makes the error.
   *
   * @param dbusName The D-Bus error name.
   * @param message Upstart's message.
   */
  constructor(dbusName: string, message: string) {
    super(message);
    this.dbusName = dbusName;
  }
}

/** `com.ubuntu.Upstart0_6.Error.NAME`. */
export function upstartError(name: string, message: string): UpstartError {
  return new UpstartError(`${UPSTART_ERROR}.${name}`, message);
}

/** `org.freedesktop.DBus.Error.InvalidArgs`. */
export function invalidArgs(message: string): UpstartError {
  return new UpstartError(INVALID_ARGS, message);
}
