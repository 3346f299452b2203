/**
 * Which Upstart release added each part of its D-Bus API, and the parsing of
 * the daemon's `version` property, so that a call an older daemon lacks fails
 * with an `UnsupportedError` naming the release that added it.
 *
 * Facts from ubports/upstart's history: the `dbus/com.ubuntu.Upstart*.xml`
 * files compared at each release commit (the commit where `NEWS` gets the
 * release date), with the commit that added each item and the `NEWS` entry.
 * Release commits: 0.6.5 bfae97b5, 0.6.7 5f66d4d8, 1.3 88748d8f, 1.5 17ed1643,
 * 1.6.1 a5ea3abc, 1.7 f0e036ab, 1.10 08ad2696, 1.11 8fb66f93, 1.13 0ea889cc.
 * Everything not listed is in 0.6.5, the oldest release in use (RHEL 6); the
 * interface names (`com.ubuntu.Upstart0_6*`) date from 0.6.0.
 *
 * @module
 */

import { UnsupportedError } from "./errors.ts";

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
 * Every part of Upstart's D-Bus API added after 0.6.5 (keyed `object.member`).
 *
 * @example
 * ```ts
 * import { FEATURES } from "./versions.ts";
 * console.assert(FEATURES["manager.GetEnv"].since === "1.7");
 * ```
 */
export const FEATURES: Readonly<Record<string, Feature>> = Object.freeze({
  // 0.6.7: commit da28a632 "Implement properties for start_on, stop_on and emits"; NEWS 0.6.7.
  "job.start_on": f("property", "job", "start_on", "0.6.7", "da28a632 (NEWS 0.6.7)"),
  "job.stop_on": f("property", "job", "stop_on", "0.6.7", "da28a632 (NEWS 0.6.7)"),
  "job.emits": f("property", "job", "emits", "0.6.7", "da28a632 (NEWS 0.6.7)"),
  // 0.6.7: commits 8ed1c1e6 (StateChanged), e2d8fac3 (GoalChanged), 874aab1c (Failed);
  // NEWS 0.6.7: "Upstart now emits a GoalChanged D-Bus signal ... StateChanged ... Failed".
  "instance.GoalChanged": f("signal", "instance", "GoalChanged", "0.6.7", "e2d8fac3 (NEWS 0.6.7)"),
  "instance.StateChanged": f(
    "signal",
    "instance",
    "StateChanged",
    "0.6.7",
    "8ed1c1e6 (NEWS 0.6.7)",
  ),
  "instance.Failed": f("signal", "instance", "Failed", "0.6.7", "874aab1c (NEWS 0.6.7)"),
  // 1.3: commit e36718b1 "adding file descriptors to the events" (first in release 88748d8f).
  "manager.EmitEventWithFile": f("method", "manager", "EmitEventWithFile", "1.3", "e36718b1"),
  // 1.5: commit efaa97e0 "added 'NotifyDiskWriteable' method"; fe50645a "Add usage stanza".
  "manager.NotifyDiskWriteable": f(
    "method",
    "manager",
    "NotifyDiskWriteable",
    "1.5",
    "efaa97e0 (NEWS 1.5)",
  ),
  "job.usage": f("property", "job", "usage", "1.5", "fe50645a (NEWS 1.5)"),
  // 1.6.1: commits 3388f497 (Restart), 332db8b1 (GetState); NEWS 1.6.1 "Added Restart D-Bus method".
  "manager.Restart": f("method", "manager", "Restart", "1.6.1", "3388f497 (NEWS 1.6.1)"),
  "manager.GetState": f("method", "manager", "GetState", "1.6.1", "332db8b1 (NEWS 1.6.1)"),
  // 1.7: commits 68094551 (GetEnv, SetEnv), db1893f5 (ListEnv), 47143d07 (UnsetEnv, ResetEnv),
  // 60c09bdc (job_details argument), 11da1af5 (EndSession), 0efc23a7 (EventEmitted),
  // eec1439a (Restarted); NEWS 1.7 "New D-Bus-only signals EventEmitted, Restarted, and EndSession method".
  "manager.GetEnv": f("method", "manager", "GetEnv", "1.7", "68094551, 60c09bdc (NEWS 1.7)"),
  "manager.SetEnv": f("method", "manager", "SetEnv", "1.7", "68094551, 60c09bdc (NEWS 1.7)"),
  "manager.ListEnv": f("method", "manager", "ListEnv", "1.7", "db1893f5, 60c09bdc (NEWS 1.7)"),
  "manager.UnsetEnv": f("method", "manager", "UnsetEnv", "1.7", "47143d07, 60c09bdc (NEWS 1.7)"),
  "manager.ResetEnv": f("method", "manager", "ResetEnv", "1.7", "47143d07, 60c09bdc (NEWS 1.7)"),
  "manager.EndSession": f("method", "manager", "EndSession", "1.7", "11da1af5 (NEWS 1.7)"),
  "manager.EventEmitted": f("signal", "manager", "EventEmitted", "1.7", "0efc23a7 (NEWS 1.7)"),
  "manager.Restarted": f("signal", "manager", "Restarted", "1.7", "eec1439a (NEWS 1.7)"),
  // 1.10: commit 7fcc30a0 "Add reload signal stanza" adds Instance.Reload (release 08ad2696).
  "instance.Reload": f("method", "instance", "Reload", "1.10", "7fcc30a0 (NEWS 1.10)"),
  // 1.11: commit b9c6b3b4 "Added 'NotifyDBusAddress' method" (release 8fb66f93).
  "manager.NotifyDBusAddress": f(
    "method",
    "manager",
    "NotifyDBusAddress",
    "1.11",
    "b9c6b3b4 (NEWS 1.11)",
  ),
  // 1.13: commits af6f3575 + 7157e39a (SetEnvList, UnsetEnvList), 8383e4b5 (cgroups merge:
  // NotifyCGroupManagerAddress); release 0ea889cc.
  "manager.SetEnvList": f("method", "manager", "SetEnvList", "1.13", "af6f3575, 7157e39a"),
  "manager.UnsetEnvList": f("method", "manager", "UnsetEnvList", "1.13", "af6f3575, 7157e39a"),
  "manager.NotifyCGroupManagerAddress": f(
    "method",
    "manager",
    "NotifyCGroupManagerAddress",
    "1.13",
    "8383e4b5 (NEWS 1.13)",
  ),
});

function f(
  kind: Feature["kind"],
  object: Feature["object"],
  member: string,
  since: string,
  source: string,
): Feature {
  return Object.freeze({ kind, object, member, since, source });
}

/**
 * Parses Upstart's `version` property (`init (upstart 1.13.2)`; anything after
 * the number, such as ` sandbox` or `-ubuntu1`, is kept as `suffix`).
 *
 * @param raw The property's value.
 * @returns The parsed version, or `null` when it names no version number.
 * @example
 * ```ts
 * import { parseVersion } from "@upstart/upstart";
 * console.assert(parseVersion("init (upstart 1.13.2)")?.numbers.join(".") === "1.13.2");
 * console.assert(parseVersion("init (upstart 0.6.5) sandbox")?.suffix === "sandbox");
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
 * import { compareVersions } from "@upstart/upstart";
 * console.assert(compareVersions("1.5", "1.13") < 0);
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
 * import { parseVersion } from "@upstart/upstart";
 * import { hasFeature } from "./versions.ts";
 * console.assert(!hasFeature(parseVersion("init (upstart 1.5)"), "manager.GetEnv"));
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
 * import { parseVersion, UnsupportedError } from "@upstart/upstart";
 * import { requireFeature } from "./versions.ts";
 * try {
 *   requireFeature(parseVersion("init (upstart 0.6.5)"), "instance.Reload");
 * } catch (e) {
 *   console.assert(e instanceof UnsupportedError && e.since === "1.10");
 * }
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
