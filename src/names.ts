/**
 * Upstart's object paths: job and instance names escaped exactly as libnih's
 * `nih_dbus_path` does (Upstart 1.13), the reverse, and the check that
 * rejects job names no job file can produce before any call is made.
 *
 * @module
 */

/**
 * The manager object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UPSTART_PATH } from "@upstart/upstart";
 * assert.equal(UPSTART_PATH, "/com/ubuntu/Upstart");
 * ```
 */
export const UPSTART_PATH = "/com/ubuntu/Upstart";
/**
 * The parent of every job object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JOBS_PATH, jobPath } from "@upstart/upstart";
 * assert.ok(jobPath("ssh").startsWith(JOBS_PATH + "/"));
 * ```
 */
export const JOBS_PATH = "/com/ubuntu/Upstart/jobs";
/**
 * The bus name Upstart owns on the system (or session) bus.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UPSTART_SERVICE } from "@upstart/upstart";
 * assert.equal(UPSTART_SERVICE, "com.ubuntu.Upstart");
 * ```
 */
export const UPSTART_SERVICE = "com.ubuntu.Upstart";
/**
 * The manager interface.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UPSTART_INTERFACE } from "@upstart/upstart";
 * assert.equal(UPSTART_INTERFACE, "com.ubuntu.Upstart0_6");
 * ```
 */
export const UPSTART_INTERFACE = "com.ubuntu.Upstart0_6";
/**
 * The job interface.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JOB_INTERFACE } from "@upstart/upstart";
 * assert.equal(JOB_INTERFACE, "com.ubuntu.Upstart0_6.Job");
 * ```
 */
export const JOB_INTERFACE = "com.ubuntu.Upstart0_6.Job";
/**
 * The instance interface.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { INSTANCE_INTERFACE } from "@upstart/upstart";
 * assert.equal(INSTANCE_INTERFACE, "com.ubuntu.Upstart0_6.Instance");
 * ```
 */
export const INSTANCE_INTERFACE = "com.ubuntu.Upstart0_6.Instance";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEX = "0123456789abcdef";

function isAlnum(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a);
}

function assertWellFormed(what: string, value: string): void {
  if (typeof value !== "string") {
    throw new TypeError(`Invalid ${what}: expected a string, got ${typeof value}`);
  }
  if (value.includes("\0")) {
    throw new TypeError(`Invalid ${what} ${JSON.stringify(value)}: contains a NUL character`);
  }
  // A lone surrogate has no UTF-8 form: TextEncoder would silently send U+FFFD instead.
  if (!value.isWellFormed()) {
    throw new TypeError(`Invalid ${what} ${JSON.stringify(value)}: contains a lone surrogate`);
  }
}

/**
 * Escapes one element of an Upstart object path as libnih's `nih_dbus_path`
 * does: `[A-Za-z0-9]` kept, every other byte of the UTF-8 form as `_` and two
 * lowercase hex digits, the empty string as `_`. Bytes of 0x80 and above come
 * out as `_ff`, as in Upstart 1.13 (libnih formats them as a signed `char`), so
 * distinct non-ASCII names can share a path.
 *
 * @param name A job or instance name.
 * @returns The path element.
 * @throws {TypeError} when `name` is not a string, contains NUL or a lone surrogate.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapePathElement } from "@upstart/upstart";
 * assert.equal(escapePathElement("avahi-daemon"), "avahi_2ddaemon");
 * assert.equal(escapePathElement(""), "_");
 * ```
 */
export function escapePathElement(name: string): string {
  assertWellFormed("name", name);
  if (name === "") return "_";
  let out = "";
  for (const byte of encoder.encode(name)) {
    if (isAlnum(byte)) out += String.fromCharCode(byte);
    else if (byte >= 0x80) out += "_ff";
    else out += "_" + HEX[byte >> 4] + HEX[byte & 15];
  }
  return out;
}

/**
 * Reverses {@linkcode escapePathElement}: `_` alone is the empty string, `_XX`
 * is the byte XX. An element made by Upstart 1.13 from a non-ASCII name holds
 * `_ff` for each such byte, which is not UTF-8: those decode to U+FFFD (see
 * {@linkcode isLossyPathElement}; the job's `name` property has the real name).
 *
 * @param element One path element (no `/`).
 * @returns The name.
 * @throws {TypeError} when `element` is not something `nih_dbus_path` can produce.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unescapePathElement } from "@upstart/upstart";
 * assert.equal(unescapePathElement("avahi_2ddaemon"), "avahi-daemon");
 * assert.equal(unescapePathElement("_"), "");
 * ```
 */
export function unescapePathElement(element: string): string {
  if (typeof element !== "string") {
    throw new TypeError(`Invalid path element: expected a string, got ${typeof element}`);
  }
  if (element === "_") return "";
  if (element === "") throw new TypeError(`Invalid path element "": it is empty`);
  const bytes: number[] = [];
  for (let i = 0; i < element.length; i++) {
    const c = element.charCodeAt(i);
    if (c < 0x80 && isAlnum(c)) {
      bytes.push(c);
      continue;
    }
    const hex = element.slice(i + 1, i + 3);
    if (element[i] !== "_" || !/^[0-9a-f]{2}$/.test(hex)) {
      throw new TypeError(
        `Invalid path element ${JSON.stringify(element)}: unexpected ${
          JSON.stringify(element.slice(i, i + 3))
        } at offset ${i}`,
      );
    }
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return decoder.decode(new Uint8Array(bytes));
}

/**
 * Whether a path element may stand for more than one name (it holds `_ff`, what
 * Upstart 1.13 writes for every non-ASCII byte), so that its unescaped form is
 * not the real name.
 *
 * @param element One path element.
 * @returns `true` when the element holds an `_ff` escape.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapePathElement } from "@upstart/upstart";
 * import { isLossyPathElement } from "./names.ts";
 * assert.ok(isLossyPathElement(escapePathElement("café")));
 * assert.ok(!isLossyPathElement("my_2djob"));
 * ```
 */
export function isLossyPathElement(element: string): boolean {
  if (typeof element !== "string") return false;
  // Walk escapes in order: in "_5fff", "ff" follows an escape and is plain text.
  for (let i = 0; i < element.length; i++) {
    if (element[i] !== "_") continue;
    if (element.slice(i + 1, i + 3) === "ff") return true;
    i += 2;
  }
  return false;
}

/**
 * Checks that a job name is one some job file can produce: Upstart names a job
 * after its file's path below the configuration directory without `.conf`
 * (`ssh`, `network-interface`, `sub/dir/job`), so a name is non-empty, holds no
 * NUL, and has no empty, `.` or `..` path segment (no leading, trailing or
 * doubled `/`).
 *
 * @param name The job name.
 * @returns `name`, unchanged.
 * @throws {TypeError} when `name` is not a string, or cannot be a job's name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertJobName } from "./names.ts";
 * assertJobName("avahi-daemon");
 * assert.throws(() => assertJobName("/etc/init/ssh"), TypeError);
 * ```
 */
export function assertJobName(name: string): string {
  assertWellFormed("job name", name);
  if (name === "") throw new TypeError('Invalid job name "": it is empty');
  for (const segment of name.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new TypeError(
        `Invalid job name ${
          JSON.stringify(name)
        }: a job is named after its file below the configuration directory, ` +
          `so it has no empty, "." or ".." path segment`,
      );
    }
  }
  return name;
}

/**
 * Checks an instance name (any string without NUL; `""` for a job without
 * `instance`).
 *
 * @param name The instance name.
 * @returns `name`, unchanged.
 * @throws {TypeError} when `name` is not a string or contains NUL.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertInstanceName } from "./names.ts";
 * assertInstanceName("tty1");
 * assert.throws(() => assertInstanceName("a\0b"), TypeError);
 * ```
 */
export function assertInstanceName(name: string): string {
  assertWellFormed("instance name", name);
  return name;
}

/**
 * The object path of a job, as Upstart registers it.
 *
 * @param job The job name.
 * @returns `/com/ubuntu/Upstart/jobs/ESC(job)`.
 * @throws {TypeError} when `job` cannot be a job name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobPath } from "@upstart/upstart";
 * assert.equal(jobPath("my-job"), "/com/ubuntu/Upstart/jobs/my_2djob");
 * ```
 */
export function jobPath(job: string): string {
  return `${JOBS_PATH}/${escapePathElement(assertJobName(job))}`;
}

/**
 * The object path of an instance, as Upstart registers it.
 *
 * @param job The job name.
 * @param instance The instance name (`""` for a job without `instance`).
 * @returns `/com/ubuntu/Upstart/jobs/ESC(job)/ESC(instance)`.
 * @throws {TypeError} when a name is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { instancePath } from "@upstart/upstart";
 * assert.equal(instancePath("ssh", ""), "/com/ubuntu/Upstart/jobs/ssh/_");
 * ```
 */
export function instancePath(job: string, instance: string): string {
  return `${jobPath(job)}/${escapePathElement(assertInstanceName(instance))}`;
}

/**
 * Splits a job or instance object path into its escaped elements.
 *
 * @param path An object path below `/com/ubuntu/Upstart/jobs/`.
 * @returns `{ job, instance }` path elements (`instance` is `null` for a job path),
 * or `null` when the path is not a job or instance path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitUpstartPath } from "./names.ts";
 * const parts = splitUpstartPath("/com/ubuntu/Upstart/jobs/tty/tty1");
 * assert.deepEqual(parts, { job: "tty", instance: "tty1" });
 * ```
 */
export function splitUpstartPath(
  path: string,
): { readonly job: string; readonly instance: string | null } | null {
  if (typeof path !== "string" || !path.startsWith(JOBS_PATH + "/")) return null;
  const rest = path.slice(JOBS_PATH.length + 1).split("/");
  if (rest.length > 2 || rest.some((e) => !/^[A-Za-z0-9_]+$/.test(e))) return null;
  return { job: rest[0], instance: rest.length === 2 ? rest[1] : null };
}
