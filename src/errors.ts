/**
 * Typed errors for Upstart's D-Bus errors. Each keeps the D-Bus error name
 * (`dbusName`) and Upstart's own message; bad arguments stay plain
 * `TypeError`/`RangeError`.
 *
 * @module
 */

import { DBusError } from "../ffi/mod.ts";

/** Options shared by the Upstart error classes. */
export interface UpstartErrorOptions {
  /** The D-Bus error name, when the error came from the bus. */
  readonly dbusName?: string | null;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * Base class of every error about Upstart itself (not about bad arguments).
 *
 * @example Catching any Upstart error
 * ```ts
 * import { UpstartError, UnknownJobError } from "@upstart/upstart";
 * const e = new UnknownJobError("Unknown job: nope");
 * console.assert(e instanceof UpstartError && e.dbusName === "com.ubuntu.Upstart0_6.Error.UnknownJob");
 * ```
 */
export class UpstartError extends Error {
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
   * import { UpstartError } from "@upstart/upstart";
   * const e = new UpstartError("Something failed", { dbusName: "com.ubuntu.Upstart0_6.Error.Other" });
   * console.assert(e.dbusName === "com.ubuntu.Upstart0_6.Error.Other");
   * ```
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.dbusName = options.dbusName ?? null;
    this.dbusMessage = options.dbusName ? message : null;
  }

  /** The class name. */
  override get name(): string {
    return this.constructor.name;
  }
}

const E = "com.ubuntu.Upstart0_6.Error.";
const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
const ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied";

function dbusOptions(dbusName: string, options: UpstartErrorOptions): UpstartErrorOptions {
  return { dbusName: options.dbusName ?? dbusName, cause: options.cause };
}

/**
 * No job of that name (`com.ubuntu.Upstart0_6.Error.UnknownJob`).
 *
 * @example
 * ```ts
 * import { UnknownJobError } from "@upstart/upstart";
 * console.assert(new UnknownJobError("Unknown job: x").message === "Unknown job: x");
 * ```
 */
export class UnknownJobError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Unknown job: NAME`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "UnknownJob", options));
  }
}

/**
 * No such instance, or no instance to stop or restart (`...Error.UnknownInstance`).
 *
 * @example
 * ```ts
 * import { UnknownInstanceError } from "@upstart/upstart";
 * console.assert(new UnknownInstanceError("Unknown instance: 9").dbusName?.endsWith("UnknownInstance"));
 * ```
 */
export class UnknownInstanceError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Unknown instance: NAME`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "UnknownInstance", options));
  }
}

/**
 * The instance is already started (`...Error.AlreadyStarted`).
 *
 * @example
 * ```ts
 * import { AlreadyStartedError } from "@upstart/upstart";
 * console.assert(new AlreadyStartedError("Job is already running: svc").name === "AlreadyStartedError");
 * ```
 */
export class AlreadyStartedError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Job is already running: NAME`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "AlreadyStarted", options));
  }
}

/**
 * The instance is already stopping (`...Error.AlreadyStopped`).
 *
 * @example
 * ```ts
 * import { AlreadyStoppedError } from "@upstart/upstart";
 * console.assert(new AlreadyStoppedError("Job has already been stopped: svc") instanceof Error);
 * ```
 */
export class AlreadyStoppedError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Job has already been stopped: NAME`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "AlreadyStopped", options));
  }
}

/**
 * Reload of an instance that is not running (`...Error.NotRunning`).
 *
 * @example
 * ```ts
 * import { NotRunningError } from "@upstart/upstart";
 * console.assert(new NotRunningError("Job is not running: svc").dbusName?.endsWith("NotRunning"));
 * ```
 */
export class NotRunningError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Job is not running: NAME`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "NotRunning", options));
  }
}

/**
 * A waited-for start failed (`...Error.JobFailed`).
 *
 * @example
 * ```ts
 * import { JobFailedError } from "@upstart/upstart";
 * console.assert(new JobFailedError("Job failed to start").name === "JobFailedError");
 * ```
 */
export class JobFailedError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Job failed to start`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "JobFailed", options));
  }
}

/**
 * A job started or stopped by a waited-for event failed (`...Error.EventFailed`).
 *
 * @example
 * ```ts
 * import { EventFailedError } from "@upstart/upstart";
 * console.assert(new EventFailedError("Event failed").name === "EventFailedError");
 * ```
 */
export class EventFailedError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message (`Event failed`).
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(E + "EventFailed", options));
  }
}

const PERMISSION_HINT =
  "this call needs root (or the job's owner in a user session), or a D-Bus policy that allows it";

/**
 * Not allowed: Upstart's `PermissionDenied`, or the bus policy's `AccessDenied`.
 * The message adds a hint; `dbusMessage` keeps the original.
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@upstart/upstart";
 * const e = new PermissionDeniedError("You do not have permission to modify job: ssh");
 * console.assert(e.message.includes("needs root") && e.dbusMessage?.startsWith("You do not"));
 * ```
 */
export class PermissionDeniedError extends UpstartError {
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
      dbusOptions(E + "PermissionDenied", options),
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
 * import { InvalidArgumentError } from "@upstart/upstart";
 * console.assert(new InvalidArgumentError("No such variable: X").dbusName === "org.freedesktop.DBus.Error.InvalidArgs");
 * ```
 */
export class InvalidArgumentError extends UpstartError {
  /**
   * Makes the error.
   *
   * @param message Upstart's message.
   * @param options The D-Bus name and cause.
   */
  constructor(message: string, options: UpstartErrorOptions = {}) {
    super(message, dbusOptions(INVALID_ARGS, options));
  }
}

/**
 * Upstart rejected an environment: `Env must be KEY=VALUE pairs`, or an
 * instance job started without its instance variable (`Unknown parameter: N`).
 *
 * @example
 * ```ts
 * import { InvalidEnvError, InvalidArgumentError } from "@upstart/upstart";
 * console.assert(new InvalidEnvError("Env must be KEY=VALUE pairs") instanceof InvalidArgumentError);
 * ```
 */
export class InvalidEnvError extends InvalidArgumentError {}

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

/**
 * Upstart could not be reached: nothing listens on its socket, or no one owns
 * its bus name. The message says everything that was tried.
 *
 * @example
 * ```ts
 * import { UpstartNotRunningError } from "@upstart/upstart";
 * const e = new UpstartNotRunningError([{ target: "the system bus", reason: "no owner of com.ubuntu.Upstart" }]);
 * console.assert(e.message.includes("system bus"));
 * ```
 */
export class UpstartNotRunningError extends UpstartError {
  /** What was tried, in order, and why each failed. */
  readonly tried: readonly ConnectAttempt[];

  /**
   * Makes the error.
   *
   * @param tried Each attempt: where, and why it failed.
   * @param options The D-Bus name and cause (the last failure).
   */
  constructor(
    tried: readonly ConnectAttempt[],
    options: UpstartErrorOptions = {},
  ) {
    super(
      `Upstart is not running or cannot be reached: ${
        tried.map((t) => `${t.target}: ${t.reason}`).join("; ")
      }`,
      options,
    );
    this.tried = tried;
  }
}

/**
 * The daemon is older than the release that added a call.
 *
 * @example
 * ```ts
 * import { UnsupportedError } from "@upstart/upstart";
 * const e = new UnsupportedError("GetEnv", "1.7", "init (upstart 1.5)");
 * console.assert(e.since === "1.7" && e.message.includes("1.7"));
 * ```
 */
export class UnsupportedError extends UpstartError {
  /** The D-Bus member or property. */
  readonly feature: string;
  /** The first Upstart release that has it. */
  readonly since: string;
  /** The daemon's `version` string. */
  readonly daemonVersion: string;

  /**
   * Makes the error.
   *
   * @param feature The D-Bus member or property.
   * @param since The release that added it.
   * @param daemonVersion The daemon's version string.
   * @param options The D-Bus name and cause.
   */
  constructor(
    feature: string,
    since: string,
    daemonVersion: string,
    options: UpstartErrorOptions = {},
  ) {
    super(
      `${feature} needs Upstart ${since} or later: the daemon is ${JSON.stringify(daemonVersion)}`,
      options,
    );
    this.feature = feature;
    this.since = since;
    this.daemonVersion = daemonVersion;
  }
}

/**
 * `waitFor`, or a waited start, stop, restart or emit given a `timeout`, ran out of time.
 *
 * @example
 * ```ts
 * import { WaitTimeoutError } from "@upstart/upstart";
 * console.assert(new WaitTimeoutError("Timed out").name === "WaitTimeoutError");
 * ```
 */
export class WaitTimeoutError extends UpstartError {}

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
 * import { DBusError } from "@upstart/upstart/dbus";
 * import { toUpstartError, UnknownJobError } from "@upstart/upstart";
 * const e = toUpstartError(new DBusError("com.ubuntu.Upstart0_6.Error.UnknownJob", "Unknown job: x"));
 * console.assert(e instanceof UnknownJobError);
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
