/**
 * initctl's words for "Upstart cannot be reached". initctl connects once, to
 * one place, and says which: `Unable to connect to Upstart: …` for a peer
 * socket (the private socket as root, `$UPSTART_SESSION` in user mode),
 * `Unable to connect to system bus: …` or `… session bus: …` when the bus
 * itself fails, followed by libdbus's message; when the bus answers but
 * Upstart is not on it, its first call fails with the bus's own message
 * (`Name "com.ubuntu.Upstart" does not exist`).
 *
 * @module
 */

import type { ConnectAttempt, UpstartNotRunningError } from "../errors.ts";

/**
 * How the command line chose where Upstart is, as far as initctl has a rule
 * for it: `default` (root: the private socket, else the system bus),
 * `system`, `session`, `user`; `null` for our own ways (`--address`,
 * `--host`), which keep our message naming everything tried.
 */
export type InitctlVia = "default" | "system" | "session" | "user" | null;

/** initctl's prefix for a failed connection to one of our targets (`null`: none). */
function prefixFor(label: string, via: InitctlVia): string | null {
  if (via === "system") return "Unable to connect to system bus";
  if (via === "session") return "Unable to connect to session bus";
  if (via === "user") return "Unable to connect to Upstart";
  if (label === "the system bus") return "Unable to connect to system bus";
  if (label.startsWith("the private socket")) return "Unable to connect to Upstart";
  return null;
}

/** One attempt in initctl's words: the bus's message when the connection worked, else prefixed. */
function attemptText(attempt: ConnectAttempt, via: InitctlVia): string | null {
  // Our probe found the bus but nobody owning the name: initctl's first call (sent without
  // auto-start) gets dbus-daemon's NameHasNoOwner message.
  if (attempt.failure === "no-owner") return `Name "${attempt.detail}" does not exist`;
  // Something answered but not as Upstart: initctl prints that call's error.
  if (attempt.failure === "not-upstart") return attempt.detail ?? attempt.reason;
  const prefix = prefixFor(attempt.target, via);
  return prefix === null ? null : `${prefix}: ${attempt.detail ?? attempt.reason}`;
}

/**
 * The message for an {@linkcode UpstartNotRunningError}: initctl's, for the
 * attempt initctl itself would have made (the first); any fallback we tried
 * beyond it (root: the system bus after the private socket) is added in
 * parentheses. Our own connection options keep the error's full message.
 *
 * @param e The error.
 * @param via How the command line chose where Upstart is.
 * @returns The text after `initctl: `.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UpstartNotRunningError } from "../errors.ts";
 * import { unreachableMessage } from "./unreachable.ts";
 * const tried = [{ target: "the system bus", reason: "Connection refused" }];
 * const e = new UpstartNotRunningError("Upstart is not running", { tried });
 * assert.equal(unreachableMessage(e, "system"), "Unable to connect to system bus: Connection refused");
 * ```
 */
export function unreachableMessage(e: UpstartNotRunningError, via: InitctlVia): string {
  const [first, ...rest] = e.tried;
  const text = first === undefined || via === null ? null : attemptText(first, via);
  if (text === null) return e.message;
  if (rest.length === 0) return text;
  return `${text} (then tried ${rest.map((t) => `${t.target}: ${t.reason}`).join("; ")})`;
}
