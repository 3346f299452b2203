/**
 * `.override` files, merged the way Upstart 1.13 merges them (`init/conf.c`,
 * job-files.md §1.4).
 *
 * @module
 */

import { freezeState, newState, stateFrom } from "./_state.ts";
import { _toBytes, DEFAULT_FILENAME, JobDocument, parseInto } from "./document.ts";
import type { ParseError } from "./errors.ts";
import type { JobConfig } from "./types.ts";

/** Options of {@linkcode applyOverride}. */
export interface OverrideOptions {
  /** File name for errors in the `.conf` when it is given as text. Default `<input>`. */
  readonly confFilename?: string;
  /** File name for errors in the override when it is given as text. Default `<override>`. */
  readonly overrideFilename?: string;
}

/**
 * What Upstart makes of a `.conf` and its `.override`: the job's configuration, or `null` when no
 * job exists, and the errors Upstart logs (at most one per file, in the order it logs them).
 */
export interface OverrideResult {
  /** The merged configuration, or `null` when Upstart registers no job. */
  readonly config: JobConfig | null;
  /** The errors Upstart logs: the `.conf`'s, then the override's. */
  readonly errors: readonly ParseError[];
}

function source(
  input: JobDocument | string | Uint8Array,
  fallback: string,
  what: string,
): { bytes: Uint8Array; filename: string } {
  if (input instanceof JobDocument) return { bytes: input.toBytes(), filename: input.filename };
  return { bytes: _toBytes(input, what), filename: fallback };
}

/**
 * Merges an override on top of its job file as Upstart does: the override's stanzas run on top of
 * the conf's as if appended (most replace; `env`, `export`, `emits`, `normal exit`, `cgroup`
 * accumulate; `manual` clears `start on`). Error cases, as observed on Upstart 1.13.2:
 * - an error in the override keeps everything applied before it (even a value the failing stanza
 *   stored before checking it, such as `nice 99`); the job still exists;
 * - an ordinary error in the conf (one logged with a line number) leaves the override alone to
 *   define the job (no job if the override fails too);
 * - a bad `kill signal`/`reload signal` in the conf means no job at all, and the override is not
 *   read.
 *
 * Never throws for bad job text: errors are returned.
 *
 * @param conf The `.conf` (a document, possibly parsed with `throwOnError: false`, or its text).
 * @param override The `.override` (a document or its text).
 * @param options File names used when texts are given.
 * @returns The merged configuration and the errors.
 * @throws {TypeError} If an argument is not a document, a string or a `Uint8Array`.
 * @example Overriding a job's start condition
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyOverride, toUpstartConditions } from "@upstart/upstart";
 * const r = applyOverride("start on runlevel [2345]\nenv A=1\n", "manual\nenv B=2\n");
 * assert.equal(r.config?.startOn, null);
 * assert.equal(r.config?.env.join(), "A=1,B=2");
 * assert.equal(r.errors.length, 0);
 * ```
 */
export function applyOverride(
  conf: JobDocument | string | Uint8Array,
  override: JobDocument | string | Uint8Array,
  options: OverrideOptions = {},
): OverrideResult {
  const c = source(conf, options.confFilename ?? DEFAULT_FILENAME, "Job file");
  const o = source(override, options.overrideFilename ?? "<override>", "Override file");
  const errors: ParseError[] = [];
  const confState = newState();
  const confParse = parseInto(c.bytes, c.filename, confState);
  let base = confState;
  if (confParse.error) {
    errors.push(confParse.error);
    if (confParse.error.lineless) return { config: null, errors };
    base = newState(); // the override alone defines the job
  } else base = stateFrom(freezeState(confState));
  const ovParse = parseInto(o.bytes, o.filename, base);
  if (ovParse.error) {
    errors.push(ovParse.error);
    // a fresh class is freed on error; a registered one stays as far as it got
    if (confParse.error) return { config: null, errors };
  }
  return { config: freezeState(base), errors };
}
