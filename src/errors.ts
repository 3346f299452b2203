/**
 * Typed errors for Upstart's D-Bus errors. Every class takes `(message, options)`; an error
 * that came from the bus keeps its D-Bus error name (`dbusName`) and Upstart's own message,
 * one built here has `dbusName: null`. Bad arguments stay plain `TypeError`/`RangeError`.
 *
 * @module
 */

import { DBusError } from "../ffi/mod.ts";

/** Options shared by the Upstart error classes. */
export interface UpstartErrorOptions {
  /** The D-Bus error name, when the error came from the bus (else leave it out). */
  readonly dbusName?: string | null;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * Base class of every error about Upstart itself (not about bad arguments).
 *
 * @example Catching any Upstart error
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstartError, UnknownJobError } from "@upstart/upstart";
 * const e = new UnknownJobError("Unknown job: nope");
 * assert.ok(e instanceof UpstartError);
 * assert.equal(e.dbusName, null); // built here, not by the bus
 * ```
 */
export class UpstartError extends Error {
  /** The class name, a literal so that minified code keeps it. */
  override readonly name: string = "UpstartError";
  /** The D-Bus error name this came from, or `null`. */
  readonly dbusName: string | null;
  /** The message as Upstart (or the bus) sent it. */
  readonly dbusMessage: string | null;

  /**
   * Makes an error.
   *
   * @param message What went wrong.
   * @param options The D-Bus error name and the cause.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { UpstartError } from "@upstart/upstart";
   * const e = new UpstartError("Something failed", { dbusName: "com.ubuntu.Upstart0_6.Error.Other" });
   * assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.Other");
   * assert.equal(e.dbusMessage, "Something failed");
   * ```
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.dbusName = options.dbusName ?? null;
    this.dbusMessage = options.dbusName ? message : null;
  }
}

const E = "com.ubuntu.Upstart0_6.Error.";
const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
const ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";

/**
 * No job of that name (`com.ubuntu.Upstart0_6.Error.UnknownJob`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownJobError } from "@upstart/upstart";
 * assert.equal(new UnknownJobError("Unknown job: x").message, "Unknown job: x");
 * ```
 */
export class UnknownJobError extends UpstartError {
  /** Always `"UnknownJobError"`. */
  override readonly name: string = "UnknownJobError";
}

/**
 * No such instance, or no instance to stop or restart (`...Error.UnknownInstance`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownInstanceError } from "@upstart/upstart";
 * assert.equal(new UnknownInstanceError("Unknown instance: 9").name, "UnknownInstanceError");
 * ```
 */
export class UnknownInstanceError extends UpstartError {
  /** Always `"UnknownInstanceError"`. */
  override readonly name: string = "UnknownInstanceError";
}

/**
 * The instance is already started (`...Error.AlreadyStarted`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlreadyStartedError } from "@upstart/upstart";
 * assert.equal(new AlreadyStartedError("Job is already running: svc").name, "AlreadyStartedError");
 * ```
 */
export class AlreadyStartedError extends UpstartError {
  /** Always `"AlreadyStartedError"`. */
  override readonly name: string = "AlreadyStartedError";
}

/**
 * The instance is already stopping (`...Error.AlreadyStopped`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AlreadyStoppedError } from "@upstart/upstart";
 * assert.equal(new AlreadyStoppedError("Job has already been stopped: svc").name, "AlreadyStoppedError");
 * ```
 */
export class AlreadyStoppedError extends UpstartError {
  /** Always `"AlreadyStoppedError"`. */
  override readonly name: string = "AlreadyStoppedError";
}

/**
 * Reload of an instance that is not running (`...Error.NotRunning`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotRunningError } from "@upstart/upstart";
 * assert.equal(new NotRunningError("Job is not running: svc").name, "NotRunningError");
 * ```
 */
export class NotRunningError extends UpstartError {
  /** Always `"NotRunningError"`. */
  override readonly name: string = "NotRunningError";
}

/**
 * A waited-for start failed (`...Error.JobFailed`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobFailedError } from "@upstart/upstart";
 * assert.equal(new JobFailedError("Job failed to start").name, "JobFailedError");
 * ```
 */
export class JobFailedError extends UpstartError {
  /** Always `"JobFailedError"`. */
  override readonly name: string = "JobFailedError";
}

/**
 * A job started or stopped by a waited-for event failed (`...Error.EventFailed`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventFailedError } from "@upstart/upstart";
 * assert.equal(new EventFailedError("Event failed").name, "EventFailedError");
 * ```
 */
export class EventFailedError extends UpstartError {
  /** Always `"EventFailedError"`. */
  override readonly name: string = "EventFailedError";
}

const PERMISSION_HINT =
  "this call needs root (or the job's owner in a user session), or a D-Bus policy that allows it";

/**
 * Not allowed: Upstart's `PermissionDenied`, or the bus policy's `AccessDenied`.
 * The message adds a hint; `dbusMessage` keeps the original.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PermissionDeniedError } from "@upstart/upstart";
 * const e = new PermissionDeniedError("You do not have permission to modify job: ssh");
 * assert.match(e.message, /needs root/); // the hint
 * assert.equal(e.dbusMessage, "You do not have permission to modify job: ssh");
 * ```
 */
export class PermissionDeniedError extends UpstartError {
  /** Always `"PermissionDeniedError"`. */
  override readonly name: string = "PermissionDeniedError";
  /** The message as Upstart (or the bus) sent it, without the hint. */
  override readonly dbusMessage: string;
  /** What is needed to be allowed (the hint the message ends with). */
  readonly hint: string = PERMISSION_HINT;

  /**
   * Makes the error.
   *
   * @param message The D-Bus message.
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(
      `${message.trimEnd()} (${PERMISSION_HINT})`,
      options,
    );
    this.dbusMessage = message;
  }
}

/**
 * Upstart rejected an argument (`org.freedesktop.DBus.Error.InvalidArgs`):
 * `Name may not be empty string`, `No such variable: X`, an unknown log priority.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidArgumentError } from "@upstart/upstart";
 * const e = new InvalidArgumentError("No such variable: X", { dbusName: "org.freedesktop.DBus.Error.InvalidArgs" });
 * assert.equal(e.dbusName, "org.freedesktop.DBus.Error.InvalidArgs");
 * ```
 */
export class InvalidArgumentError extends UpstartError {
  /** Always `"InvalidArgumentError"`. */
  override readonly name: string = "InvalidArgumentError";
}

/**
 * Upstart rejected an environment: `Env must be KEY=VALUE pairs`, or an
 * instance job started without its instance variable (`Unknown parameter: N`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { InvalidEnvError, InvalidArgumentError } from "@upstart/upstart";
 * assert.ok(new InvalidEnvError("Env must be KEY=VALUE pairs") instanceof InvalidArgumentError);
 * ```
 */
export class InvalidEnvError extends InvalidArgumentError {
  /** Always `"InvalidEnvError"`. */
  override readonly name: string = "InvalidEnvError";
}

/** One place {@linkcode UpstartNotRunningError} tried, and how it failed. */
export interface ConnectAttempt {
  /** Where: `the system bus`, `the private socket unix:abstract=/com/ubuntu/upstart`, ... */
  readonly target: string;
  /** Why, in words (what the error message shows). */
  readonly reason: string;
  /**
   * How: `connect` (the socket or bus could not be reached), `no-owner` (the bus answered but
   * nobody owns Upstart's name), `not-upstart` (something answered, but not as Upstart).
   */
  readonly failure?: "connect" | "no-owner" | "not-upstart";
  /** For `no-owner`, the bus name looked for; else the underlying message (libdbus's or the peer's). */
  readonly detail?: string;
}

/** Options of {@linkcode UpstartNotRunningError}. */
export interface UpstartNotRunningErrorOptions extends UpstartErrorOptions {
  /** Each place tried, in order, and why it failed. */
  readonly tried: readonly ConnectAttempt[];
}

/**
 * Upstart could not be reached: nothing listens on its socket, or no one owns
 * its bus name. `tried` says everything that was tried.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstartNotRunningError } from "@upstart/upstart";
 * const tried = [{ target: "the system bus", reason: "no owner of com.ubuntu.Upstart" }];
 * const e = new UpstartNotRunningError("Upstart is not running", { tried });
 * assert.equal(e.tried[0].target, "the system bus");
 * ```
 */
export class UpstartNotRunningError extends UpstartError {
  /** Always `"UpstartNotRunningError"`. */
  override readonly name: string = "UpstartNotRunningError";
  /** What was tried, in order, and why each failed. */
  readonly tried: readonly ConnectAttempt[];

  /**
   * Makes the error.
   *
   * @param message What went wrong (the connector lists every attempt).
   * @param options What was tried, and the cause (the last failure).
   */
  constructor(message: string, options: UpstartNotRunningErrorOptions) {
    super(message, options);
    this.tried = options.tried;
  }
}

/** Options of {@linkcode UnsupportedError}. */
export interface UnsupportedErrorOptions extends UpstartErrorOptions {
  /** The D-Bus member or property. */
  readonly feature: string;
  /** The first Upstart release that has it. */
  readonly since: string;
  /** The daemon's `version` string. */
  readonly daemonVersion: string;
}

/**
 * The daemon is older than the release that added a call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnsupportedError } from "@upstart/upstart";
 * const e = new UnsupportedError("GetEnv needs Upstart 1.7 or later", {
 *   feature: "GetEnv",
 *   since: "1.7",
 *   daemonVersion: "init (upstart 1.5)",
 * });
 * assert.equal(e.since, "1.7");
 * assert.equal(e.name, "UnsupportedError");
 * ```
 */
export class UnsupportedError extends UpstartError {
  /** Always `"UnsupportedError"`. */
  override readonly name: string = "UnsupportedError";
  /** The D-Bus member or property. */
  readonly feature: string;
  /** The first Upstart release that has it. */
  readonly since: string;
  /** The daemon's `version` string. */
  readonly daemonVersion: string;

  /**
   * Makes the error.
   *
   * @param message What is missing (`requireFeature` names the feature, the release and the daemon).
   * @param options The feature, the release that added it and the daemon's version.
   */
  constructor(message: string, options: UnsupportedErrorOptions) {
    super(message, options);
    this.feature = options.feature;
    this.since = options.since;
    this.daemonVersion = options.daemonVersion;
  }
}

/**
 * `waitFor`, or a waited start, stop, restart or emit given a `timeout`, ran out of time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WaitTimeoutError } from "@upstart/upstart";
 * assert.equal(new WaitTimeoutError("Timed out").name, "WaitTimeoutError");
 * ```
 */
export class WaitTimeoutError extends UpstartError {
  /** Always `"WaitTimeoutError"`. */
  override readonly name: string = "WaitTimeoutError";
}

const BY_NAME: Record<string, new (message: string, options: UpstartErrorOptions) => UpstartError> =
  {
    [E + "UnknownJob"]: UnknownJobError,
    [E + "UnknownInstance"]: UnknownInstanceError,
    [E + "UnknownJobInstance"]: UnknownInstanceError, // the env calls, for a job not running
    [E + "AlreadyStarted"]: AlreadyStartedError,
    [E + "AlreadyStopped"]: AlreadyStoppedError,
    [E + "NotRunning"]: NotRunningError,
    [E + "JobFailed"]: JobFailedError,
    [E + "EventFailed"]: EventFailedError,
    [E + "PermissionDenied"]: PermissionDeniedError,
    [ACCESS_DENIED]: PermissionDeniedError,
  };

/**
 * Turns a {@linkcode DBusError} from Upstart into the matching typed error;
 * any other error is returned unchanged.
 *
 * @param error What a call threw.
 * @returns The typed error (or `error` itself).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DBusError } from "@upstart/upstart/dbus";
 * import { toUpstartError, UnknownJobError } from "@upstart/upstart";
 * const e = toUpstartError(new DBusError("com.ubuntu.Upstart0_6.Error.UnknownJob", "Unknown job: x"));
 * assert.ok(e instanceof UnknownJobError);
 * assert.equal(e.dbusName, "com.ubuntu.Upstart0_6.Error.UnknownJob");
 * ```
 */
export function toUpstartError(error: unknown): unknown {
  if (!(error instanceof DBusError)) return error;
  const options = { dbusName: error.name, cause: error };
  // Upstart answers a write to a read-only property with AccessDenied too: that is a bad
  // argument, not a permission root would have.
  if (error.name === ACCESS_DENIED && /property is read-only\s*$/.test(error.message)) {
    return new InvalidArgumentError(error.message, options);
  }
  const Known = BY_NAME[error.name];
  if (Known) return new Known(error.message, options);
  if (error.name === INVALID_ARGS) {
    return /^(Env must be|Unknown parameter)/.test(error.message)
      ? new InvalidEnvError(error.message, options)
      : new InvalidArgumentError(error.message, options);
  }
  if (error.name.startsWith(E)) return new UpstartError(error.message, options);
  return error;
}
