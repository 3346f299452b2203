/**
 * `JobBuilder`: writing a job file from typed values, one chainable method per stanza. Every value
 * goes through the same quoting as the document's edit API (`quote.ts`, `render.ts`), so no value
 * can add a stanza or end a script block early: it is written so that Upstart reads back exactly
 * that value, or the method throws a `TypeError`/`RangeError` naming itself and the value.
 *
 * @module
 */

import { LIMIT_RESOURCES, SCRIPT_TERMINATOR } from "./_grammar.ts";
import { signalFromName } from "./_state.ts";
import { conditionToString, eventMatch, toUpstartConditions } from "./condition.ts";
import { parseJob } from "./document.ts";
import type { JobDocument } from "./document.ts";
import { ParseError } from "./errors.ts";
import { formatJob } from "./format.ts";
import { renderScriptBody } from "./quote.ts";
import { renderStanza, type StanzaValue } from "./render.ts";
import type {
  Condition,
  JobConfig,
  LimitResource,
  LimitValue,
  ProcessDef,
  ProcessType,
  SignalSpec,
} from "./types.ts";

/** One event of a condition given as a list: its text (`"started web"`) or its parts. */
export type EventSpec =
  | string
  | {
    /** The event name (`started`, `net-device-up`). */
    readonly name: string;
    /** Positional arguments (`["web"]` for `started web`), matched as globs. */
    readonly args?: readonly string[];
    /** Named arguments (`{ IFACE: "eth0" }`), written after the positional ones. */
    readonly env?: Readonly<Record<string, string | number>>;
  };

/** A `start on`/`stop on` condition: expression text, a tree, or a list of events. */
export type ConditionInput = string | Condition | readonly EventSpec[];

/** Options of the builder's script methods. */
export interface ScriptOptions {
  /**
   * Remove the body's common leading whitespace first (handy with indented template literals).
   * Without it, a body that Upstart's own dedent would change is refused. Default `false`.
   */
  readonly dedent?: boolean;
}

/** Options of {@linkcode JobBuilder.shellScript}, {@linkcode JobBuilder.perlScript} and {@linkcode JobBuilder.pythonScript}. */
export interface InterpreterScriptOptions extends ScriptOptions {
  /** The process slot the script runs in. Default `"main"`. */
  readonly process?: ProcessType;
  /**
   * The interpreter command, run with the body on its standard input (a quoted here-document).
   * Defaults: none for `shellScript` (the body is the job's own `/bin/sh -e` script),
   * `perl -` for `perlScript`, `python3 -` for `pythonScript`.
   */
  readonly interpreter?: string;
}

/** A `cgroup` stanza's optional parts. */
export interface CgroupOptions {
  /** The cgroup name (default `$UPSTART_CGROUP`). */
  readonly name?: string;
  /** A setting to write (with `value`). */
  readonly key?: string;
  /** The setting's value (with `key`). */
  readonly value?: string;
}

const PROCESS_TYPES: readonly ProcessType[] = [
  "main",
  "pre-start",
  "post-start",
  "pre-stop",
  "post-stop",
];
const INT_MAX = 2147483647;
const U64_MAX = (1n << 64n) - 1n;

function show(v: unknown): string {
  const s = typeof v === "string" ? v : String(v);
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + "…" : s);
}

function integer(where: string, what: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number") {
    throw new TypeError(`${where}: ${what} must be a number: got ${typeof v}`);
  }
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${where}: ${what} must be an integer from ${min} to ${max}: got ${v}`);
  }
  return v;
}

function oneOf<T extends string>(
  where: string,
  what: string,
  v: unknown,
  allowed: readonly T[],
): T {
  if (typeof v !== "string") {
    throw new TypeError(`${where}: ${what} must be a string: got ${typeof v}`);
  }
  if (!(allowed as readonly string[]).includes(v)) {
    throw new RangeError(`${where}: ${what} must be one of ${allowed.join(", ")}: got ${show(v)}`);
  }
  return v as T;
}

function text(where: string, what: string, v: unknown): string {
  if (typeof v !== "string") {
    throw new TypeError(`${where}: ${what} must be a string: got ${typeof v}`);
  }
  return v;
}

/** Removes the common leading whitespace of the non-blank lines. */
function dedent(body: string): string {
  const lines = body.split("\n");
  let common: string | null = null;
  for (const l of lines) {
    if (l.trim() === "") continue;
    const ws = /^[ \t]*/.exec(l)![0];
    if (common === null) common = ws;
    else {
      let i = 0;
      while (i < common.length && i < ws.length && common[i] === ws[i]) i++;
      common = common.slice(0, i);
    }
  }
  if (!common) return body;
  return lines.map((l) => (l.startsWith(common!) ? l.slice(common!.length) : l.trimStart())).join(
    "\n",
  );
}

/** Checks a script body a user gave; returns it ending with a line feed. */
function scriptBody(where: string, body: unknown, options: ScriptOptions): string {
  let b = text(where, "the script body", body);
  if (options.dedent === true) b = dedent(b);
  if (b !== "" && !b.endsWith("\n")) b += "\n";
  if (b.includes("\0")) throw new TypeError(`${where}: the script body contains a NUL byte`);
  const lines = b.split("\n");
  for (let i = 0; i < lines.length - 1; i++) {
    if (SCRIPT_TERMINATOR.test(lines[i])) {
      throw new TypeError(
        `${where}: line ${i + 1} of the script body would end the script block early: ${
          show(lines[i])
        }`,
      );
    }
  }
  return b;
}

function signal(where: string, sig: unknown): string | number {
  if (typeof sig === "number") return integer(where, "the signal", sig, 0, INT_MAX);
  if (typeof sig !== "string") {
    throw new TypeError(`${where}: the signal must be a name or a number: got ${typeof sig}`);
  }
  if (!signalFromName(sig)) {
    throw new RangeError(
      `${where}: unknown signal name (Upstart knows HUP, TERM, KILL, …): ${show(sig)}`,
    );
  }
  return sig;
}

function eventOf(where: string, e: EventSpec): Condition {
  if (typeof e === "string") return conditionOf(where, e);
  if (!e || typeof e !== "object" || typeof e.name !== "string") {
    throw new TypeError(`${where}: an event must be text or { name, args?, env? }`);
  }
  const args = (e.args ?? []).map((a) => {
    const s = text(where, "an event argument", a);
    if (s.includes("=")) {
      throw new TypeError(`${where}: positional argument ${show(s)} contains "=": pass it in env`);
    }
    return eventMatch(s);
  });
  for (const [k, v] of Object.entries(e.env ?? {})) {
    if (k === "" || k.includes("=")) {
      throw new TypeError(`${where}: invalid variable name ${show(k)}`);
    }
    args.push(eventMatch(`${k}=${v}`));
  }
  return { type: "event", name: e.name, args };
}

/** Turns any condition input into a tree that Upstart reads back exactly. */
function conditionOf(where: string, c: ConditionInput, conjunct: "and" | "or" = "and"): Condition {
  let tree: Condition;
  if (typeof c === "string") {
    if (c.includes("\n") || c.includes("\0")) {
      throw new TypeError(`${where}: the condition must be one line: ${show(c)}`);
    }
    const doc = parseJob(`start on ${c}\n`, { throwOnError: false });
    if (doc.error || doc.stanzas.length !== 1 || !doc.config.startOn) {
      const why = doc.error ? doc.error.reason : "it is not one condition";
      throw new TypeError(`${where}: invalid condition ${show(c)}: ${why}`);
    }
    return doc.config.startOn;
  } else if (Array.isArray(c)) {
    if (c.length === 0) throw new TypeError(`${where}: the event list is empty`);
    oneOf(where, "the conjunct", conjunct, ["and", "or"]);
    const list = c as readonly EventSpec[];
    tree = eventOf(where, list[0]);
    for (const e of list.slice(1)) tree = { type: conjunct, left: tree, right: eventOf(where, e) };
  } else if (c && typeof c === "object") tree = c as Condition;
  else throw new TypeError(`${where}: the condition must be text, a tree or a list of events`);
  // The tree is written with conditionToString; check that Upstart reads back this very tree.
  const expr = wrap(where, () => conditionToString(tree));
  const back = conditionOf(where, expr);
  if (JSON.stringify(toUpstartConditions(back)) !== JSON.stringify(toUpstartConditions(tree))) {
    throw new TypeError(`${where}: the condition cannot be written exactly: ${show(expr)}`);
  }
  return back;
}

/** Runs `f`, prefixing a TypeError/RangeError's message with where it happened. */
function wrap<T>(where: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${where}: ${e.message}`, { cause: e });
    if (e instanceof TypeError) throw new TypeError(`${where}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** A here-document delimiter that is no line of `body`. */
function delimiter(body: string): string {
  const lines = new Set(body.split("\n"));
  let d = "END_OF_SCRIPT";
  for (let i = 2; lines.has(d); i++) d = `END_OF_SCRIPT_${i}`;
  return d;
}

/**
 * Builds a job file from typed values: one chainable method per stanza Upstart 1.13 accepts.
 * Stanzas that hold one value (`description`, `start on`, `exec`, `kill timeout`, …) keep the last
 * value given; `env` keeps the last value per variable; `emits`, `export`, `normal exit` and
 * `cgroup` accumulate. `toString()` writes the job in {@linkcode formatJob}'s canonical form.
 *
 * Values are never pasted: words are quoted with {@linkcode quoteArg}, commands and script
 * bodies are checked to read back unchanged, conditions are re-parsed. A value that cannot be
 * written exactly (a newline in a description, a script line reading `end script`, a NUL, an
 * out-of-range number) throws a `TypeError` or `RangeError` whose message starts with the method.
 *
 * @example Building a service
 * ```ts
 * import assert from "node:assert/strict";
 * import { JobBuilder } from "@upstart/upstart";
 * const text = new JobBuilder()
 *   .description("web")
 *   .startOn("runlevel [2345]")
 *   .stopOnRunlevel()
 *   .respawn()
 *   .exec("/usr/bin/web --port 80")
 *   .toString();
 * assert.equal(
 *   text,
 *   "description web\n\nstart on runlevel [2345]\nstop on runlevel [!2345]\n" +
 *     "\nrespawn\n\nexec /usr/bin/web --port 80\n",
 * );
 * ```
 */
export class JobBuilder {
  #entries: { slot: string | null; text: string }[] = [];
  #comments: string[] = [];

  /**
   * A builder holding `config`: `toString()` writes a job that Upstart loads as an equal config.
   *
   * @param config A configuration, e.g. `parseJob(text).config`.
   * @returns The builder, ready to change further.
   * @throws {TypeError} If a value cannot be written (an empty description read from `""\` + LF).
   * @example Rebuilding a job in canonical form
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder, parseJob } from "@upstart/upstart";
   * const { config } = parseJob("exec /usr/bin/web\nstart on startup\n");
   * const b = JobBuilder.fromConfig(config).respawn();
   * assert.equal(b.toString(), "start on startup\n\nrespawn\n\nexec /usr/bin/web\n");
   * ```
   */
  static fromConfig(config: JobConfig): JobBuilder {
    const b = new JobBuilder();
    const c = config;
    if (c.description !== null) b.description(c.description);
    if (c.author !== null) b.author(c.author);
    if (c.version !== null) b.version(c.version);
    if (c.usage !== null) b.usage(c.usage);
    // Lists go in whole, never spread into arguments: a config may hold 100,000s of values.
    if (c.emits.length) b.#emits(c.emits);
    // `manual` clears a `start on` before it: written first, a later `start on` still holds.
    if (c.manual) b.manual();
    if (c.startOn) b.startOn(c.startOn);
    if (c.stopOn) b.stopOn(c.stopOn);
    if (c.instance !== null) b.instance(c.instance);
    if (c.task) b.task();
    if (c.expect !== "none") b.expect(c.expect);
    if (c.respawn) b.respawn();
    const rl = c.respawnLimit;
    if (rl === "unlimited") b.respawnLimit("unlimited");
    else if (rl.count !== 10 || rl.interval !== 5) b.respawnLimit(rl.count, rl.interval);
    if (c.normalExit.length) {
      b.#normalExit(c.normalExit.map((e) => ("signal" in e ? e.signal : e.status)));
    }
    const sig = (s: SignalSpec) => (signalFromName(s.name) ? s.name : s.number);
    if (c.killTimeout !== 5) b.killTimeout(c.killTimeout);
    if (c.killSignal.number !== 15 || c.killSignal.name !== "TERM") b.killSignal(sig(c.killSignal));
    if (c.reloadSignal.number !== 1 || c.reloadSignal.name !== "HUP") {
      b.reloadSignal(sig(c.reloadSignal));
    }
    if (c.console !== "log") b.console(c.console);
    for (const e of c.env) b.#set("JobBuilder.fromConfig", "env", e, null); // keeps repeats
    if (c.export.length) b.#export(c.export);
    if (c.umask !== 0o022) b.umask(c.umask);
    if (c.nice !== null) b.nice(c.nice);
    if (c.oomScore !== null) b.oomScore(c.oomScore);
    for (const [res, l] of Object.entries(c.limits)) {
      b.limit(res as LimitResource, l!.soft, l!.hard);
    }
    if (c.chroot !== null) b.chroot(c.chroot);
    if (c.chdir !== null) b.chdir(c.chdir);
    if (c.setuid !== null) b.setuid(c.setuid);
    if (c.setgid !== null) b.setgid(c.setgid);
    if (c.apparmorLoad !== null) b.apparmorLoad(c.apparmorLoad);
    if (c.apparmorSwitch !== null) b.apparmorSwitch(c.apparmorSwitch);
    for (const g of c.cgroups) {
      const opts: { name?: string; key?: string; value?: string } = {};
      if (g.name !== null) opts.name = g.name;
      if (g.key !== null) opts.key = g.key;
      if (g.value !== null) opts.value = g.value;
      b.cgroup(g.controller, opts);
    }
    for (const t of PROCESS_TYPES) {
      const p = c.processes[t];
      if (p) b.process(t, p);
    }
    return b;
  }

  /** Renders a stanza; one with a slot replaces the earlier one of that slot (moved to the end). */
  #set(where: string, head: string, value?: StanzaValue, slot: string | null = head): this {
    const text = wrap(where, () => renderStanza(head, value));
    if (slot !== null) this.#entries = this.#entries.filter((e) => e.slot !== slot);
    this.#entries.push({ slot, text });
    return this;
  }

  #string(method: string, head: string, v: unknown): this {
    const where = `JobBuilder.${method}`;
    return this.#set(where, head, text(where, "the value", v));
  }

  /**
   * Adds a comment at the top of the file (each line of `text` becomes a `#` line).
   *
   * @param lines The comment, without `#`.
   * @returns This builder.
   * @throws {TypeError} If `text` contains a NUL byte.
   * @example A header
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().comment("Managed by fleet-tool").exec("/bin/true").toString();
   * assert.equal(t, "# Managed by fleet-tool\n\nexec /bin/true\n");
   * ```
   */
  comment(lines: string): this {
    const t = text("JobBuilder.comment", "the comment", lines);
    if (t.includes("\0")) {
      throw new TypeError("JobBuilder.comment: the comment contains a NUL byte");
    }
    for (const l of t.split(/\r?\n/)) this.#comments.push(l === "" ? "#" : `# ${l.trimEnd()}`);
    return this;
  }

  /**
   * Sets `description`.
   * @param value The description (one line).
   * @returns This builder.
   * @throws {TypeError} For a newline, a NUL or an empty value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().description('my "web"').toString();
   * assert.equal(text, `description "my "'"'"web"'"'\n`);
   * ```
   */
  description(value: string): this {
    return this.#string("description", "description", value);
  }

  /**
   * Sets `author`.
   * @param value The author.
   * @returns This builder.
   * @throws {TypeError} For a newline, a NUL or an empty value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().author("Ops <ops@example.com>").toString();
   * assert.equal(text, 'author "Ops <ops@example.com>"\n');
   * ```
   */
  author(value: string): this {
    return this.#string("author", "author", value);
  }

  /**
   * Sets `version`.
   * @param value The version.
   * @returns This builder.
   * @throws {TypeError} For a newline, a NUL or an empty value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().version("1.2").toString(), "version 1.2\n");
   * ```
   */
  version(value: string): this {
    return this.#string("version", "version", value);
  }

  /**
   * Sets `usage` (shown by `initctl usage`).
   * @param value The usage text.
   * @returns This builder.
   * @throws {TypeError} For a newline, a NUL or an empty value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().usage("PORT=N").toString(), "usage PORT=N\n");
   * ```
   */
  usage(value: string): this {
    return this.#string("usage", "usage", value);
  }

  /**
   * Adds an `emits` stanza (accumulates).
   * @param events Event names the job emits (globs allowed).
   * @returns This builder.
   * @throws {TypeError} For no name, or a name that cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().emits("web-ready", "web-*").toString();
   * assert.equal(text, "emits web-ready web-*\n");
   * ```
   */
  emits(...events: string[]): this {
    return this.#emits(events);
  }

  #emits(events: readonly string[]): this {
    const where = "JobBuilder.emits";
    if (!events.length) throw new TypeError(`${where}: give at least one event name`);
    return this.#set(where, "emits", events.map((e) => text(where, "an event name", e)), null);
  }

  /**
   * Sets `start on`.
   * @param condition Expression text (`"runlevel [2345]"`), a condition tree, or a list of events
   * joined by `conjunct` (`[{ name: "net-device-up", env: { IFACE: "eth0" } }, "started db"]`).
   * @param conjunct How a list is joined. Default `"and"`.
   * @returns This builder.
   * @throws {TypeError} If the condition is not one valid Upstart expression.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().startOn([{ name: "net-device-up", env: { IFACE: "eth0" } }, "started db"]).toString();
   * assert.equal(t, "start on net-device-up IFACE=eth0 and started db\n");
   * ```
   */
  startOn(condition: ConditionInput, conjunct: "and" | "or" = "and"): this {
    const where = "JobBuilder.startOn";
    return this.#set(where, "start on", conditionOf(where, condition, conjunct));
  }

  /**
   * Sets `start on runlevel [LEVELS]`.
   * @param levels The runlevels (default `"2345"`).
   * @returns This builder.
   * @throws {RangeError} For characters other than runlevels `0-6`, `S`, `s` (and a leading `!`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().startOnRunlevel().toString(), "start on runlevel [2345]\n");
   * ```
   */
  startOnRunlevel(levels: string | readonly (string | number)[] = "2345"): this {
    return this.startOn(runlevel("JobBuilder.startOnRunlevel", levels));
  }

  /**
   * Sets `start on starting JOB`: start before `job` starts.
   * @param job The other job.
   * @returns This builder.
   * @throws {TypeError} If `job` cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().startOnStarting("web").toString(), "start on starting web\n");
   * ```
   */
  startOnStarting(job: string): this {
    return this.startOn([{
      name: "starting",
      args: [text("JobBuilder.startOnStarting", "the job", job)],
    }]);
  }

  /**
   * Sets `start on started JOB`: start once `job` has started.
   * @param job The other job.
   * @returns This builder.
   * @throws {TypeError} If `job` cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().startOnStarted("db").toString(), "start on started db\n");
   * ```
   */
  startOnStarted(job: string): this {
    return this.startOn([{
      name: "started",
      args: [text("JobBuilder.startOnStarted", "the job", job)],
    }]);
  }

  /**
   * Sets `stop on`.
   * @param condition As for {@linkcode JobBuilder.startOn}.
   * @param conjunct How a list is joined. Default `"and"`.
   * @returns This builder.
   * @throws {TypeError} If the condition is not one valid Upstart expression.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().stopOn("runlevel [016]").toString(), "stop on runlevel [016]\n");
   * ```
   */
  stopOn(condition: ConditionInput, conjunct: "and" | "or" = "and"): this {
    const where = "JobBuilder.stopOn";
    return this.#set(where, "stop on", conditionOf(where, condition, conjunct));
  }

  /**
   * Sets `stop on runlevel [LEVELS]`.
   * @param levels The runlevels (default `"!2345"`).
   * @returns This builder.
   * @throws {RangeError} For characters other than runlevels `0-6`, `S`, `s` (and a leading `!`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().stopOnRunlevel().toString(), "stop on runlevel [!2345]\n");
   * ```
   */
  stopOnRunlevel(levels: string | readonly (string | number)[] = "!2345"): this {
    return this.stopOn(runlevel("JobBuilder.stopOnRunlevel", levels));
  }

  /**
   * Sets `stop on stopping JOB`: stop before `job` stops.
   * @param job The other job.
   * @returns This builder.
   * @throws {TypeError} If `job` cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().stopOnStopping("db").toString(), "stop on stopping db\n");
   * ```
   */
  stopOnStopping(job: string): this {
    return this.stopOn([{
      name: "stopping",
      args: [text("JobBuilder.stopOnStopping", "the job", job)],
    }]);
  }

  /**
   * Sets `stop on stopped JOB`: stop once `job` has stopped.
   * @param job The other job.
   * @returns This builder.
   * @throws {TypeError} If `job` cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().stopOnStopped("db").toString(), "stop on stopped db\n");
   * ```
   */
  stopOnStopped(job: string): this {
    return this.stopOn([{
      name: "stopped",
      args: [text("JobBuilder.stopOnStopped", "the job", job)],
    }]);
  }

  /**
   * Adds `manual`: the job does not start on its own. It clears a `start on` written before it,
   * so calling it after {@linkcode JobBuilder.startOn} keeps the condition in the file but off.
   * @returns This builder.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().startOn("startup").manual().toString();
   * assert.equal(t, "start on startup\nmanual\n");
   * ```
   */
  manual(): this {
    return this.#set("JobBuilder.manual", "manual", true);
  }

  /**
   * Sets `instance`: the name template of each instance (`$PORT`, `${IFACE}-${PORT}`).
   * @param name The template.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written as one word.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().instance("$PORT").toString(), "instance $PORT\n");
   * ```
   */
  instance(name: string): this {
    return this.#string("instance", "instance", name);
  }

  /**
   * Sets the main process to a command (`exec`).
   * @param command The command line, as Upstart reads it (run through `/bin/sh -e -c` when it
   * has shell characters).
   * @returns This builder.
   * @throws {TypeError} For a newline, NUL, unquoted `#`, open quote, leading or trailing
   * whitespace, trailing backslash, or whitespace before an escape (which libnih mangles).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().exec("/usr/bin/web --port 80").toString();
   * assert.equal(text, "exec /usr/bin/web --port 80\n");
   * ```
   */
  exec(command: string): this {
    return this.process("main", { kind: "exec", command });
  }

  /**
   * Sets the main process to a shell script (`script … end script`, run by `/bin/sh -e`).
   * @param body The script.
   * @param options `dedent: true` to remove the body's common indentation first.
   * @returns This builder.
   * @throws {TypeError} If a line would end the block (`end script`), for a NUL, or if Upstart's
   * dedent would change the body (without `dedent`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().script("echo hi\n").toString();
   * assert.equal(text, "script\n  echo hi\nend script\n");
   * ```
   */
  script(body: string, options: ScriptOptions = {}): this {
    return this.#script("JobBuilder.script", "main", body, options);
  }

  /**
   * Sets a process slot from a {@linkcode ProcessDef} (what `config.processes` holds).
   * @param type The slot: `main`, `pre-start`, `post-start`, `pre-stop` or `post-stop`.
   * @param def `{ kind: "exec", command }` or `{ kind: "script", command: body }`.
   * @returns This builder.
   * @throws {TypeError} If the command or body cannot be written exactly.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().process("pre-start", { kind: "exec", command: "mkdir -p /run/web" }).toString();
   * assert.equal(t, "pre-start exec mkdir -p /run/web\n");
   * ```
   */
  process(type: ProcessType, def: ProcessDef): this {
    const where = "JobBuilder.process";
    oneOf(where, "the process type", type, PROCESS_TYPES);
    if (!def || typeof def !== "object") {
      throw new TypeError(`${where}: the process must be an object`);
    }
    const kind = oneOf(where, "the process kind", def.kind, ["exec", "script"]);
    if (kind === "script") return this.#script(where, type, def.command, {});
    const head = type === "main" ? "exec" : `${type} exec`;
    return this.#set(where, head, text(where, "the command", def.command), type);
  }

  #script(where: string, type: ProcessType, body: unknown, options: ScriptOptions): this {
    const b = scriptBody(where, body, options);
    wrap(where, () => renderScriptBody(b)); // refuses bodies Upstart's dedent would change
    return this.#set(where, type === "main" ? "script" : `${type} script`, b, type);
  }

  /**
   * Sets a process to a shell script: the body itself (`/bin/sh -e`), or with `interpreter`
   * (`"/bin/bash"`) a script that runs the body with that shell from a quoted here-document.
   * @param body The script.
   * @param options The process slot (default main), an interpreter, `dedent`.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.script}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().shellScript("echo $BASH_VERSION\n", { interpreter: "/bin/bash" }).toString();
   * assert.equal(
   *   t,
   *   "script\n  exec /bin/bash <<'END_OF_SCRIPT'\n  echo $BASH_VERSION\n" +
   *     "  END_OF_SCRIPT\nend script\n",
   * );
   * ```
   */
  shellScript(body: string, options: InterpreterScriptOptions = {}): this {
    if (options.interpreter === undefined) {
      return this.#script("JobBuilder.shellScript", options.process ?? "main", body, options);
    }
    return this.#heredoc("JobBuilder.shellScript", body, options.interpreter, options);
  }

  /**
   * Sets a process to a Perl program, run as `perl -` from a quoted here-document (no shell
   * expansion happens inside it).
   * @param body The program.
   * @param options The process slot (default main), the interpreter (default `perl -`), `dedent`.
   * @returns This builder.
   * @throws {TypeError} If a line of the program would end the block (`end script`), or for NUL.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().perlScript('print "hi\\n";\n').toString();
   * assert.equal(
   *   t,
   *   "script\n  exec perl - <<'END_OF_SCRIPT'\n  print \"hi\\n\";\n  END_OF_SCRIPT\nend script\n",
   * );
   * ```
   */
  perlScript(body: string, options: InterpreterScriptOptions = {}): this {
    return this.#heredoc("JobBuilder.perlScript", body, options.interpreter ?? "perl -", options);
  }

  /**
   * Sets a process to a Python program, run as `python3 -` from a quoted here-document.
   * @param body The program (its indentation is kept exactly).
   * @param options The process slot (default main), the interpreter (default `python3 -`), `dedent`.
   * @returns This builder.
   * @throws {TypeError} If a line of the program would end the block (`end script`), or for NUL.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().pythonScript("print('hi')\n", { process: "pre-start" }).toString();
   * assert.equal(
   *   t,
   *   "pre-start script\n  exec python3 - <<'END_OF_SCRIPT'\n  print('hi')\n" +
   *     "  END_OF_SCRIPT\nend script\n",
   * );
   * ```
   */
  pythonScript(body: string, options: InterpreterScriptOptions = {}): this {
    return this.#heredoc(
      "JobBuilder.pythonScript",
      body,
      options.interpreter ?? "python3 -",
      options,
    );
  }

  #heredoc(
    where: string,
    body: unknown,
    interpreter: unknown,
    options: InterpreterScriptOptions,
  ): this {
    const type = oneOf(where, "the process type", options.process ?? "main", PROCESS_TYPES);
    const cmd = text(where, "the interpreter", interpreter);
    if (cmd.trim() === "" || /[\n\0]/.test(cmd)) {
      throw new TypeError(`${where}: the interpreter must be one non-empty line: ${show(cmd)}`);
    }
    const b = scriptBody(where, body, options);
    const end = delimiter(b);
    // The quoted delimiter keeps the shell from expanding `$`, backquotes and backslashes.
    return this.#script(where, type, `exec ${cmd.trim()} <<'${end}'\n${b}${end}\n`, {});
  }

  /**
   * Sets the `pre-start` process to a command.
   * @param command The command line.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.exec}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().preStartExec("mkdir -p /run/web").toString();
   * assert.equal(text, "pre-start exec mkdir -p /run/web\n");
   * ```
   */
  preStartExec(command: string): this {
    return this.process("pre-start", { kind: "exec", command });
  }

  /**
   * Sets the `pre-start` process to a shell script.
   * @param body The script.
   * @param options `dedent`.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.script}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().preStartScript("test -x /usr/bin/web\n").toString();
   * assert.equal(text, "pre-start script\n  test -x /usr/bin/web\nend script\n");
   * ```
   */
  preStartScript(body: string, options: ScriptOptions = {}): this {
    return this.#script("JobBuilder.preStartScript", "pre-start", body, options);
  }

  /**
   * Sets the `post-start` process to a command.
   * @param command The command line.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.exec}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().postStartExec("/usr/bin/wait-ready").toString();
   * assert.equal(text, "post-start exec /usr/bin/wait-ready\n");
   * ```
   */
  postStartExec(command: string): this {
    return this.process("post-start", { kind: "exec", command });
  }

  /**
   * Sets the `post-start` process to a shell script.
   * @param body The script.
   * @param options `dedent`.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.script}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().postStartScript("sleep 1\n").toString();
   * assert.equal(text, "post-start script\n  sleep 1\nend script\n");
   * ```
   */
  postStartScript(body: string, options: ScriptOptions = {}): this {
    return this.#script("JobBuilder.postStartScript", "post-start", body, options);
  }

  /**
   * Sets the `pre-stop` process to a command.
   * @param command The command line.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.exec}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().preStopExec("/usr/bin/web --drain").toString();
   * assert.equal(text, "pre-stop exec /usr/bin/web --drain\n");
   * ```
   */
  preStopExec(command: string): this {
    return this.process("pre-stop", { kind: "exec", command });
  }

  /**
   * Sets the `pre-stop` process to a shell script.
   * @param body The script.
   * @param options `dedent`.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.script}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().preStopScript("echo bye\n").toString();
   * assert.equal(text, "pre-stop script\n  echo bye\nend script\n");
   * ```
   */
  preStopScript(body: string, options: ScriptOptions = {}): this {
    return this.#script("JobBuilder.preStopScript", "pre-stop", body, options);
  }

  /**
   * Sets the `post-stop` process to a command.
   * @param command The command line.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.exec}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().postStopExec("rm -f /run/web.pid").toString();
   * assert.equal(text, "post-stop exec rm -f /run/web.pid\n");
   * ```
   */
  postStopExec(command: string): this {
    return this.process("post-stop", { kind: "exec", command });
  }

  /**
   * Sets the `post-stop` process to a shell script.
   * @param body The script.
   * @param options `dedent`.
   * @returns This builder.
   * @throws {TypeError} As {@linkcode JobBuilder.script}.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().postStopScript("rm -f /run/web.pid\n").toString();
   * assert.equal(text, "post-stop script\n  rm -f /run/web.pid\nend script\n");
   * ```
   */
  postStopScript(body: string, options: ScriptOptions = {}): this {
    return this.#script("JobBuilder.postStopScript", "post-stop", body, options);
  }

  /**
   * Sets `expect`: how the main process forks (`fork`: once, `daemon`: twice, `stop`: raises
   * SIGSTOP when ready, `none`: not at all).
   * @param kind The kind.
   * @returns This builder.
   * @throws {RangeError} For another value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().expect("daemon").toString(), "expect daemon\n");
   * ```
   */
  expect(kind: JobConfig["expect"]): this {
    const where = "JobBuilder.expect";
    return this.#set(
      where,
      "expect",
      oneOf(where, "the kind", kind, ["none", "stop", "daemon", "fork"]),
    );
  }

  /**
   * Adds `task`: the job runs to completion (a `start` waits until it has finished).
   * @returns This builder.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().task().toString(), "task\n");
   * ```
   */
  task(): this {
    return this.#set("JobBuilder.task", "task", true);
  }

  /**
   * Adds `respawn`: the main process is restarted when it dies unexpectedly.
   * @returns This builder.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().respawn().toString(), "respawn\n");
   * ```
   */
  respawn(): this {
    return this.#set("JobBuilder.respawn", "respawn", true);
  }

  /**
   * Sets `respawn limit COUNT INTERVAL` (or `unlimited`). It does not turn respawning on: call
   * {@linkcode JobBuilder.respawn} too.
   * @param count Respawns allowed within `interval` seconds (0 means unlimited), or `"unlimited"`.
   * @param interval The interval in seconds.
   * @returns This builder.
   * @throws {RangeError} For negative or non-integer values.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().respawnLimit(5, 30).toString(), "respawn limit 5 30\n");
   * ```
   */
  respawnLimit(count: number | "unlimited", interval?: number): this {
    const where = "JobBuilder.respawnLimit";
    if (count === "unlimited") return this.#set(where, "respawn limit", ["unlimited"]);
    const c = integer(where, "the count", count, 0, INT_MAX);
    const i = integer(where, "the interval", interval, 0, Number.MAX_SAFE_INTEGER);
    return this.#set(where, "respawn limit", [c, i]);
  }

  /**
   * Adds a `normal exit` stanza (accumulates): exit statuses and signals that are not failures.
   * @param codes Exit statuses (0 to 2147483647) and signal names (`TERM`, `SIGHUP`).
   * @returns This builder.
   * @throws {RangeError} For a status out of range or an unknown signal name.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().normalExit(0, 2, "TERM").toString(), "normal exit 0 2 TERM\n");
   * ```
   */
  normalExit(...codes: (number | string)[]): this {
    return this.#normalExit(codes);
  }

  #normalExit(codes: readonly (number | string)[]): this {
    const where = "JobBuilder.normalExit";
    if (!codes.length) throw new TypeError(`${where}: give at least one status or signal`);
    const list = codes.map((c) =>
      typeof c === "number" ? integer(where, "the exit status", c, 0, INT_MAX) : signal(where, c)
    );
    return this.#set(where, "normal exit", list, null);
  }

  /**
   * Sets `kill timeout`: seconds between the kill signal and SIGKILL.
   * @param seconds The timeout.
   * @returns This builder.
   * @throws {RangeError} For a negative or non-integer value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().killTimeout(30).toString(), "kill timeout 30\n");
   * ```
   */
  killTimeout(seconds: number): this {
    const where = "JobBuilder.killTimeout";
    return this.#set(
      where,
      "kill timeout",
      integer(where, "the timeout", seconds, 0, Number.MAX_SAFE_INTEGER),
    );
  }

  /**
   * Sets `kill signal`: the signal that stops the job (default TERM).
   * @param sig A name (`INT`, `SIGINT`) or a number.
   * @returns This builder.
   * @throws {RangeError} For an unknown name or a number out of range.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().killSignal("INT").toString(), "kill signal INT\n");
   * ```
   */
  killSignal(sig: string | number): this {
    const where = "JobBuilder.killSignal";
    return this.#set(where, "kill signal", signal(where, sig));
  }

  /**
   * Sets `reload signal`: the signal `initctl reload` sends (default HUP).
   * @param sig A name (`USR1`, `SIGUSR1`) or a number.
   * @returns This builder.
   * @throws {RangeError} For an unknown name or a number out of range.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().reloadSignal("USR1").toString(), "reload signal USR1\n");
   * ```
   */
  reloadSignal(sig: string | number): this {
    const where = "JobBuilder.reloadSignal";
    return this.#set(where, "reload signal", signal(where, sig));
  }

  /**
   * Sets `console`: where the job's output goes (default `log`: `/var/log/upstart/JOB.log`).
   * @param mode `log`, `output`, `owner` or `none`.
   * @returns This builder.
   * @throws {RangeError} For another value.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().console("none").toString(), "console none\n");
   * ```
   */
  console(mode: JobConfig["console"]): this {
    const where = "JobBuilder.console";
    return this.#set(
      where,
      "console",
      oneOf(where, "the mode", mode, ["none", "output", "owner", "log"]),
    );
  }

  /**
   * Sets job environment variables (`env`): `env("PORT", "80")`, several at once with a record,
   * or one entry as Upstart stores it (`env("PORT=80")`, or `env("HOME")` to take init's value).
   * A variable set again replaces its earlier value.
   * @param key The name, a `KEY=VALUE` entry, or a record of names and values.
   * @param value The value.
   * @returns This builder.
   * @throws {TypeError} For an empty name, a name containing `=` when a value is given, or a
   * value that cannot be written (newline, NUL).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().env("GREETING", "hello world").toString();
   * assert.equal(text, 'env "GREETING=hello world"\n');
   * ```
   */
  env(key: string | Readonly<Record<string, string | number>>, value?: string | number): this {
    const where = "JobBuilder.env";
    if (key !== null && typeof key === "object") {
      for (const [k, v] of Object.entries(key)) this.env(k, v);
      return this;
    }
    const k = text(where, "the name", key);
    let entry: string;
    if (value === undefined) entry = k;
    else {
      if (k.includes("=")) throw new TypeError(`${where}: the name contains "=": ${show(k)}`);
      if (typeof value !== "string" && typeof value !== "number") {
        throw new TypeError(
          `${where}: the value must be a string or a number: got ${typeof value}`,
        );
      }
      entry = `${k}=${value}`;
    }
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (name === "") throw new TypeError(`${where}: the variable name is empty: ${show(entry)}`);
    return this.#set(where, "env", entry, `env ${name}`);
  }

  /**
   * Adds an `export` stanza (accumulates): variables passed on to the job's events.
   * @param names Variable names.
   * @returns This builder.
   * @throws {TypeError} For no name, or one that cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().export("PORT").toString(), "export PORT\n");
   * ```
   */
  export(...names: string[]): this {
    return this.#export(names);
  }

  #export(names: readonly string[]): this {
    const where = "JobBuilder.export";
    if (!names.length) throw new TypeError(`${where}: give at least one variable name`);
    return this.#set(where, "export", names.map((n) => text(where, "a name", n)), null);
  }

  /**
   * Sets `umask` (written in octal).
   * @param mode The mask, 0 to 0o777.
   * @returns This builder.
   * @throws {RangeError} Out of range.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().umask(0o027).toString(), "umask 0027\n");
   * ```
   */
  umask(mode: number): this {
    const where = "JobBuilder.umask";
    return this.#set(where, "umask", integer(where, "the mask", mode, 0, 0o777));
  }

  /**
   * Sets `nice`.
   * @param value -20 to 19.
   * @returns This builder.
   * @throws {RangeError} Out of range.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().nice(10).toString(), "nice 10\n");
   * ```
   */
  nice(value: number): this {
    const where = "JobBuilder.nice";
    return this.#set(where, "nice", integer(where, "the nice value", value, -20, 19));
  }

  /**
   * Sets `oom score`: the OOM killer adjustment, -1000 to 1000, or `"never"`.
   * @param score The score.
   * @returns This builder.
   * @throws {RangeError} Out of range.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().oomScore("never").toString(), "oom score never\n");
   * ```
   */
  oomScore(score: number | "never"): this {
    const where = "JobBuilder.oomScore";
    const v = score === "never" ? "never" : integer(where, "the score", score, -1000, 1000);
    return this.#set(where, "oom score", v, "oom");
  }

  /**
   * Sets a resource `limit` (one per resource).
   * @param resource The resource (`nofile`, `core`, …).
   * @param soft The soft limit: a number, a bigint, or `"unlimited"`.
   * @param hard The hard limit (default: the soft one).
   * @returns This builder.
   * @throws {RangeError} For an unknown resource or a negative or non-integer limit.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().limit("nofile", 4096, 8192).toString();
   * assert.equal(text, "limit nofile 4096 8192\n");
   * ```
   */
  limit(
    resource: LimitResource,
    soft: LimitValue | bigint,
    hard: LimitValue | bigint = soft,
  ): this {
    const where = "JobBuilder.limit";
    const r = oneOf(where, "the resource", resource, LIMIT_RESOURCES);
    const v = (what: string, x: unknown): string => {
      if (x === "unlimited") return x;
      if (typeof x === "bigint") {
        if (x < 0n || x > U64_MAX) {
          throw new RangeError(`${where}: the ${what} limit is out of range: ${x}`);
        }
        return String(x);
      }
      return String(integer(where, `the ${what} limit`, x, 0, Number.MAX_SAFE_INTEGER));
    };
    return this.#set(where, "limit", [r, v("soft", soft), v("hard", hard)], `limit ${r}`);
  }

  /**
   * Sets `chroot`: the directory the job's processes run in as root.
   * @param path The directory.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().chroot("/srv/jail").toString(), "chroot /srv/jail\n");
   * ```
   */
  chroot(path: string): this {
    return this.#string("chroot", "chroot", path);
  }

  /**
   * Sets `chdir`: the working directory.
   * @param path The directory.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().chdir("/srv/web").toString(), "chdir /srv/web\n");
   * ```
   */
  chdir(path: string): this {
    return this.#string("chdir", "chdir", path);
  }

  /**
   * Sets `setuid`: the user the processes run as.
   * @param user The user name.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().setuid("www-data").toString(), "setuid www-data\n");
   * ```
   */
  setuid(user: string): this {
    return this.#string("setuid", "setuid", user);
  }

  /**
   * Sets `setgid`: the group the processes run as.
   * @param group The group name.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().setgid("www-data").toString(), "setgid www-data\n");
   * ```
   */
  setgid(group: string): this {
    return this.#string("setgid", "setgid", group);
  }

  /**
   * Sets `apparmor load`: an AppArmor profile file to load before the job starts.
   * @param profile The profile's path.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const text = new JobBuilder().apparmorLoad("/etc/apparmor.d/web").toString();
   * assert.equal(text, "apparmor load /etc/apparmor.d/web\n");
   * ```
   */
  apparmorLoad(profile: string): this {
    const where = "JobBuilder.apparmorLoad";
    return this.#set(where, "apparmor load", text(where, "the profile", profile));
  }

  /**
   * Sets `apparmor switch`: the AppArmor profile the main process runs under.
   * @param profile The profile name.
   * @returns This builder.
   * @throws {TypeError} If it cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().apparmorSwitch("web").toString(), "apparmor switch web\n");
   * ```
   */
  apparmorSwitch(profile: string): this {
    const where = "JobBuilder.apparmorSwitch";
    return this.#set(where, "apparmor switch", text(where, "the profile", profile));
  }

  /**
   * Adds a `cgroup` stanza (accumulates).
   * @param controller The controller (`cpu`, `memory`, …).
   * @param options A cgroup `name`, and a `key` with its `value`.
   * @returns This builder.
   * @throws {TypeError} For a `key` without a `value` or the reverse, or values that cannot be written.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * const t = new JobBuilder().cgroup("memory", { key: "memory.limit_in_bytes", value: "512M" }).toString();
   * assert.equal(t, "cgroup memory memory.limit_in_bytes 512M\n");
   * ```
   */
  cgroup(controller: string, options: CgroupOptions = {}): this {
    const where = "JobBuilder.cgroup";
    const args = [text(where, "the controller", controller)];
    if (options.name !== undefined) args.push(text(where, "the name", options.name));
    if ((options.key === undefined) !== (options.value === undefined)) {
      throw new TypeError(`${where}: give both key and value, or neither`);
    }
    if (options.key !== undefined) {
      args.push(text(where, "the key", options.key), text(where, "the value", options.value));
    }
    return this.#set(where, "cgroup", args, null);
  }

  /**
   * Adds `debug` (a no-op unless init runs with `--debug`).
   * @returns This builder.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().debug().toString(), "debug\n");
   * ```
   */
  debug(): this {
    return this.#set("JobBuilder.debug", "debug", true);
  }

  /**
   * Writes the job file, in {@linkcode formatJob}'s canonical form.
   * @returns The job file's text.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().task().exec("/bin/true").toString(), "task\n\nexec /bin/true\n");
   * ```
   */
  toString(): string {
    let body = "";
    for (const e of this.#entries) body += e.text;
    let out: string;
    try {
      out = formatJob(body);
    } catch (e) {
      // Every value was checked as it was given; this would be a bug in the checks.
      if (e instanceof ParseError) {
        throw new TypeError(`JobBuilder: the job does not parse: ${e.message}`, { cause: e });
      }
      throw e;
    }
    if (!this.#comments.length) return out;
    return this.#comments.join("\n") + "\n" + (out ? "\n" + out : "");
  }

  /**
   * Parses the job this builder writes.
   * @param filename The file name errors and checks report. Default `<input>`.
   * @returns The document.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.ok(new JobBuilder().respawn().toDocument().config.respawn);
   * ```
   */
  toDocument(filename?: string): JobDocument {
    return parseJob(this.toString(), filename === undefined ? {} : { filename });
  }

  /**
   * The configuration Upstart loads from the job this builder writes.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { JobBuilder } from "@upstart/upstart";
   * assert.equal(new JobBuilder().nice(5).config.nice, 5);
   * ```
   */
  get config(): JobConfig {
    return this.toDocument().config;
  }
}

function runlevel(where: string, levels: unknown): string {
  const s = Array.isArray(levels) ? levels.map(String).join("") : levels;
  if (typeof s !== "string" || !/^!?[0-6Ss]+$/.test(s)) {
    throw new RangeError(
      `${where}: runlevels must be 0-6 or S, optionally after "!": got ${show(s)}`,
    );
  }
  return `runlevel [${s}]`;
}
