/**
 * initctl's job commands: start, stop, restart, reload, status, list, usage.
 *
 * @module
 */

import type { Instance } from "../../instance.ts";
import type { Job } from "../../job.ts";
import type { Command, Context } from "../context.ts";
import { statusText } from "../format.ts";
import {
  done,
  envPairs,
  instanceJson,
  interruptedStatus,
  type JobTarget,
  jobTarget,
  NO_WAIT,
} from "./_shared.ts";
import { UnknownInstanceError } from "../../errors.ts";

const ENV_HELP =
  "KEY=VALUE arguments are passed to the job and select the instance, as with initctl.";

async function show(ctx: Context, job: Job, inst: Instance | null): Promise<number> {
  const status = inst ? await inst.status() : null;
  if (ctx.json) ctx.printJson(instanceJson(job.name, status, inst?.name));
  else ctx.print(statusText(job.name, status));
  return 0;
}

/** The job a job command names (or, inside a job, its own), looked up on the daemon. */
async function targetJob(ctx: Context): Promise<{ target: JobTarget; job: Job }> {
  const target = jobTarget(ctx);
  const job = await (await ctx.connect()).job(target.job);
  return { target, job };
}

/** The instance `KEY=VALUE` arguments select, or, inside a job, its own ($UPSTART_INSTANCE). */
function targetInstance(job: Job, target: JobTarget): Promise<Instance> {
  return target.instance !== null
    ? job.instance(target.instance)
    : job.instanceFor(envPairs(target.env));
}

/** Runs `start`, `stop` or `restart`. */
async function control(ctx: Context, action: "start" | "stop" | "restart"): Promise<number> {
  const { target, job } = await targetJob(ctx);
  const wait = ctx.opts["no-wait"] !== true;
  if (target.instance !== null) {
    // Called from inside a job: act on its own instance, never waiting (that would deadlock).
    const inst = await targetInstance(job, target);
    await inst[action]({ wait: false });
    return await show(ctx, job, inst);
  }
  const env = envPairs(target.env);
  const stopProgress = ctx.progress(
    `${action === "stop" ? "stopping" : action + "ing"} ${job.name}`,
  );
  const interrupt = ctx.io.interrupt;
  let outcome: Instance;
  try {
    // Ctrl-C ends the command (the daemon goes on with the job, as when initctl is killed), but
    // only after the progress line is erased.
    if (action === "stop") {
      outcome = await targetInstance(job, target);
      await job.stop({ env, wait, signal: interrupt });
    } else outcome = await job[action]({ env, wait, signal: interrupt });
  } catch (e) {
    if (interrupt.aborted && e === interrupt.reason) return interruptedStatus(interrupt);
    throw e;
  } finally {
    stopProgress(); // erased before anything else is printed
  }
  return await show(ctx, job, outcome);
}

const controlCommand = (
  name: "start" | "stop" | "restart",
  summary: string,
  help: string,
): Command => ({
  name,
  usage: "JOB [KEY=VALUE]...",
  summary,
  help: `${help} ${ENV_HELP} Prints the instance's status afterwards.`,
  group: "Job",
  options: [NO_WAIT],
  daemon: true,
  run: (ctx) => control(ctx, name),
});

/** The job commands. */
export const jobCommands: Command[] = [
  controlCommand(
    "start",
    "Start a job.",
    "Sets the goal of JOB (or of the instance its environment selects) to start and waits until it is running (a task: until it has finished).",
  ),
  controlCommand(
    "stop",
    "Stop a job.",
    "Sets the goal of the selected instance of JOB to stop and waits until it has stopped.",
  ),
  controlCommand(
    "restart",
    "Restart a job.",
    "Stops and starts the selected instance of JOB again, keeping its goal.",
  ),
  {
    name: "reload",
    usage: "JOB [KEY=VALUE]...",
    summary: "Send the reload signal (SIGHUP) to a job.",
    help: `Sends the selected instance of JOB its reload signal. ${ENV_HELP}`,
    group: "Job",
    options: [],
    daemon: true,
    async run(ctx) {
      const { target, job } = await targetJob(ctx);
      const inst = await targetInstance(job, target);
      // Before Upstart 1.10 this sends SIGHUP from here, as initctl does.
      await inst.reload();
      return done(ctx);
    },
  },
  {
    name: "status",
    usage: "JOB [KEY=VALUE]...",
    summary: "Show the status of a job.",
    help: `Prints the goal, state and processes of the selected instance of JOB. ${ENV_HELP}`,
    group: "Job",
    options: [],
    daemon: true,
    async run(ctx) {
      const { target, job } = await targetJob(ctx);
      let inst: Instance | null = null;
      try {
        inst = await targetInstance(job, target);
      } catch (e) {
        // No instance and no arguments: the job is simply stopped.
        if (!(e instanceof UnknownInstanceError) || target.instance !== null || target.env.length) {
          throw e;
        }
      }
      return await show(ctx, job, inst);
    },
  },
  {
    name: "list",
    usage: "",
    summary: "List every job and the status of each of its instances.",
    help:
      "Prints one status line per instance (a job with none is shown as stop/waiting), in the daemon's order. The statuses are fetched with many calls in flight at once.",
    group: "Job",
    options: [],
    daemon: true,
    async run(ctx) {
      const system = await ctx.connect();
      const jobs = await system.statusAll({ order: "daemon" });
      if (ctx.json) {
        ctx.printJson({
          jobs: jobs.map((j) => ({
            name: j.name,
            instances: j.instances.map((i) => instanceJson(j.name, i)),
          })),
        });
        return 0;
      }
      const lines: string[] = [];
      for (const j of jobs) {
        if (j.instances.length === 0) lines.push(statusText(j.name, null));
        for (const i of j.instances) lines.push(statusText(j.name, i));
      }
      if (lines.length) ctx.print(lines.join("\n"));
      return 0;
    },
  },
  {
    name: "usage",
    usage: "JOB",
    summary: "Show a job's usage message.",
    help: "Prints the text of JOB's usage stanza (empty when it has none).",
    group: "Job",
    options: [],
    daemon: true,
    async run(ctx) {
      const { job } = await targetJob(ctx);
      if (ctx.json) ctx.printJson({ job: job.name, usage: job.usage });
      else ctx.print(`Usage: ${job.usage ?? ""}`);
      return 0;
    },
  },
];
