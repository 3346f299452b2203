/**
 * An Upstart 1.13-compatible sandbox: serves Upstart's D-Bus API on a bus and really runs the
 * jobs of a directory as child processes of the current user, so that job files and code that
 * drives Upstart can be tested on a machine without Upstart. `startPrivateBus` starts a private
 * `dbus-daemon` for it (nothing is read from beside these modules: they run from JSR, a bundle
 * or any URL). From a shell: `deno run -A jsr:@upstart/upstart/cli sandbox [JOBDIR]`.
 *
 * @example Run a job in a sandbox and drive it through the typed API
 * ```ts ignore
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * import { System } from "@upstart/upstart";
 * await using bus = await startPrivateBus();
 * await using sandbox = await Sandbox.start({ jobDir: "./jobs", address: bus.address });
 * await using system = await System.connect({ address: bus.address });
 * const web = await system.job("web");
 * await web.start();
 * ```
 *
 * @module
 */

export { Sandbox, SANDBOX_VERSION } from "./sandbox.ts";
export type { LogLine, SandboxInstanceStatus, SandboxOptions } from "./sandbox.ts";
export { startPrivateBus } from "./private_bus.ts";
export type { PrivateBus, PrivateBusOptions } from "./private_bus.ts";
