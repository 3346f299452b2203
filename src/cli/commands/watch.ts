/**
 * Live commands: `watch` (alias `monitor`) prints Upstart's events as they
 * happen, like upstart-monitor; `wait` blocks until a job reaches a state.
 * Both end cleanly on Ctrl-C.
 *
 * @module
 */

import { hasFeature } from "../../versions.ts";
import { escapeField } from "../escape.ts";
import type { UpstartEvent } from "../../events.ts";
import { EVENT_TYPES, type UpstartEventType } from "../../events.ts";
import { STATES } from "../../states.ts";
import { CliError, type Command, type Context } from "../context.ts";
import { UsageError } from "../options.ts";
import { instanceJson, interruptedStatus } from "./_shared.ts";

/**
 * One event as `watch` prints it (without the time).
 *
 * @param ev The event.
 * @returns `StateChanged svc (1) running`, `EventEmitted started JOB=svc INSTANCE=`...
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventText } from "./watch.ts";
 * assert.equal(eventText({ type: "JobAdded", job: "svc", path: "/x" }), "JobAdded svc");
 * ```
 */
export function eventText(ev: UpstartEvent): string {
  const inst = (e: { job: string; instance: string }) =>
    e.instance ? `${e.job} (${e.instance})` : e.job;
  switch (ev.type) {
    case "JobAdded":
    case "JobRemoved":
      return `${ev.type} ${ev.job}`;
    case "EventEmitted":
      return [ev.type, ev.name, ...ev.env].join(" ");
    case "Restarted":
      return ev.type;
    case "InstanceAdded":
    case "InstanceRemoved":
      return `${ev.type} ${inst(ev)}`;
    case "GoalChanged":
      return `${ev.type} ${inst(ev)} ${ev.goal}`;
    case "StateChanged":
      return `${ev.type} ${inst(ev)} ${ev.state}`;
    case "Failed":
      return `${ev.type} ${inst(ev)} status ${ev.status}`;
  }
}

function timeText(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** How often `wait` looks at the instances on a daemon that sends no state signals. */
const POLL_MS = 100;

function parseSeconds(value: unknown, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !(n >= 0) || !Number.isFinite(n)) {
    throw new UsageError(`invalid ${option} value: ${value}: expected a number of seconds`);
  }
  return n * 1000;
}

const COLOURS: Partial<Record<UpstartEventType, string>> = {
  Failed: "31",
  EventEmitted: "36",
  StateChanged: "32",
  GoalChanged: "33",
};

async function watch(ctx: Context): Promise<number> {
  const types = ((ctx.opts.type ?? []) as string[]).flatMap((t) => t.split(",")).filter(Boolean);
  for (const t of types) {
    if (!(EVENT_TYPES as readonly string[]).includes(t)) {
      throw new UsageError(`invalid event type: ${t} (expected one of ${EVENT_TYPES.join(", ")})`);
    }
  }
  const count = ctx.opts.count === undefined ? Infinity : Number(ctx.opts.count);
  if (!(count >= 1) || (count !== Infinity && !Number.isInteger(count))) {
    throw new UsageError(`invalid --count value: ${ctx.opts.count}: expected a positive integer`);
  }
  const system = await ctx.connect();
  // A misspelt job would be watched in silence forever: say so, unless asked to wait for it.
  if (ctx.args[0] !== undefined && ctx.opts["wait-for-job"] !== true) {
    await system.job(ctx.args[0]);
  }
  const interrupt = ctx.io.interrupt;
  const stream = system.watch({
    types: types.length ? types as UpstartEventType[] : undefined,
    job: ctx.args[0],
    signal: interrupt,
  });
  // no-color.org: a NO_COLOR that is set and not empty turns colour off.
  const colour = ctx.io.stdoutIsTerminal() && !ctx.io.env("NO_COLOR") && !ctx.json;
  try {
    await stream.ready;
    if (ctx.io.stderrIsTerminal() || ctx.opts.verbose === true) {
      ctx.io.stderr("Watching Upstart's events (Ctrl-C ends)\n");
    }
    for (let seen = 0; seen < count;) {
      const r = await stream.next();
      if (r.done) break;
      const ev = r.value;
      seen++;
      const now = new Date();
      if (ctx.json) ctx.io.stdout(JSON.stringify({ time: now.toISOString(), ...ev }) + "\n");
      else {
        const text = escapeField(eventText(ev));
        const c = colour ? COLOURS[ev.type] : undefined;
        ctx.io.stdout(`${timeText(now)} ${c ? `\x1b[${c}m${text}\x1b[0m` : text}\n`);
      }
    }
    return 0;
  } catch (e) {
    // Ctrl-C ends the stream with the interrupt's reason: a normal end for `watch`.
    if (interrupt.aborted && e === interrupt.reason) return 0;
    throw e;
  } finally {
    await stream.return?.();
  }
}

/** Parses `STATE` or `GOAL/STATE`. */
function parseTarget(text: string): { goal: string | null; state: string } {
  const [goal, state] = text.includes("/") ? text.split("/", 2) : [null, text];
  if (goal !== null && goal !== "start" && goal !== "stop") {
    throw new UsageError(`invalid goal: ${goal} (expected start or stop)`);
  }
  if (!(STATES as readonly string[]).includes(state)) {
    throw new UsageError(`invalid state: ${state} (expected one of ${STATES.join(", ")})`);
  }
  return { goal, state };
}

async function wait(ctx: Context): Promise<number> {
  const [jobName, targetText = "running"] = ctx.args;
  if (jobName === undefined) throw new UsageError("missing job name");
  const target = parseTarget(targetText);
  const timeout = parseSeconds(ctx.opts.timeout, "--timeout");
  const wanted = ctx.opts.instance as string | undefined;
  const system = await ctx.connect();
  const job = await system.job(jobName);
  const interrupt = ctx.io.interrupt;
  const deadline = timeout === undefined ? undefined : AbortSignal.timeout(timeout);
  const signal = deadline ? AbortSignal.any([interrupt, deadline]) : interrupt;
  const stream = system.watch({ job: job.name, signal });
  const done = ctx.progress(`waiting for ${job.name} to be ${targetText}`);
  // Subscribed before the first look, so no transition between the two is missed.
  const reached = async (): Promise<boolean> => {
    const all = (await job.status()).filter((i) => wanted === undefined || i.name === wanted);
    if (target.state === "waiting") {
      return all.length === 0 || all.every((i) => i.state === "waiting");
    }
    return all.some((i) => i.state === target.state && (!target.goal || i.goal === target.goal));
  };
  try {
    await stream.ready;
    if (ctx.opts.verbose === true) {
      ctx.io.stderr(`Waiting for ${escapeField(job.name)} to be ${targetText} (Ctrl-C ends)\n`);
    }
    let ok = await reached();
    // Before 0.6.7 Upstart sends no StateChanged or GoalChanged: look again every 100 ms instead.
    const polling = !hasFeature(system.versionInfo, "instance.StateChanged");
    while (!ok) {
      if (polling) {
        await delay(POLL_MS, signal);
        ok = await reached();
        continue;
      }
      const r = await stream.next();
      if (r.done) throw new CliError("Lost the connection to Upstart");
      const ev = r.value;
      if (wanted !== undefined && "instance" in ev && ev.instance !== wanted) continue;
      // A state seen in a signal counts even if the instance has moved on since; but
      // `waiting' means no instance left, which one instance's signal cannot tell.
      ok = ev.type === "StateChanged" && ev.state === target.state && target.goal === null &&
          target.state !== "waiting"
        ? true
        : ["StateChanged", "GoalChanged", "InstanceAdded", "InstanceRemoved", "JobAdded"]
          .includes(ev.type) && await reached();
    }
    const status = (await job.status()).find((i) => wanted === undefined || i.name === wanted);
    if (ctx.json) ctx.printJson(instanceJson(job.name, status ?? null));
    return 0;
  } catch (e) {
    if (interrupt.aborted && e === interrupt.reason) return interruptedStatus(interrupt);
    if (deadline?.aborted && e === deadline.reason) {
      throw new CliError(`Timed out waiting for ${job.name} to be ${targetText}`, 124);
    }
    throw e;
  } finally {
    done();
    await stream.return?.();
  }
}

/** Resolves after `ms`, or rejects with `signal.reason` when it aborts first. */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const abort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal.addEventListener("abort", abort, { once: true });
  });
}

/** The live commands. */
export const watchCommands: Command[] = [
  {
    name: "watch",
    aliases: ["monitor"],
    usage: "[JOB]",
    summary: "Print Upstart's events as they happen.",
    help:
      "Prints one line per event (jobs added and removed, events emitted, instances added and removed, goal and state changes, failures), or one JSON object per line with --json, until Ctrl-C. With JOB, only that job's events (an unknown JOB is an error unless --wait-for-job).",
    group: "Watching",
    streaming: true,
    options: [
      {
        long: "type",
        short: "t",
        arg: "TYPES",
        multiple: true,
        help: `only these comma-separated event types (${EVENT_TYPES.join(", ")})`,
      },
      { long: "count", arg: "N", help: "exit after N events" },
      { long: "wait-for-job", help: "with JOB: watch it even if it does not exist (yet)" },
    ],
    daemon: true,
    run: watch,
  },
  {
    name: "wait",
    usage: "JOB [[GOAL/]STATE]",
    summary: "Wait until a job reaches a state.",
    help:
      "Blocks until an instance of JOB is in STATE (default running; `waiting' means no instance is left), then exits 0. Exits 124 on --timeout, 130 on Ctrl-C, 143 on SIGTERM.",
    group: "Watching",
    options: [
      { long: "timeout", arg: "SECONDS", help: "give up after SECONDS" },
      { long: "instance", arg: "NAME", help: "only the instance NAME" },
    ],
    daemon: true,
    run: wait,
  },
];
