/**
 * `checkJob`: what Upstart would reject in a job file, and the mistakes it would load without a
 * word (a task that respawns, `expect fork` on a script, a stanza overridden by a later one, a
 * `setuid` user that does not exist, libnih's backslash quirks, …), each with its line.
 *
 * @module
 */

import type { StanzaNode, TokenNode } from "./cst.ts";
import { ACCUMULATE, FLAG_STANZAS, slotOf } from "./_grammar.ts";
import { JobDocument, parseJob } from "./document.ts";
import type { ParseError } from "./errors.ts";

/** One problem {@linkcode checkJob} found. */
export interface JobProblem {
  /** `error`: Upstart rejects the file. `warning`: Upstart loads it, probably not as meant. */
  readonly severity: "error" | "warning";
  /** The 1-based line (for a parse error, the line Upstart reports). */
  readonly line: number;
  /** The 1-based byte column, where known (else 1). */
  readonly column: number;
  /**
   * A stable identifier: `parse` (the error), `duplicate`, `manual-clears-start`,
   * `manual-ignored`, `task-respawn`, `expect-script`, `expect-no-process`,
   * `respawn-no-process`, `respawn-limit-alone`, `unknown-user`, `unknown-group`,
   * `backslash-kept`, `backslash-mangled`, `instance-constant`, `script-crlf`, `invalid-utf8`,
   * `kill-signal`.
   */
  readonly code: string;
  /** What is wrong, in a sentence (for `parse`, Upstart's reason). */
  readonly message: string;
  /** For `parse`: the error itself (its `message` is what Upstart logs). */
  readonly error?: ParseError;
}

/** Options of {@linkcode checkJob}. */
export interface CheckOptions {
  /** The file name used when the job is given as text. Default `<input>`. */
  readonly filename?: string;
  /**
   * The user names that exist, for `setuid`. Default: the names in `/etc/passwd` when read
   * permission for it is already granted (else no check). `null` turns the check off.
   */
  readonly users?: Iterable<string> | null;
  /** The group names that exist, for `setgid`, as `users` (default from `/etc/group`). */
  readonly groups?: Iterable<string> | null;
}

const LF = 0x0a, BACKSLASH = 0x5c;
const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0;
const fatal = new TextDecoder("utf-8", { fatal: true });

/** Names (first field) of a passwd/group file, or null when it cannot be read without asking. */
function accountNames(path: string): Set<string> | null {
  try {
    if (Deno.permissions.querySync({ name: "read", path }).state !== "granted") return null;
    const names = new Set<string>();
    for (const line of Deno.readTextFileSync(path).split("\n")) {
      const colon = line.indexOf(":");
      if (colon > 0 && !line.startsWith("#")) names.add(line.slice(0, colon));
    }
    return names;
  } catch {
    return null; // no such file, or not readable: the check is optional
  }
}

function known(given: Iterable<string> | null | undefined, path: string): Set<string> | null {
  if (given === null) return null;
  if (given === undefined) return accountNames(path);
  return given instanceof Set ? given : new Set(given);
}

/** The setting a stanza writes, or null for stanzas whose repeats accumulate (env is per variable). */
function overrideSlot(n: StanzaNode): string | null {
  return n.keyword !== "env" && ACCUMULATE.has(n.keyword) ? null : slotOf(n);
}

function head(n: StanzaNode): string {
  switch (n.keyword) {
    case "exec":
    case "script":
      return "the main process";
    case "env":
      return `env ${slotOf(n).slice(4)}`;
    case "oom":
      return "oom score";
    case "pre-start":
    case "post-start":
    case "pre-stop":
    case "post-stop":
      return `the ${n.keyword} process`;
    default:
      return slotOf(n);
  }
}

const PUBLISHED = new Set(["description", "author", "version", "usage", "emits", "start", "stop"]);

/**
 * Looks at one token's bytes for libnih's backslash quirks (job-files.md §2.5): an escape other
 * than `\\`, `\ ` and `\` + LF keeps its backslash in a value (`\"` does not escape a quote), and
 * whitespace just before such an escape is mangled (its first byte becomes a second backslash).
 */
function backslash(
  buf: Uint8Array,
  t: TokenNode,
): { code: string; at: number; text: string } | null {
  const raw = t.kind === "command";
  let quote = 0, prevWs = false;
  let kept: { at: number; text: string } | null = null;
  for (let i = t.start; i < t.end; i++) {
    const c = buf[i];
    if (c === BACKSLASH && i + 1 < buf.length) {
      const x = buf[i + 1];
      if (x === LF || x === BACKSLASH || isWs(x)) {
        prevWs = x === LF;
        i++;
        continue;
      }
      if (prevWs && (quote || raw)) {
        return { code: "backslash-mangled", at: i, text: String.fromCharCode(x) };
      }
      if (!raw && !kept) kept = { at: i, text: String.fromCharCode(x) };
      prevWs = false;
      i++;
      continue;
    }
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    prevWs = isWs(c) || c === LF;
  }
  return kept ? { code: "backslash-kept", ...kept } : null;
}

/**
 * Checks a job file: the error Upstart would reject it with, or the warnings for what it would
 * load without complaint but probably not as meant. Each problem has a line. A file with an error
 * gets only that error (Upstart reads nothing of it).
 *
 * Warnings: a stanza overridden by a later one of the same kind (`duplicate`; `env` per
 * variable, `exec`/`script` together); `manual` clearing an earlier `start on`, or having no
 * effect because a `start on` follows it; `task` with `respawn` (the task is re-run each time it
 * fails); `expect fork`/`daemon` on a script (Upstart follows the shell's forks and loses the
 * daemon) or with no main process; `respawn` with no main process; `respawn limit` without
 * `respawn`; a `setuid` user or `setgid` group that does not exist on this machine; a backslash
 * that libnih keeps (`\"` is not an escape) or whitespace before an escape that it mangles; an
 * `instance` name without a variable; CR line endings in a script body; invalid UTF-8 in a value
 * published over D-Bus (reading it aborts Upstart); `kill signal 0` or a number that is no signal.
 *
 * @param input A document (parsed with `throwOnError: false` to check a rejected file), or text.
 * @param options The file name for text, and the user and group names to check against.
 * @returns The problems, by line.
 * @example Checking a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkJob } from "@upstart/upstart";
 * const problems = checkJob("task\nrespawn\nexec /bin/true\n", { users: null });
 * assert.equal(problems.length, 1);
 * assert.equal(problems[0].code, "task-respawn");
 * assert.equal(problems[0].line, 2);
 * assert.equal(checkJob("bogus\n")[0].message, "Unknown stanza");
 * ```
 */
export function checkJob(
  input: JobDocument | string | Uint8Array,
  options: CheckOptions = {},
): JobProblem[] {
  const doc = input instanceof JobDocument
    ? input
    : parseJob(input, { filename: options.filename, throwOnError: false });
  const err = doc.error;
  if (err) {
    return [{
      severity: "error",
      line: err.line,
      column: err.column,
      code: "parse",
      message: err.reason,
      error: err,
    }];
  }
  const out: JobProblem[] = [];
  const warn = (n: { line: number }, code: string, message: string, column = 1) =>
    out.push({ severity: "warning", line: n.line, column, code, message });
  const stanzas = doc.stanzas;
  const cfg = doc.config;
  const buf = doc.toBytes();

  // Stanzas overridden by a later one of the same slot.
  const last = new Map<string, StanzaNode>();
  for (let i = stanzas.length - 1; i >= 0; i--) {
    const n = stanzas[i];
    const slot = overrideSlot(n);
    if (slot === null) continue;
    const later = last.get(slot);
    if (later) {
      if (FLAG_STANZAS.has(n.keyword)) {
        warn(n, "duplicate", `${n.keyword} is repeated on line ${later.line}`);
      } else {
        warn(
          n,
          "duplicate",
          `${head(n)} is set again on line ${later.line}: this one has no effect`,
        );
      }
    } else last.set(slot, n);
  }
  let lastStart: StanzaNode | null = null;
  for (const n of stanzas) {
    if (n.keyword === "start") lastStart = n;
    if (n.keyword === "manual" && lastStart) {
      warn(lastStart, "manual-clears-start", `manual on line ${n.line} turns this start on off`);
      lastStart = null;
    }
  }
  const manual = stanzas.findLast((n) => n.keyword === "manual");
  const start = stanzas.findLast((n) => n.keyword === "start");
  if (manual && start && start.start > manual.start) {
    warn(
      manual,
      "manual-ignored",
      `manual has no effect: start on on line ${start.line} comes after it, so the job starts on its own`,
    );
  }

  const find = (kw: string, a0?: string) =>
    stanzas.findLast((n) => n.keyword === kw && (a0 === undefined || n.args[0] === a0));
  const main = cfg.processes.main;
  const respawn = stanzas.findLast((n) => n.keyword === "respawn" && n.args.length === 0);
  if (cfg.task && respawn) {
    warn(
      respawn,
      "task-respawn",
      "respawn on a task: the task is run again each time it fails (up to the respawn limit)",
    );
  }
  if (cfg.respawn && !main && respawn) {
    warn(
      respawn,
      "respawn-no-process",
      "respawn without exec or script: there is nothing to respawn",
    );
  }
  const limit = find("respawn", "limit");
  if (limit && !cfg.respawn) {
    warn(limit, "respawn-limit-alone", "respawn limit does not turn respawning on: add respawn");
  }
  const expect = find("expect");
  if (expect && (cfg.expect === "fork" || cfg.expect === "daemon")) {
    if (!main) {
      warn(
        expect,
        "expect-no-process",
        `expect ${cfg.expect} without exec or script has no process to follow`,
      );
    } else if (main.kind === "script") {
      warn(
        expect,
        "expect-script",
        `expect ${cfg.expect} with a script: Upstart counts the shell's forks too, so unless the script runs only shell built-ins before its final exec, it follows the wrong process`,
      );
    }
  }

  const users = cfg.setuid !== null ? known(options.users, "/etc/passwd") : null;
  if (users && cfg.setuid !== null && !users.has(cfg.setuid)) {
    warn(
      find("setuid")!,
      "unknown-user",
      `setuid user ${
        JSON.stringify(cfg.setuid)
      } does not exist on this machine: the job would fail to start`,
    );
  }
  const groups = cfg.setgid !== null ? known(options.groups, "/etc/group") : null;
  if (groups && cfg.setgid !== null && !groups.has(cfg.setgid)) {
    warn(
      find("setgid")!,
      "unknown-group",
      `setgid group ${
        JSON.stringify(cfg.setgid)
      } does not exist on this machine: the job would fail to start`,
    );
  }

  const instance = find("instance");
  if (instance && cfg.instance !== null && !cfg.instance.includes("$")) {
    warn(
      instance,
      "instance-constant",
      `instance name ${
        JSON.stringify(cfg.instance)
      } has no $VARIABLE: every instance gets the same name, so only one can run`,
    );
  }
  for (const sig of [find("kill", "signal"), find("reload", "signal")]) {
    if (!sig) continue;
    const spec = sig.keyword === "kill" ? cfg.killSignal : cfg.reloadSignal;
    if (spec.number === 0 || spec.number > 64) {
      warn(
        sig,
        "kill-signal",
        `${sig.keyword} signal ${spec.number} is not a signal: nothing is sent`,
      );
    }
  }

  for (const n of stanzas) {
    if (n.script && n.script.body.includes("\r")) {
      warn(
        n,
        "script-crlf",
        "the script has CR line endings: /bin/sh sees the CR bytes as part of each command",
      );
    }
    const published = PUBLISHED.has(n.keyword);
    for (const t of n.tokens) {
      if (t.kind === "keyword" || t.kind === "paren" || t.kind === "operator") continue;
      const b = backslash(buf, t);
      if (b) {
        const at = { line: doc.lineOf(b.at) };
        const col = b.at - (buf.lastIndexOf(LF, b.at - 1) + 1) + 1;
        warn(
          at,
          b.code,
          b.code === "backslash-mangled"
            ? `whitespace before "\\${b.text}" is mangled by libnih: Upstart reads ${
              JSON.stringify(t.value)
            }`
            : `"\\${b.text}" is not an escape: the backslash is kept, Upstart reads ${
              JSON.stringify(t.value)
            }`,
          col,
        );
      }
      if (published) {
        try {
          fatal.decode(buf.subarray(t.start, t.end));
        } catch {
          warn(
            { line: doc.lineOf(t.start) },
            "invalid-utf8",
            `${n.keyword} has invalid UTF-8: Upstart aborts when this value is read over D-Bus`,
          );
        }
      }
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}
