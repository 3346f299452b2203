/**
 * Upstart's instance goals and states, in its own order, and its log
 * priorities: shared by the typed API and the sandbox so that both speak the
 * same names.
 *
 * @module
 */

/**
 * An instance's goal: `start` or `stop`, and briefly `respawn` while a
 * respawn waits for a running post-start or pre-stop process (Upstart's
 * `JOB_RESPAWN`).
 */
export type Goal = "start" | "stop" | "respawn";

/**
 * Every goal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { GOALS } from "./states.ts";
 * assert.deepEqual(GOALS, ["start", "stop", "respawn"]);
 * ```
 */
export const GOALS: readonly Goal[] = Object.freeze(["start", "stop", "respawn"]);

/** An instance's state. */
export type State =
  | "waiting"
  | "starting"
  | "security-spawning"
  | "security"
  | "pre-starting"
  | "pre-start"
  | "spawning"
  | "spawned"
  | "post-starting"
  | "post-start"
  | "running"
  | "pre-stopping"
  | "pre-stop"
  | "stopping"
  | "killed"
  | "post-stopping"
  | "post-stop";

/**
 * Upstart's instance states, in the order a start and a stop go through them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { STATES } from "@upstart/upstart";
 * assert.ok(STATES.indexOf("spawned") < STATES.indexOf("running"));
 * ```
 */
export const STATES: readonly State[] = Object.freeze([
  "waiting",
  "starting",
  "security-spawning",
  "security",
  "pre-starting",
  "pre-start",
  "spawning",
  "spawned",
  "post-starting",
  "post-start",
  "running",
  "pre-stopping",
  "pre-stop",
  "stopping",
  "killed",
  "post-stopping",
  "post-stop",
]);

/** The process slots in Upstart's order (`job_get_processes` lists them so). */
export const PROCESS_ORDER = ["main", "pre-start", "post-start", "pre-stop", "post-stop"] as const;

/** A log priority. */
export type LogPriority = "debug" | "info" | "message" | "warn" | "error" | "fatal";

/**
 * Upstart's log priorities, from most to least verbose.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOG_PRIORITIES } from "@upstart/upstart";
 * assert.ok(LOG_PRIORITIES.indexOf("debug") < LOG_PRIORITIES.indexOf("error"));
 * ```
 */
export const LOG_PRIORITIES: readonly LogPriority[] = Object.freeze([
  "debug",
  "info",
  "message",
  "warn",
  "error",
  "fatal",
]);
