/**
 * Errors of the D-Bus layer. Bad arguments are plain `TypeError`/`RangeError`;
 * everything that comes from the bus or the connection is one of these.
 *
 * @module
 */

/**
 * A D-Bus error: an error reply from a peer, or an error libdbus reported.
 *
 * @example Handling an error reply
 * ```ts
 * import assert from "node:assert/strict";
 * import { Connection, DBusError } from "@upstart/upstart/dbus";
 * await using bus = await Connection.session();
 * await assert.rejects(
 *   bus.call({ destination: "org.example.Nope", path: "/", interface: "org.example.Nope", member: "Hi" }),
 *   (e) => e instanceof DBusError && e.name === "org.freedesktop.DBus.Error.ServiceUnknown",
 * );
 * ```
 */
export class DBusError extends Error {
  /** The D-Bus error name, e.g. `org.freedesktop.DBus.Error.ServiceUnknown`. */
  override readonly name: string;
  /** The values of the error reply beyond its message string, if any. */
  readonly body: unknown[];

  /**
   * Makes an error; serving handlers throw one to send an error reply.
   *
   * @param name The D-Bus error name.
   * @param message The human-readable message.
   * @param body Extra values of the reply (rarely used).
   * @example Replying with an error from a handler
   * ```ts
   * import assert from "node:assert/strict";
   * import { DBusError } from "@upstart/upstart/dbus";
   * const e = new DBusError("org.example.Error.Nope", "Not today");
   * assert.equal(e.name, "org.example.Error.Nope");
   * ```
   */
  constructor(name: string, message: string, body: unknown[] = []) {
    super(message);
    this.name = name;
    this.body = body;
  }
}

/**
 * libdbus-1 (or libc) could not be loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LibraryLoadError } from "@upstart/upstart/dbus";
 * const e = new LibraryLoadError("Cannot load libdbus-1.so.3");
 * assert.ok(e instanceof Error);
 * ```
 */
export class LibraryLoadError extends Error {
  /** The error class name. */
  override readonly name = "LibraryLoadError";
}

/**
 * A method call got no reply within its timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "@upstart/upstart/dbus";
 * assert.equal(new TimeoutError("no reply").name, "TimeoutError");
 * ```
 */
export class TimeoutError extends Error {
  /** The error class name. */
  override readonly name = "TimeoutError";
}

/**
 * The connection was closed by this side (`close()`) while a call was pending,
 * or a call was made on a closed connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionClosedError } from "@upstart/upstart/dbus";
 * assert.equal(new ConnectionClosedError("closed").name, "ConnectionClosedError");
 * ```
 */
export class ConnectionClosedError extends Error {
  /** The error class name. */
  override readonly name = "ConnectionClosedError";
}

/**
 * The other side went away: the bus daemon or peer closed the socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DisconnectedError } from "@upstart/upstart/dbus";
 * assert.equal(new DisconnectedError("gone").name, "DisconnectedError");
 * ```
 */
export class DisconnectedError extends Error {
  /** The error class name. */
  override readonly name = "DisconnectedError";
}

/**
 * A signal stream's consumer fell too far behind: the stream kept `limit`
 * unread signals, unsubscribed when one more came, and ends with this error
 * once the kept ones are read. Signals after the overflow were not delivered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SignalOverflowError } from "@upstart/upstart/dbus";
 * const error = new SignalOverflowError(10_000);
 * assert.equal(error.name, "SignalOverflowError");
 * assert.equal(error.limit, 10_000);
 * ```
 */
export class SignalOverflowError extends Error {
  /** The error class name. */
  override readonly name = "SignalOverflowError";
  /** How many unread signals the stream kept. */
  readonly limit: number;

  /**
   * Makes the error of a stream that kept `limit` unread signals.
   *
   * @param limit How many unread signals the stream kept.
   */
  constructor(limit: number) {
    super(
      `The signal stream fell ${limit} signals behind and was ended: later signals were not delivered`,
    );
    this.limit = limit;
  }
}
