/**
 * The typed view of an Upstart job: what Upstart 1.13 holds in its
 * `JobClass` after parsing a job file (and its override). Shared by the
 * parser, the builder, the checker, the sandbox and the typed D-Bus API.
 *
 * @module
 */

/** One argument of an event in a `start on`/`stop on` condition. */
export interface EventMatch {
  /** The argument exactly as Upstart stores and publishes it (`"[2345]"`, `"IFACE!=lo"`). */
  readonly raw: string;
  /** `null` for a positional argument, else the variable name (split at the first `!=`, else the first `=`). */
  readonly key: string | null;
  /** The glob pattern the value is matched against (`fnmatch`, after `$VAR` expansion). */
  readonly value: string;
  /** `true` for `KEY!=VALUE`. */
  readonly negated: boolean;
}

/** An event operand of a condition: `started network-manager`, `net-device-up IFACE!=lo`. */
export interface EventCondition {
  readonly type: "event";
  /** The event name, compared exactly (no globbing). */
  readonly name: string;
  /** Its arguments in order. */
  readonly args: readonly EventMatch[];
}

/** `left and right` / `left or right` (equal precedence, left-associative, as in Upstart). */
export interface OperatorCondition {
  readonly type: "and" | "or";
  readonly left: Condition;
  readonly right: Condition;
}

/** A `start on` / `stop on` expression tree. */
export type Condition = EventCondition | OperatorCondition;

/** The five process slots of a job, with Upstart's names. */
export type ProcessType = "main" | "pre-start" | "post-start" | "pre-stop" | "post-stop";

/** An `exec` line or a `script ... end script` block. */
export interface ProcessDef {
  /** `exec`: a command line run directly (through `/bin/sh -e -c` when it has shell characters); `script`: a shell body run by `/bin/sh -e`. */
  readonly kind: "exec" | "script";
  /** The command line (as Upstart reads it) or the script body (verbatim, dedented as Upstart does). */
  readonly command: string;
}

/** A `limit RESOURCE SOFT HARD` value: a number, or `"unlimited"`. */
export type LimitValue = number | "unlimited";

/** Resource names `limit` accepts. */
export type LimitResource =
  | "as"
  | "core"
  | "cpu"
  | "data"
  | "fsize"
  | "memlock"
  | "msgqueue"
  | "nice"
  | "nofile"
  | "nproc"
  | "rss"
  | "rtprio"
  | "sigpending"
  | "stack";

/** One `normal exit` entry: an exit status or a signal. */
export type NormalExit = { readonly status: number } | { readonly signal: string };

/** A signal as written (`TERM`, `SIGTERM`, `15`), resolved to its number. */
export interface SignalSpec {
  /** The signal number Upstart uses. */
  readonly number: number;
  /** The name without `SIG` (`"TERM"`), or the number as a string when it has no name. */
  readonly name: string;
}

/** One `cgroup CONTROLLER [NAME] [KEY VALUE]` stanza. */
export interface CgroupDef {
  readonly controller: string;
  readonly name: string | null;
  readonly key: string | null;
  readonly value: string | null;
}

/** Everything Upstart 1.13 parses from a job file, with Upstart's defaults. */
export interface JobConfig {
  /** `description`, or `null`. Published over D-Bus as `description` (`""` when null). */
  readonly description: string | null;
  readonly author: string | null;
  readonly version: string | null;
  readonly usage: string | null;
  /** `emits` (accumulates across stanzas and overrides). */
  readonly emits: readonly string[];
  /** `instance NAME` (may contain `$VAR`), or `null` for a single-instance job. */
  readonly instance: string | null;
  readonly startOn: Condition | null;
  readonly stopOn: Condition | null;
  /** `exec`/`script` for each process slot that has one. */
  readonly processes: Readonly<Partial<Record<ProcessType, ProcessDef>>>;
  /** `expect stop|daemon|fork`, default `"none"`. */
  readonly expect: "none" | "stop" | "daemon" | "fork";
  readonly task: boolean;
  readonly respawn: boolean;
  /** `respawn limit COUNT INTERVAL` (default 10 in 5 s), or `"unlimited"`. */
  readonly respawnLimit: { readonly count: number; readonly interval: number } | "unlimited";
  readonly normalExit: readonly NormalExit[];
  /** Default SIGTERM. */
  readonly killSignal: SignalSpec;
  /** Default 5 seconds. */
  readonly killTimeout: number;
  /** Default SIGHUP. */
  readonly reloadSignal: SignalSpec;
  /** Default `"log"` (Upstart 1.13's default). */
  readonly console: "none" | "output" | "owner" | "log";
  /** `env KEY=VALUE` / `env KEY` entries, in order (accumulate). */
  readonly env: readonly string[];
  /** `export` variable names (accumulate). */
  readonly export: readonly string[];
  /** Default 0o022. */
  readonly umask: number;
  readonly nice: number | null;
  /** `oom score N` (legacy `oom N` converted as Upstart does) or `"never"`; `null` when absent. */
  readonly oomScore: number | "never" | null;
  readonly limits: Readonly<Partial<Record<LimitResource, { soft: LimitValue; hard: LimitValue }>>>;
  readonly chdir: string | null;
  readonly chroot: string | null;
  readonly setuid: string | null;
  readonly setgid: string | null;
  /** `apparmor load PROFILE`. */
  readonly apparmorLoad: string | null;
  /** `apparmor switch PROFILE`. */
  readonly apparmorSwitch: string | null;
  readonly cgroups: readonly CgroupDef[];
  /** `manual` was seen (it also clears `startOn`). */
  readonly manual: boolean;
}
