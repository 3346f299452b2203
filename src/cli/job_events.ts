/**
 * Job events (`starting`, `started`, `stopping`, `stopped`) and which of
 * their arguments names the job, as initctl reads conditions: shared by
 * `show-config -e`, `check-config` and `graph`.
 *
 * @module
 */

/**
 * The events Upstart emits for jobs: their arguments name a job.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { JOB_EVENTS } from "./job_events.ts";
 * assert.deepEqual(JOB_EVENTS, ["starting", "started", "stopping", "stopped"]);
 * ```
 */
export const JOB_EVENTS: readonly string[] = ["starting", "started", "stopping", "stopped"];

/**
 * initctl's GET_JOB_NAME: whether an argument of a job event names the job
 * (`JOB=db` anywhere, or a first argument without `=`).
 *
 * @param index The argument's position (0 for the first after the event name).
 * @param arg The argument.
 * @returns The job name, or `null`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { jobNameOf } from "./job_events.ts";
 * assert.equal(jobNameOf(0, "db"), "db"); // started db
 * assert.equal(jobNameOf(1, "JOB=web"), "web");
 * assert.equal(jobNameOf(1, "db"), null);
 * ```
 */
export function jobNameOf(index: number, arg: string): string | null {
  if (arg.startsWith("JOB=")) return arg.slice(4);
  if (index === 0 && !arg.includes("=")) return arg;
  return null;
}
