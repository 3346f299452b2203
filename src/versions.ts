/**
 * Which Upstart release added each part of its D-Bus API, and the parsing of
 * the daemon's `version` property, so that a call an older daemon lacks fails
 * with an `UnsupportedError` naming the release that added it.
 *
 * The releases come from the declaration (`interface.ts`, where their sources are cited).
 *
 * @module
 */

import { UnsupportedError } from "./errors.ts";
import { INTERFACES } from "./interface.ts";

/** The oldest release in use (RHEL 6): what the declaration's `since` says for the rest. */
const OLDEST = "0.6.5";

/** A parsed Upstart version: `init (upstart 1.13.2)` → `[1, 13, 2]`. */
export interface UpstartVersion {
  /** The string the daemon reported. */
  readonly raw: string;
  /** Major, minor and patch numbers (patch 0 when absent). */
  readonly numbers: readonly [number, number, number];
  /** Anything after the version number inside or after the parentheses (`" sandbox"`), trimmed. */
  readonly suffix: string;
}

/** What an Upstart D-Bus feature is, for the table below. */
export interface Feature {
  /** `method`, `property` or `signal`. */
  readonly kind: "method" | "property" | "signal";
  /** `manager`, `job` or `instance`. */
  readonly object: "manager" | "job" | "instance";
  /** The D-Bus member or property name. */
  readonly member: string;
  /** The first release that has it. */
  readonly since: string;
  /** Where that fact comes from. */
  readonly source: string;
}

/**
 * Every part of Upstart's D-Bus API added after 0.6.5 (keyed `object.member`), read from the
 * declaration ({@linkcode UPSTART_API}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FEATURES } from "./versions.ts";
 * assert.equal(FEATURES["manager.GetEnv"].since, "1.7");
 * assert.equal(FEATURES["manager.GetJobByName"], undefined); // in every release
 * ```
 */
export const FEATURES: Readonly<Record<string, Feature>> = Object.freeze(features());

function features(): Record<string, Feature> {
  const out: Record<string, Feature> = {};
  for (const object of ["manager", "job", "instance"] as const) {
    const decl = INTERFACES[object];
    const kinds = [
      ["method", decl.methods],
      ["property", decl.properties],
      ["signal", decl.signals],
    ] as const;
    for (const [kind, members] of kinds) {
      for (const [member, { since, source }] of Object.entries(members)) {
        if (since === OLDEST) continue;
        out[`${object}.${member}`] = Object.freeze({
          kind,
          object,
          member,
          since,
          source: source ?? "",
        });
      }
    }
  }
  return out;
}

/**
 * Parses Upstart's `version` property (`init (upstart 1.13.2)`; anything after
 * the number, such as ` sandbox` or `-ubuntu1`, is kept as `suffix`).
 *
 * @param raw The property's value.
 * @returns The parsed version, or `null` when it names no version number.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVersion } from "@upstart/upstart";
 * assert.deepEqual(parseVersion("init (upstart 1.13.2)")?.numbers, [1, 13, 2]);
 * assert.equal(parseVersion("init (upstart 0.6.5) sandbox")?.suffix, "sandbox");
 * assert.equal(parseVersion("init"), null);
 * ```
 */
export function parseVersion(raw: string): UpstartVersion | null {
  if (typeof raw !== "string") return null;
  const m = /upstart\s+(\d+)\.(\d+)(?:\.(\d+))?([^)]*)\)?(.*)$/i.exec(raw);
  if (!m) return null;
  return {
    raw,
    numbers: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)],
    suffix: `${m[4]}${m[5]}`.trim(),
  };
}

/**
 * Compares two versions (`"1.7"`, `"0.6.7"` or parsed ones).
 *
 * @param a A version.
 * @param b Another.
 * @returns Negative when `a` is older than `b`, 0 when equal, positive when newer.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareVersions } from "@upstart/upstart";
 * assert.ok(compareVersions("1.5", "1.13") < 0); // numbers, not strings
 * assert.equal(compareVersions("1.13", "1.13.0"), 0);
 * ```
 */
export function compareVersions(a: string | UpstartVersion, b: string | UpstartVersion): number {
  const x = numbers(a), y = numbers(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

function numbers(v: string | UpstartVersion): readonly number[] {
  if (typeof v !== "string") return v.numbers;
  const parts = v.split(".").map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isInteger(n) || n < 0)) {
    throw new TypeError(`Invalid version ${JSON.stringify(v)}: expected MAJOR.MINOR[.PATCH]`);
  }
  return [parts[0], parts[1], parts[2] ?? 0];
}

/**
 * Whether a daemon of the given version has a feature. An unknown version
 * (`null`: unparsable) is assumed to have everything.
 *
 * @param version The daemon's parsed version, or `null`.
 * @param key A key of {@linkcode FEATURES} (`"manager.GetEnv"`); features not in the table are in every version.
 * @returns `true` when the daemon has it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVersion } from "@upstart/upstart";
 * import { hasFeature } from "./versions.ts";
 * assert.equal(hasFeature(parseVersion("init (upstart 1.5)"), "manager.GetEnv"), false);
 * assert.equal(hasFeature(parseVersion("init (upstart 1.13.2)"), "manager.GetEnv"), true);
 * ```
 */
export function hasFeature(version: UpstartVersion | null, key: string): boolean {
  const feature = FEATURES[key];
  return !feature || version === null || compareVersions(version, feature.since) >= 0;
}

/**
 * Throws {@linkcode UnsupportedError} when the daemon is older than the release
 * that added a feature.
 *
 * @param version The daemon's parsed version, or `null` (unknown: allowed).
 * @param key A key of {@linkcode FEATURES}.
 * @throws {UnsupportedError} naming the feature, the daemon's version and the release that added it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseVersion, UnsupportedError } from "@upstart/upstart";
 * import { requireFeature } from "./versions.ts";
 * const old = parseVersion("init (upstart 0.6.5)");
 * assert.throws(() => requireFeature(old, "instance.Reload"), (e) => {
 *   assert.ok(e instanceof UnsupportedError);
 *   assert.equal(e.since, "1.10");
 *   return true;
 * });
 * ```
 */
export function requireFeature(version: UpstartVersion | null, key: string): void {
  if (hasFeature(version, key)) return;
  const feature = FEATURES[key];
  const { member, since } = feature, daemonVersion = version!.raw;
  throw new UnsupportedError(
    `${member} needs Upstart ${since} or later: the daemon is ${JSON.stringify(daemonVersion)}`,
    { feature: member, since, daemonVersion },
  );
}
