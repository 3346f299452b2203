/**
 * Validators for D-Bus names and paths, mirroring libdbus's rules
 * (libdbus aborts the process when handed an invalid one).
 *
 * @module
 */

const PATH = /^\/$|^(\/[A-Za-z0-9_]+)+$/;
const ELEMENT = "[A-Za-z_][A-Za-z0-9_]*";
const INTERFACE = new RegExp(`^${ELEMENT}(\\.${ELEMENT})+$`);
const MEMBER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const WELL_KNOWN = /^[A-Za-z_-][A-Za-z0-9_-]*(\.[A-Za-z_-][A-Za-z0-9_-]*)+$/;
const UNIQUE = /^:[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;

/**
 * Whether `s` is a valid object path.
 *
 * @param s The candidate.
 * @returns `true` for e.g. `/com/ubuntu/Upstart`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidObjectPath } from "@upstart/upstart/dbus";
 * assert.ok(isValidObjectPath("/a/b"));
 * assert.ok(!isValidObjectPath("/a/"));
 * ```
 */
export function isValidObjectPath(s: unknown): s is string {
  return typeof s === "string" && PATH.test(s);
}

/**
 * Whether `s` is a valid interface (or error) name.
 *
 * @param s The candidate.
 * @returns `true` for e.g. `com.ubuntu.Upstart0_6`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidInterfaceName } from "@upstart/upstart/dbus";
 * assert.ok(isValidInterfaceName("a.b"));
 * assert.ok(!isValidInterfaceName("a"));
 * ```
 */
export function isValidInterfaceName(s: unknown): s is string {
  return typeof s === "string" && s.length <= 255 && INTERFACE.test(s);
}

/**
 * Whether `s` is a valid member (method or signal) name.
 *
 * @param s The candidate.
 * @returns `true` for e.g. `GetAllJobs`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidMemberName } from "@upstart/upstart/dbus";
 * assert.ok(isValidMemberName("Start"));
 * assert.ok(!isValidMemberName("a.b"));
 * ```
 */
export function isValidMemberName(s: unknown): s is string {
  return typeof s === "string" && s.length <= 255 && MEMBER.test(s);
}

/**
 * Whether `s` is a valid bus name, unique (`:1.42`) or well-known.
 *
 * @param s The candidate.
 * @returns `true` for e.g. `com.ubuntu.Upstart`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isValidBusName } from "@upstart/upstart/dbus";
 * assert.ok(isValidBusName(":1.4"));
 * assert.ok(!isValidBusName("nodots"));
 * ```
 */
export function isValidBusName(s: unknown): s is string {
  return typeof s === "string" && s.length <= 255 && (UNIQUE.test(s) || WELL_KNOWN.test(s));
}

/**
 * Whether a JS string can be sent as a D-Bus string: well-formed UTF-16 (so valid UTF-8) and no NUL.
 *
 * @param s The candidate.
 * @returns `true` when libdbus will accept it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSendableString } from "@upstart/upstart/dbus";
 * assert.ok(isSendableString("ok"));
 * assert.ok(!isSendableString("a\0b"));
 * ```
 */
export function isSendableString(s: unknown): s is string {
  return typeof s === "string" && !s.includes("\0") && s.isWellFormed();
}

function assert(ok: boolean, what: string, kind: string, value: unknown): void {
  if (!ok) throw new TypeError(`Invalid ${kind} for ${what}: ${JSON.stringify(value)}`);
}

/**
 * Throws a `TypeError` unless `s` is a valid object path.
 *
 * @param s The candidate.
 * @param what What it is, for the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertObjectPath } from "@upstart/upstart/dbus";
 * assertObjectPath("/com/ubuntu/Upstart");
 * assert.throws(() => assertObjectPath("/a/"), TypeError);
 * ```
 */
export function assertObjectPath(s: unknown, what = "path"): asserts s is string {
  assert(isValidObjectPath(s), what, "object path", s);
}

/**
 * Throws a `TypeError` unless `s` is a valid interface name.
 *
 * @param s The candidate.
 * @param what What it is, for the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertInterfaceName } from "@upstart/upstart/dbus";
 * assertInterfaceName("com.ubuntu.Upstart0_6");
 * assert.throws(() => assertInterfaceName("nodots"), TypeError);
 * ```
 */
export function assertInterfaceName(s: unknown, what = "interface"): asserts s is string {
  assert(isValidInterfaceName(s), what, "interface name", s);
}

/**
 * Throws a `TypeError` unless `s` is a valid member name.
 *
 * @param s The candidate.
 * @param what What it is, for the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertMemberName } from "@upstart/upstart/dbus";
 * assertMemberName("GetAllJobs");
 * assert.throws(() => assertMemberName("a.b"), TypeError);
 * ```
 */
export function assertMemberName(s: unknown, what = "member"): asserts s is string {
  assert(isValidMemberName(s), what, "member name", s);
}

/**
 * Throws a `TypeError` unless `s` is a valid bus name.
 *
 * @param s The candidate.
 * @param what What it is, for the message.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertBusName } from "@upstart/upstart/dbus";
 * assertBusName("com.ubuntu.Upstart");
 * assert.throws(() => assertBusName("nodots"), TypeError);
 * ```
 */
export function assertBusName(s: unknown, what = "bus name"): asserts s is string {
  assert(isValidBusName(s), what, "bus name", s);
}
