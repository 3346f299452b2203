/**
 * An Upstart 1.13-compatible sandbox: serves Upstart's D-Bus API on a bus and really runs the
 * jobs of a directory as child processes of the current user.
 *
 * @example Starting a sandbox on a bus
 * ```ts no-eval
 * import { Sandbox } from "./mod.ts";
 * await using sb = await Sandbox.start({ jobDir: "examples/jobs", address: "unix:path=/tmp/bus" });
 * ```
 *
 * @module
 */

export { Sandbox, SANDBOX_VERSION } from "./sandbox.ts";
export { type PrivateBus, startPrivateBus } from "./private_bus.ts";
export type { LogLine, SandboxOptions } from "./sandbox.ts";
export { Engine } from "./engine.ts";
export type { EngineHooks, EngineOptions, Outcome } from "./engine.ts";
export { SandboxError } from "./errors.ts";
export { JobInstance } from "./job.ts";
export { JobClass } from "./job_class.ts";
export { STATES as JOB_STATES } from "../states.ts";
export type { Goal as JobGoal, State as JobState } from "../states.ts";
