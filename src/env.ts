/**
 * Environments as Upstart takes them: `KEY=VALUE` strings, from an object or
 * a list, checked before anything is sent; and the `job_details` argument of
 * the session-environment calls.
 *
 * @module
 */

import { assertInstanceName, assertJobName } from "./names.ts";

/** An environment: `{ KEY: "value" }` or `["KEY=value"]`. */
export type Env = Readonly<Record<string, string>> | readonly string[];

/** Which environment a session-environment call works on. */
export interface EnvScope {
  /** A job's environment instead of the global (session) one. */
  readonly job?: string;
  /** The instance of `job` (default `""`). */
  readonly instance?: string;
}

function fail(where: string, what: string): never {
  throw new TypeError(`Invalid environment ${where}: ${what}`);
}

function checkText(where: string, text: string): void {
  if (text.includes("\0")) fail(where, "contains a NUL character");
  if (!text.isWellFormed()) fail(where, "contains a lone surrogate");
}

/**
 * Checks a variable name: non-empty, no `=`, no NUL.
 *
 * @param key The name.
 * @returns `key`.
 * @throws {TypeError} when it cannot be a variable name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertEnvKey } from "./env.ts";
 * assertEnvKey("PORT");
 * assert.throws(() => assertEnvKey("A=B"), TypeError);
 * ```
 */
export function assertEnvKey(key: string): string {
  if (typeof key !== "string") fail("key", `expected a string, got ${typeof key}`);
  const where = `key ${JSON.stringify(key)}`;
  if (key === "") fail(where, "it is empty");
  if (key.includes("=")) fail(where, 'a key may not contain "="');
  checkText(where, key);
  return key;
}

/**
 * Turns an environment into Upstart's `KEY=VALUE` list, checking every entry.
 *
 * @param env An object of strings, or a list of `KEY=VALUE` strings.
 * @returns The list.
 * @throws {TypeError} for a key that is empty or holds `=`, an entry without `=`, a NUL, or a non-string.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toEnvList } from "@upstart/upstart";
 * assert.equal(toEnvList({ PORT: "8080" })[0], "PORT=8080");
 * assert.equal(toEnvList(["A=1"])[0], "A=1");
 * ```
 */
export function toEnvList(env: Env | undefined): string[] {
  if (env === undefined) return [];
  if (Array.isArray(env)) {
    return env.map((item, i) => {
      if (typeof item !== "string") fail(`entry ${i}`, `expected a string, got ${typeof item}`);
      // As Upstart's environ_all_valid: an `=` somewhere is all a list entry needs (`=x` too).
      if (!item.includes("=")) fail(`entry ${JSON.stringify(item)}`, "expected KEY=VALUE");
      checkText(`entry ${JSON.stringify(item)}`, item);
      return item;
    });
  }
  if (env === null || typeof env !== "object") {
    fail("", `expected an object or a list of KEY=VALUE strings, got ${env}`);
  }
  return Object.entries(env).map(([key, value]) => {
    assertEnvKey(key);
    if (typeof value !== "string") {
      fail(`value of ${key}`, `expected a string, got ${typeof value}`);
    }
    checkText(`value of ${key}`, value);
    return `${key}=${value}`;
  });
}

/**
 * Turns a `KEY=VALUE` list into an object (an entry without `=` gets `""`).
 *
 * @param list The list.
 * @returns The object, in list order (a later duplicate wins).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromEnvList } from "@upstart/upstart";
 * assert.equal(fromEnvList(["A=1", "B=x=y"]).B, "x=y");
 * ```
 */
export function fromEnvList(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf("=");
    if (eq < 0) out[item] = "";
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * The `job_details` argument of `GetEnv` and its siblings: `[]` for the global
 * environment, `[job, instance]` for a job's.
 *
 * @param scope The job and instance, or nothing.
 * @returns The array to send.
 * @throws {TypeError} for an invalid job or instance name.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobDetails } from "./env.ts";
 * assert.equal(jobDetails({}).length, 0);
 * assert.equal(jobDetails({ job: "web" }).join("|"), "web|");
 * ```
 */
export function jobDetails(scope: EnvScope = {}): string[] {
  if (scope.job === undefined) {
    if (scope.instance !== undefined) {
      throw new TypeError("Invalid environment scope: an instance needs a job");
    }
    return [];
  }
  return [assertJobName(scope.job), assertInstanceName(scope.instance ?? "")];
}
