/**
 * Events and what blocks on them (Upstart's `Event` and `Blocked`, `init/event.c`,
 * `init/blocked.c`).
 *
 * @module
 */

import type { JobInstance } from "./job.ts";

/** Where an event is in its life: queued, being handled (blocked), done. */
export type EventProgress = "pending" | "handling" | "finished";

/** What an event, or a job, holds up until it is done. */
export type Blocked =
  | { readonly kind: "job"; readonly job: JobInstance }
  | { readonly kind: "event"; readonly event: SandboxEvent }
  | {
    readonly kind: "method";
    /** Called once: `failed` is `true` when the job failed (the caller replies with an error). */
    readonly done: (failed: boolean) => void;
  };

/** One event in the queue. */
export class SandboxEvent {
  /** Its name. */
  readonly name: string;
  /** Its environment, `KEY=VALUE` (positional arguments are matched against values in order). */
  readonly env: readonly string[];
  /** Where it is in its life. */
  progress: EventProgress = "pending";
  /** How many things (matched conditions, jobs it started) hold it up. */
  blockers = 0;
  /** Jobs waiting for it to finish and emitters waiting for a reply. */
  readonly blocking: Blocked[] = [];
  /** A job it started or stopped failed. */
  failed = false;

  /** Makes an event (queue it with the engine's `emit`). */
  constructor(name: string, env: readonly string[]) {
    this.name = name;
    this.env = [...env];
  }
}
