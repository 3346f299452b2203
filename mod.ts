/**
 * Manage the Upstart init daemon from Deno: typed `System`, `Job` and
 * `Instance` APIs over Upstart's D-Bus API (locally or over ssh), its events,
 * typed errors, and a lossless job-file parser, writer, builder and checker.
 *
 * Importing this module loads nothing native: libdbus is loaded on the first
 * connection, so the job-file tools need no `--allow-ffi`. The D-Bus binding
 * itself is `@upstart/upstart/dbus`, an Upstart-compatible sandbox to test
 * against is `@upstart/upstart/sandbox`, the initctl-compatible command line
 * is `@upstart/upstart/cli`.
 *
 * @example Start a job and wait until it runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { System } from "@upstart/upstart";
 * import { Sandbox, startPrivateBus } from "@upstart/upstart/sandbox";
 * // An Upstart to talk to: a sandbox serving web.conf (System.connect() with no options reaches
 * // this machine's Upstart, as initctl does).
 * const jobDir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${jobDir}/web.conf`, "exec sleep 60\n");
 * try {
 *   await using bus = await startPrivateBus();
 *   await using _upstart = await Sandbox.start({ jobDir, address: bus.address });
 *
 *   await using system = await System.connect({ address: bus.address });
 *   const web = await system.job("web");
 *   const inst = await web.start({ env: { PORT: "8080" } }); // returns once it runs
 *   assert.equal(inst.state, "running");
 *   assert.equal(inst.processes[0].type, "main");
 * } finally {
 *   await Deno.remove(jobDir, { recursive: true });
 * }
 * ```
 *
 * @example Parse a job file and read its configuration
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob('description "web"\nstart on runlevel [2345]\nexec /usr/bin/web\n');
 * assert.equal(doc.config.description, "web");
 * ```
 *
 * @module
 */

// Ansible inventories: a fleet's hosts and how ssh reaches each.
export { InventoryError, parseInventory, readInventory, selectHosts } from "./src/inventory/mod.ts";
export type {
  Inventory,
  InventoryFormat,
  InventoryGroup,
  InventoryHost,
  InventoryHostEntry,
  InventoryOptions,
  ParseInventoryOptions,
} from "./src/inventory/mod.ts";

// The typed Upstart API.
export { System } from "./src/system.ts";
export type {
  EmitOptions,
  JobsOptions,
  JobStatus,
  StatusAllOptions,
  SystemOptions,
} from "./src/system.ts";
export { Job } from "./src/job.ts";
export type { JobControlOptions, JobInfo } from "./src/job.ts";
export { failureText, Instance } from "./src/instance.ts";
export type { ControlOptions, InstanceStatus, ProcessInfo, WaitOptions } from "./src/instance.ts";
export { LOG_PRIORITIES, STATES } from "./src/states.ts";
export type { Goal, LogPriority, State } from "./src/states.ts";
export { fromEnvList, toEnvList } from "./src/env.ts";
export type { Env, EnvScope } from "./src/env.ts";
export { compareVersions, parseVersion } from "./src/versions.ts";
export type { UpstartVersion } from "./src/versions.ts";

// Where Upstart is: connection and remote options.
export { PRIVATE_ADDRESS } from "./src/connect.ts";
export type { ConnectOptions, Target } from "./src/connect.ts";
export type { RemoteBridge, RemoteOptions, RemoteSocket } from "./src/remote.ts";

// Fleets: many hosts at once, with a failure kind per host.
export { connectMany, failureOf, forEachHost } from "./src/fleet.ts";
export type {
  FleetHost,
  FleetOptions,
  FleetProgress,
  HostFailure,
  HostResult,
} from "./src/fleet.ts";
export { HostTimeoutError, HostUnreachableError } from "./src/host_errors.ts";
export type {
  HostFailureKind,
  HostTimeoutErrorOptions,
  HostUnreachableErrorOptions,
} from "./src/host_errors.ts";

// Where job files live, here or on a host: enable, disable, read and write them.
export { HostFilesError, localFiles, MAX_HOST_FILE_BYTES, remoteFiles } from "./src/host_files.ts";
export type { HostFiles } from "./src/host_files.ts";
export { JobDirectory, JobFileNotFoundError } from "./src/job_directory.ts";
export type {
  EnablementChange,
  JobDirectoryOptions,
  JobFiles,
  JobLocation,
} from "./src/job_directory.ts";
export { enablement, withManual, withoutManual } from "./src/jobfile/enablement.ts";
export type { Enablement } from "./src/jobfile/enablement.ts";

// Upstart's D-Bus interface, declared once (what the client, the sandbox and the version checks read).
export { argsSignature, inSignature, outSignature, UPSTART_API } from "./src/interface.ts";
export type {
  ArgDecl,
  InterfaceDecl,
  MethodDecl,
  PropertyDecl,
  SignalDecl,
  UpstartObject,
} from "./src/interface.ts";

// Events (`System.watch()`).
export { EVENT_TYPES } from "./src/events.ts";
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

// Errors.
export {
  AlreadyStartedError,
  AlreadyStoppedError,
  EventFailedError,
  InvalidArgumentError,
  InvalidEnvError,
  JobFailedError,
  NotRunningError,
  PermissionDeniedError,
  toUpstartError,
  UnknownInstanceError,
  UnknownJobError,
  UnsupportedError,
  UpstartError,
  UpstartNotRunningError,
  WaitTimeoutError,
} from "./src/errors.ts";
export type {
  ConnectAttempt,
  UnsupportedErrorOptions,
  UpstartErrorOptions,
  UpstartNotRunningErrorOptions,
} from "./src/errors.ts";

// Upstart's D-Bus names, for calls through `@upstart/upstart/dbus`.
export {
  escapePathElement,
  INSTANCE_INTERFACE,
  instancePath,
  JOB_INTERFACE,
  jobPath,
  JOBS_PATH,
  unescapePathElement,
  UPSTART_INTERFACE,
  UPSTART_PATH,
  UPSTART_SERVICE,
} from "./src/names.ts";

// Job files.
export { JobDocument, MAX_JOB_FILE_BYTES, parseJob } from "./src/jobfile/document.ts";
export type { ParseOptions } from "./src/jobfile/document.ts";
export { ParseError } from "./src/jobfile/errors.ts";
export type { ParseReason } from "./src/jobfile/errors.ts";
export { formatJob } from "./src/jobfile/format.ts";
export { writeFileAtomic } from "./src/jobfile/_atomic.ts";
export type { AtomicWriteOptions } from "./src/jobfile/_atomic.ts";
export { JobBuilder } from "./src/jobfile/builder.ts";
export type {
  CgroupOptions,
  ConditionInput,
  EventSpec,
  InterpreterScriptOptions,
  ScriptOptions,
} from "./src/jobfile/builder.ts";
export { checkJob } from "./src/jobfile/check.ts";
export type { CheckOptions, JobProblem } from "./src/jobfile/check.ts";
export {
  installJob,
  JobCheckError,
  JobExistsError,
  JobInstallError,
  validateJobName,
} from "./src/jobfile/install.ts";
export type { InstallOptions, InstallResult } from "./src/jobfile/install.ts";
export { applyOverride } from "./src/jobfile/override.ts";
export type { OverrideOptions, OverrideResult } from "./src/jobfile/override.ts";
export {
  conditionToString,
  fromUpstartConditions,
  toUpstartConditions,
} from "./src/jobfile/condition.ts";
export { quoteArg } from "./src/jobfile/quote.ts";
export type { QuoteOptions } from "./src/jobfile/quote.ts";
export type { StanzaValue } from "./src/jobfile/render.ts";
export { STANZAS } from "./src/jobfile/_parser.ts";
export type {
  BlankNode,
  CommentNode,
  CommentSpan,
  JobNode,
  ScriptBlock,
  Span,
  StanzaNode,
  TokenNode,
  UnparsedNode,
} from "./src/jobfile/cst.ts";
export type * from "./src/jobfile/types.ts";

// Job logs (`console log`), read here or on a host through `HostFiles`.
export {
  followLog,
  logFileName,
  logFiles,
  LogReadError,
  readLog,
  sessionLogDir,
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
