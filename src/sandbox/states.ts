/**
 * Upstart's job goals and states, under the sandbox's names (one list for the
 * typed API and the sandbox: `src/states.ts`).
 *
 * @module
 */

export { PROCESS_ORDER, STATES as JOB_STATES } from "../states.ts";
export type { Goal as JobGoal, State as JobState } from "../states.ts";
