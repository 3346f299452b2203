/**
 * Upstart's job goals and states, with their D-Bus names.
 *
 * @module
 */

/** A job's goal (`respawn` while a respawn waits for a post-start or pre-stop process). */
export type JobGoal = "stop" | "start" | "respawn";

/** Every state, in Upstart's order. */
export const JOB_STATES = [
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
] as const;

/** A job state name. */
export type JobState = typeof JOB_STATES[number];

/** The process slots in Upstart's order (`job_get_processes` lists them so). */
export const PROCESS_ORDER = ["main", "pre-start", "post-start", "pre-stop", "post-stop"] as const;
