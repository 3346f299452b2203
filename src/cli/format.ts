/**
 * initctl's text output, as pure functions: status lines, `show-config`
 * lines and `check-config`'s analysis. Each follows Upstart 1.13's
 * `util/initctl.c` line for line (facts taken, not code).
 *
 * @module
 */

import { escapeField } from "./escape.ts";
import { fnmatch } from "../fnmatch.ts";
import { JOB_EVENTS, jobNameOf } from "./job_events.ts";

/** A process as initctl shows it. */
export interface ProcessView {
  /** `main`, `pre-start`, `post-start`, `pre-stop` or `post-stop`. */
  readonly type: string;
  /** Its pid. */
  readonly pid: number;
}

/** An instance as initctl shows it. */
export interface StatusView {
  /** The instance name (`""` for a single-instance job). */
  readonly name: string;
  /** `start` or `stop`. */
  readonly goal: string;
  /** The state (`waiting`, `running`, ...). */
  readonly state: string;
  /** Processes, main first, as Upstart lists them. */
  readonly processes: readonly ProcessView[];
}

/**
 * initctl's status of one instance: `job (inst) goal/state, process PID`, one
 * tab-indented line per further process; `job stop/waiting` when there is no
 * instance (`status` is `null`) or it has already gone (stop/waiting
 * instances are destroyed, so initctl never names them).
 *
 * @param job The job name.
 * @param status The instance, or `null`.
 * @returns The text, without a trailing newline.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusText } from "./format.ts";
 * const s = { name: "2", goal: "start", state: "running", processes: [{ type: "main", pid: 1659 }] };
 * assert.equal(statusText("inst", s), "inst (2) start/running, process 1659");
 * assert.equal(statusText("inst", null), "inst stop/waiting");
 * ```
 */
export function statusText(name: string, status: StatusView | null): string {
  const job = escapeField(name);
  if (status === null || (status.goal === "stop" && status.state === "waiting")) {
    return `${job} stop/waiting`;
  }
  let text = status.name ? `${job} (${escapeField(status.name)})` : job;
  text += ` ${status.goal}/${status.state}`;
  const [first, ...rest] = status.processes;
  if (first) {
    // initctl shows the first process beside the state, naming it unless it is
    // one that can only be running alone (main, pre-start, post-stop).
    text += ["main", "pre-start", "post-stop"].includes(first.type)
      ? `, process ${first.pid}`
      : `, (${first.type}) process ${first.pid}`;
    for (const p of rest) text += `\n\t${p.type} process ${p.pid}`;
  }
  return text;
}

const isOperator = (t: string) => t === "/AND" || t === "/OR";

/** An operand's arguments up to the first empty one (initctl stops there). */
function operandArgs(operand: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of operand.slice(1)) {
    if (a === "") break;
    out.push(a);
  }
  return out;
}

/**
 * Turns a condition as Upstart publishes it (postfix `aas`) into the text
 * `show-config` prints: `((a and b) or c KEY=val)`.
 *
 * @param aas The condition.
 * @returns The text, or `null` for an empty condition.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { conditionText } from "./format.ts";
 * const aas = [["a"], ["b"], ["/AND"], ["c", "KEY=val"], ["/OR"]];
 * assert.equal(conditionText(aas), "((a and b) or c KEY=val)");
 * ```
 */
export function conditionText(aas: readonly (readonly string[])[]): string | null {
  const stack: string[] = [];
  for (const operand of aas) {
    const token = operand[0];
    if (token === undefined) break;
    if (isOperator(token)) {
      const right = stack.pop() ?? "";
      const left = stack.pop() ?? "";
      stack.push(`(${left} ${token === "/AND" ? "and" : "or"} ${right})`);
    } else {
      stack.push([token, ...operandArgs(operand)].join(" "));
    }
  }
  return stack.length ? stack[stack.length - 1] : null;
}

/** One event a condition mentions, as `show-config -e` lists it. */
export interface EnumeratedEvent {
  /** `start on` or `stop on`. */
  readonly stanza: "start on" | "stop on";
  /** The event name. */
  readonly event: string;
  /** For `starting`/`started`/`stopping`/`stopped`: the job named; else `null`. */
  readonly job: string | null;
  /** The other arguments (`KEY=VALUE` or positional matches). */
  readonly env: readonly string[];
}

/**
 * Lists the events of a condition as `show-config -e` does.
 *
 * @param stanza `start on` or `stop on`.
 * @param aas The condition as Upstart publishes it.
 * @returns The events, in the published order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enumerateEvents } from "./format.ts";
 * assert.deepEqual(enumerateEvents("start on", [["started", "JOB=db", "X=1"]]), [
 *   { stanza: "start on", event: "started", job: "db", env: ["X=1"] },
 * ]);
 * ```
 */
export function enumerateEvents(
  stanza: "start on" | "stop on",
  aas: readonly (readonly string[])[],
): EnumeratedEvent[] {
  const out: EnumeratedEvent[] = [];
  for (const operand of aas) {
    const token = operand[0];
    if (token === undefined) break;
    if (isOperator(token)) continue;
    let job: string | null = null;
    const env: string[] = [];
    operandArgs(operand).forEach((arg, i) => {
      if (job === null && JOB_EVENTS.includes(token)) {
        job = jobNameOf(i, arg);
        if (job !== null) return;
      }
      env.push(arg);
    });
    out.push({ stanza, event: token, job, env });
  }
  return out;
}

/**
 * The line `show-config -e` prints for one event.
 *
 * @param e The event.
 * @returns `  start on c (job:, env: KEY=val)`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enumeratedLine } from "./format.ts";
 * const line = enumeratedLine({ stanza: "start on", event: "c", job: null, env: ["KEY=val"] });
 * assert.equal(line, "  start on c (job:, env: KEY=val)");
 * ```
 */
export function enumeratedLine(e: EnumeratedEvent): string {
  const env = e.env.map((a) => " " + a).join("");
  return `  ${e.stanza} ${e.event} (job:${e.job === null ? "" : " " + e.job}, env:${env})`;
}

/** What check-config needs to know about one job. */
export interface JobConditions {
  /** The job name. */
  readonly name: string;
  /** The events it declares with `emits` (globs allowed). */
  readonly emits: readonly string[];
  /** Its `start on`, as Upstart publishes it. */
  readonly startOn: readonly (readonly string[])[];
  /** Its `stop on`, as Upstart publishes it. */
  readonly stopOn: readonly (readonly string[])[];
}

/** One unsatisfiable part of a condition. */
export interface ConditionProblem {
  /** `start on` or `stop on`. */
  readonly stanza: "start on" | "stop on";
  /** An unknown `event`, or an unknown `job` named by a job event. */
  readonly kind: "event" | "job";
  /** The event or job name. */
  readonly name: string;
}

/** check-config's verdict on one job. */
export interface JobCheck {
  /** The job name. */
  readonly name: string;
  /** Its problems, in initctl's order. */
  readonly problems: readonly ConditionProblem[];
}

/** Options of {@linkcode checkConditions}. */
export interface CheckConditionsOptions {
  /** Events to accept although nothing emits them (`-i`). */
  readonly ignored?: readonly string[];
  /** Report every unknown event, even on the satisfiable side of an `or` (`-w`). */
  readonly warn?: boolean;
  /** Talking to a user session (there `session-end` is Upstart's own event). */
  readonly userMode?: boolean;
}

/** Events Upstart itself emits. */
const INIT_EVENTS = [
  "startup",
  "debug",
  "control-alt-delete",
  "keyboard-request",
  "power-status-changed",
  ...JOB_EVENTS,
];

interface Node {
  op: "/AND" | "/OR" | null;
  value: boolean;
  left?: Node;
  right?: Node;
  badEvent?: string;
  badJob?: string;
}

/**
 * check-config's analysis: which `start on`/`stop on` conditions can never
 * be satisfied by the events the known jobs emit (declared with `emits`),
 * Upstart's own events and the ignored ones, with initctl's rules (a job
 * event must name a known job; in an `or`, one satisfiable side is enough
 * unless `warn`; only the first unsatisfiable subtree is reported).
 *
 * @param jobs Every job, in the daemon's order.
 * @param options Ignored events, warn mode, user mode.
 * @returns The jobs with problems, in order.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkConditions } from "./format.ts";
 * // No known job emits runlevel:
 * const checks = checkConditions([{ name: "rl", emits: [], startOn: [["runlevel", "[2345]"]], stopOn: [] }]);
 * assert.deepEqual(checks, [
 *   { name: "rl", problems: [{ stanza: "start on", kind: "event", name: "runlevel" }] },
 * ]);
 * ```
 */
export function checkConditions(
  jobs: readonly JobConditions[],
  options: CheckConditionsOptions = {},
): JobCheck[] {
  const known = new Set(jobs.map((j) => j.name));
  const emitted = jobs.flatMap((j) => j.emits);
  const ignored = new Set(options.ignored ?? []);
  const allowEvent = (e: string) =>
    emitted.some((p) => fnmatch(p, e)) || INIT_EVENTS.includes(e) ||
    (e === "session-end" && options.userMode === true) || ignored.has(e);
  const allowJob = (j: string) => known.has(j) || j.startsWith("$");

  const tree = (aas: readonly (readonly string[])[]): Node | null => {
    const stack: Node[] = [];
    for (const operand of aas) {
      const token = operand[0];
      if (token === undefined) break;
      if (token === "/AND" || token === "/OR") {
        // initctl hangs the later operand on the left.
        const left = stack.pop();
        const right = stack.pop();
        if (!left || !right) return null;
        const value = token === "/AND" || options.warn
          ? left.value && right.value
          : left.value || right.value;
        stack.push({ op: token, value, left, right });
        continue;
      }
      let job: string | null = null;
      if (JOB_EVENTS.includes(token)) {
        for (const [i, arg] of operandArgs(operand).entries()) {
          job = jobNameOf(i, arg);
          if (job !== null) break;
        }
      }
      const node: Node = { op: null, value: true };
      if (job !== null && !allowJob(job)) node.badJob = job;
      if (!allowEvent(token)) node.badEvent = token;
      node.value = !node.badJob && !node.badEvent;
      stack.push(node);
    }
    return stack.length ? stack[stack.length - 1] : null;
  };

  const firstFailing = (n: Node, root: boolean): Node | null => {
    if (n.op === null && !root) return null;
    if (!n.value) return n;
    return (n.left && firstFailing(n.left, false)) || (n.right && firstFailing(n.right, false)) ||
      null;
  };
  const report = (n: Node, stanza: ConditionProblem["stanza"], out: ConditionProblem[]) => {
    if (n.left) report(n.left, stanza, out);
    if (n.right) report(n.right, stanza, out);
    if (n.badEvent) out.push({ stanza, kind: "event", name: n.badEvent });
    if (n.badJob) out.push({ stanza, kind: "job", name: n.badJob });
  };

  const result: JobCheck[] = [];
  for (const job of jobs) {
    const problems: ConditionProblem[] = [];
    for (const [stanza, aas] of [["start on", job.startOn], ["stop on", job.stopOn]] as const) {
      const root = tree(aas);
      const bad = root && firstFailing(root, true);
      if (bad) report(bad, stanza, problems);
    }
    if (problems.length) result.push({ name: job.name, problems });
  }
  return result;
}

/**
 * check-config's text for one job: its name, then one indented line per problem.
 *
 * @param check The job's verdict.
 * @returns The lines.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLines } from "./format.ts";
 * const lines = checkLines({ name: "rl", problems: [{ stanza: "stop on", kind: "event", name: "runlevel" }] });
 * assert.deepEqual(lines, ["rl", "  stop on: unknown event runlevel"]);
 * ```
 */
export function checkLines(check: JobCheck): string[] {
  return [
    check.name,
    ...check.problems.map((p) => `  ${p.stanza}: unknown ${p.kind} ${p.name}`),
  ];
}
