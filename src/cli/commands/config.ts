/**
 * initctl's show-config and check-config: what the loaded jobs emit and wait
 * for, and which of their conditions nothing can ever satisfy.
 *
 * @module
 */

import type { Job } from "../../job.ts";
import { CliError, type Command, type Context } from "../context.ts";
import {
  checkConditions,
  checkLines,
  conditionText,
  enumeratedLine,
  enumerateEvents,
  type JobConditions,
} from "../format.ts";

interface Loaded extends JobConditions {
  readonly path: string;
}

async function load(ctx: Context, only?: string): Promise<Loaded[]> {
  const system = await ctx.connect();
  const jobs: Job[] = only !== undefined
    ? [await system.job(only)]
    : await system.jobs({ order: "daemon" });
  return await Promise.all(jobs.map(async (job) => {
    const [startOn, stopOn] = await Promise.all([job.startOnRaw(), job.stopOnRaw()]);
    return { name: job.name, path: job.path, emits: [...job.emits], startOn, stopOn };
  }));
}

/** The configuration commands. */
export const configCommands: Command[] = [
  {
    name: "show-config",
    usage: "[JOB]",
    summary: "Show what jobs emit and wait for.",
    help:
      "For JOB, or every job, prints its `emits' events and its `start on' and `stop on' conditions. With --enumerate, lists each event of the conditions on its own line with the job it names and its arguments.",
    group: "Daemon",
    options: [{
      long: "enumerate",
      short: "e",
      help: "list every event of the conditions separately",
    }],
    daemon: true,
    async run(ctx) {
      const jobs = await load(ctx, ctx.args[0]);
      const enumerate = ctx.opts.enumerate === true;
      if (ctx.json) {
        ctx.printJson({
          jobs: jobs.map((j) => ({
            name: j.name,
            emits: j.emits,
            startOn: conditionText(j.startOn),
            stopOn: conditionText(j.stopOn),
            startOnRaw: j.startOn,
            stopOnRaw: j.stopOn,
            ...(enumerate
              ? {
                events: [
                  ...enumerateEvents("start on", j.startOn),
                  ...enumerateEvents("stop on", j.stopOn),
                ],
              }
              : {}),
          })),
        });
        return 0;
      }
      const lines: string[] = [];
      for (const j of jobs) {
        lines.push(j.name, ...j.emits.map((e) => `  emits ${e}`));
        for (const [stanza, aas] of [["start on", j.startOn], ["stop on", j.stopOn]] as const) {
          if (enumerate) lines.push(...enumerateEvents(stanza, aas).map(enumeratedLine));
          else {
            const text = conditionText(aas);
            if (text !== null) lines.push(`  ${stanza} ${text}`);
          }
        }
      }
      if (lines.length) ctx.print(lines.join("\n"));
      return 0;
    },
  },
  {
    name: "check-config",
    usage: "[JOB]",
    summary: "Find conditions no job or event can satisfy.",
    help:
      "Checks the `start on' and `stop on' conditions of JOB, or of every job, against the events jobs declare with `emits', Upstart's own events and the ignored ones, and lists the unknown events and jobs. Exits 1 when it finds any.",
    group: "Daemon",
    options: [
      {
        long: "ignore-events",
        short: "i",
        arg: "EVENT_LIST",
        multiple: true,
        help: "comma-separated events to accept although no job emits them",
      },
      {
        long: "warn",
        short: "w",
        help: "report every unknown event, even beside a good `or' branch",
      },
    ],
    daemon: true,
    async run(ctx) {
      const jobs = await load(ctx);
      const only = ctx.args[0];
      if (only !== undefined && !jobs.some((j) => j.name === only)) {
        throw new CliError(`Invalid job class: ${only}`);
      }
      const ignored = ((ctx.opts["ignore-events"] ?? []) as string[])
        .flatMap((l) => l.split(",")).filter((e) => e !== "");
      const checks = checkConditions(jobs, {
        ignored,
        warn: ctx.opts.warn === true,
        userMode: ctx.userMode,
      }).filter((c) => only === undefined || c.name === only);
      if (ctx.json) ctx.printJson({ ok: checks.length === 0, jobs: checks });
      else if (checks.length) ctx.print(checks.flatMap(checkLines).join("\n"));
      return checks.length ? 1 : 0;
    },
  },
];
