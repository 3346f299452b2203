/**
 * An Upstart 1.13-compatible sandbox: serves Upstart's D-Bus API on a bus and really runs the
 * jobs of a directory as child processes of the current user, so that job files and code that
 * drives Upstart can be tested on a machine without Upstart. `startPrivateBus` starts a private
 * `dbus-daemon` for it (nothing is read from beside these modules: they run from JSR, a bundle
 * or any URL). From a shell: `deno run -A jsr:@upstart/upstart/cli sandbox [JOBDIR]`.
 *
 * @example Check, without Upstart, which events start a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * import { System } from "@upstart/upstart";
 * const jobDir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${jobDir}/deploy.conf`, "start on deploy ENV=staging\nexec sleep 60\n");
 * try {
 *   await using bus = await startPrivateBus();
 *   await using sandbox = await Sandbox.start({ jobDir, address: bus.address });
 *   await using system = await System.connect({ address: bus.address });
 *   await system.emit("deploy", { ENV: "prod" });
 *   assert.deepEqual(sandbox.status("deploy"), []); // not for prod
 *   await system.emit("deploy", { ENV: "staging" }); // returns once the jobs it starts run
 *   assert.equal(sandbox.status("deploy")[0].state, "running");
 * } finally {
 *   await Deno.remove(jobDir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export { Sandbox, SANDBOX_VERSION } from "./sandbox.ts";
export type { LogLine, SandboxInstanceStatus, SandboxOptions } from "./sandbox.ts";
export { startPrivateBus } from "./private_bus.ts";
export type { PrivateBus, PrivateBusOptions } from "./private_bus.ts";
