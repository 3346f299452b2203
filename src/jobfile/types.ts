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
  /** Node type. */
  readonly type: "event";
  /** The event name, compared exactly (no globbing). */
  readonly name: string;
  /** Its arguments in order. */
  readonly args: readonly EventMatch[];
}

/** `left and right` / `left or right` (equal precedence, left-associative, as in Upstart). */
export interface OperatorCondition {
  /** The operator. */
  readonly type: "and" | "or";
  /** The left operand. */
  readonly left: Condition;
  /** The right operand. */
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
  /** The cgroup controller (`cpu`, `memory`, …). */
  readonly controller: string;
  /** The cgroup name, or `null` for the default (`$UPSTART_CGROUP`). */
  readonly name: string | null;
  /** The setting to write, or `null`. */
  readonly key: string | null;
  /** The value of the setting, or `null`. */
  readonly value: string | null;
}

/** Everything Upstart 1.13 parses from a job file, with Upstart's defaults. */
export interface JobConfig {
  /** `description`, or `null`. Published over D-Bus as `description` (`""` when null). */
  readonly description: string | null;
  /** `author`, or `null`. */
  readonly author: string | null;
  /** `version`, or `null`. */
  readonly version: string | null;
  /** `usage`, or `null`. */
  readonly usage: string | null;
  /** `emits` (accumulates across stanzas and overrides). */
  readonly emits: readonly string[];
  /** `instance NAME` (may contain `$VAR`), or `null` for a single-instance job. */
  readonly instance: string | null;
  /** `start on`, or `null` (also after `manual`). */
  readonly startOn: Condition | null;
  /** `stop on`, or `null`. */
  readonly stopOn: Condition | null;
  /** `exec`/`script` for each process slot that has one. */
  readonly processes: Readonly<Partial<Record<ProcessType, ProcessDef>>>;
  /** `expect stop|daemon|fork`, default `"none"`. */
  readonly expect: "none" | "stop" | "daemon" | "fork";
  /** `task` was given. */
  readonly task: boolean;
  /** `respawn` was given (`respawn limit` alone does not set it). */
  readonly respawn: boolean;
  /** `respawn limit COUNT INTERVAL` (default 10 in 5 s), or `"unlimited"`. */
  readonly respawnLimit: { readonly count: number; readonly interval: number } | "unlimited";
  /** `normal exit` entries (accumulate). */
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
  /** `nice`, or `null` when unset. */
  readonly nice: number | null;
  /** `oom score N` (legacy `oom N` converted as Upstart does) or `"never"`; `null` when absent. */
  readonly oomScore: number | "never" | null;
  /** `limit` values per resource. */
  readonly limits: Readonly<Partial<Record<LimitResource, { soft: LimitValue; hard: LimitValue }>>>;
  /** `chdir`, or `null`. */
  readonly chdir: string | null;
  /** `chroot`, or `null`. */
  readonly chroot: string | null;
  /** `setuid`, or `null`. */
  readonly setuid: string | null;
  /** `setgid`, or `null`. */
  readonly setgid: string | null;
  /** `apparmor load PROFILE`. */
  readonly apparmorLoad: string | null;
  /** `apparmor switch PROFILE`. */
  readonly apparmorSwitch: string | null;
  /** `cgroup` stanzas in order (accumulate). */
  readonly cgroups: readonly CgroupDef[];
  /** `manual` was seen (it also clears `startOn`). */
  readonly manual: boolean;
}
