/**
 * Manage the Upstart init daemon from Deno: typed `System`, `Job` and
 * `Instance` APIs over Upstart's D-Bus API (locally or over ssh), and a
 * lossless job-file parser, writer, builder and checker.
 *
 * Importing this module loads nothing native: libdbus is loaded on the first
 * connection, so the job-file tools need no `--allow-ffi`.
 *
 * @example Start a job and wait until it runs
 * ```ts no-eval
 * import { System } from "@upstart/upstart";
 * await using system = await System.connect(); // like initctl
 * const web = await system.job("web");
 * const inst = await web.start({ env: { PORT: "8080" } });
 * console.log(inst.state, inst.processes); // "running" [{ type: "main", pid: 4242 }]
 * ```
 *
 * @example Parse a job file and read its configuration
 * ```ts
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob("description \"web\"\nstart on runlevel [2345]\nexec /usr/bin/web\n");
 * console.assert(doc.config.description === "web");
 * ```
 *
 * @module
 */

export * from "./src/jobfile/mod.ts";

// The typed Upstart API.
export { LOG_PRIORITIES, System } from "./src/system.ts";
export type {
  EmitOptions,
  JobsOptions,
  JobStatus,
  LogPriority,
  StatusAllOptions,
  SystemOptions,
} from "./src/system.ts";
export { Job } from "./src/job.ts";
export type { JobControlOptions, JobInfo } from "./src/job.ts";
export { failureText, Instance, STATES } from "./src/instance.ts";
export type {
  ControlOptions,
  Goal,
  InstanceStatus,
  ProcessInfo,
  State,
  WaitOptions,
} from "./src/instance.ts";
export { EVENT_TYPES, toUpstartEvent } from "./src/events.ts";
export type {
  EventEmittedEvent,
  EventStream,
  FailedEvent,
  GoalChangedEvent,
  InstanceAddedEvent,
  InstanceRef,
  InstanceRemovedEvent,
  JobAddedEvent,
  JobRemovedEvent,
  RestartedEvent,
  StateChangedEvent,
  UpstartEvent,
  UpstartEventType,
  WatchOptions,
} from "./src/events.ts";
export { assertEnvKey, fromEnvList, jobDetails, toEnvList } from "./src/env.ts";
export type { Env, EnvScope } from "./src/env.ts";
export { connectTargets, connectUpstart, PRIVATE_ADDRESS } from "./src/connect.ts";
export type { ConnectOptions, Target, UpstartConnection } from "./src/connect.ts";
export {
  bridgeScript,
  defaultRemoteSocket,
  escapeAddressValue,
  PRIVATE_SOCKET,
  remoteAddress,
  shellQuote,
  SYSTEM_BUS_SOCKET,
} from "./src/remote.ts";
export type { RemoteBridge, RemoteOptions, RemoteSocket } from "./src/remote.ts";
export * from "./src/errors.ts";
export * from "./src/names.ts";
export * from "./src/versions.ts";

// Job logs (`console log`), read on any host through `HostFiles`.
export {
  followLog,
  gunzip,
  logFileName,
  logFiles,
  LogReadError,
  readLog,
  readLogFile,
  sessionLogDir,
  splitLogLines,
  SYSTEM_LOG_DIR,
} from "./src/logs.ts";
export type {
  FollowItem,
  FollowOptions,
  LogContent,
  LogFile,
  LogPosition,
  ReadLogOptions,
} from "./src/logs.ts";
// Also exported by the job-directory work (src/host_files.ts): keep one copy of these two lines.
export { localFiles } from "./src/host_files.ts";
export type { HostFiles } from "./src/host_files.ts";
