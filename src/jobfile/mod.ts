/**
 * Upstart job files (`/etc/init/*.conf`, `*.override`): a lossless parser that accepts exactly
 * what Upstart 1.13 accepts, with the values it loads and the errors it logs; edits that keep
 * comments; a canonical formatter; a typed builder; a checker; and an atomic installer.
 *
 * @example Parsing, editing and printing a job file
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob("# my job\nstart on runlevel [2345]\nexec /usr/bin/web\n");
 * doc.set("respawn");
 * assert.equal(doc.toString(), "# my job\nstart on runlevel [2345]\nexec /usr/bin/web\nrespawn\n");
 * ```
 *
 * @example Building, checking and installing a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkJob, formatJob, installJob, JobBuilder } from "@upstart/upstart";
 * const text = new JobBuilder().description("web").startOnRunlevel().respawn().exec("/usr/bin/web").toString();
 * assert.equal(formatJob(text), text);
 * assert.equal(checkJob(text).length, 0);
 * const dir = await Deno.makeTempDir();
 * await installJob(dir, "web", text);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export { DEFAULT_FILENAME, JobDocument, MAX_JOB_FILE_BYTES, parseJob } from "./document.ts";
export type { ParseOptions } from "./document.ts";
export { ParseError } from "./errors.ts";
export type { ParseReason } from "./errors.ts";
export { formatJob } from "./format.ts";
export { JobBuilder } from "./builder.ts";
export type {
  CgroupOptions,
  ConditionInput,
  EventSpec,
  InterpreterScriptOptions,
  ScriptOptions,
} from "./builder.ts";
export { checkJob } from "./check.ts";
export type { CheckOptions, JobProblem } from "./check.ts";
export {
  installJob,
  JobCheckError,
  JobExistsError,
  JobInstallError,
  validateJobName,
} from "./install.ts";
export type { InstallOptions, InstallResult } from "./install.ts";
export { writeFileAtomic } from "./_atomic.ts";
export type { AtomicWriteOptions } from "./_atomic.ts";
export { applyOverride } from "./override.ts";
export { enablement, withManual, withoutManual } from "./enablement.ts";
export type { Enablement } from "./enablement.ts";
export type { OverrideOptions, OverrideResult } from "./override.ts";
export {
  conditionToString,
  eventMatch,
  fromUpstartConditions,
  toUpstartConditions,
} from "./condition.ts";
export { quoteArg, renderCommand, renderScriptBody } from "./quote.ts";
export type { QuoteOptions } from "./quote.ts";
export { renderStanza } from "./render.ts";
export type { StanzaValue } from "./render.ts";
export { STANZAS } from "./_parser.ts";
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
} from "./cst.ts";
export type * from "./types.ts";
