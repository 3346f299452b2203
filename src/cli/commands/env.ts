/**
 * initctl's job-environment commands: get-env, set-env, unset-env, list-env,
 * reset-env. Like initctl, they act on the global job environment table,
 * or, run from inside a job ($UPSTART_JOB), on that job's own unless `-g`.
 *
 * @module
 */

import { escapeField } from "../escape.ts";
import type { EnvScope } from "../../env.ts";
import { CliError, type Command, type Context } from "../context.ts";
import { type OptionSpec, UsageError } from "../options.ts";
import { done } from "./_shared.ts";

const GLOBAL: OptionSpec = {
  long: "global",
  short: "g",
  help: "use the global job environment table even when run from inside a job",
};

/** initctl's get_job_details: the calling job's instance, unless -g or not inside a job. */
function scope(ctx: Context): EnvScope {
  if (ctx.opts.global === true) return {};
  const job = ctx.io.env("UPSTART_JOB");
  if (job === undefined) return {};
  const instance = ctx.io.env("UPSTART_INSTANCE");
  if (instance === undefined) throw new UsageError("missing job name");
  return { job, instance };
}

const envCommand = (
  name: string,
  usage: string,
  summary: string,
  help: string,
  run: (ctx: Context, scope: EnvScope) => Promise<number>,
  extra: OptionSpec[] = [],
): Command => ({
  name,
  usage,
  summary,
  help,
  group: "Environment",
  options: [GLOBAL, ...extra],
  daemon: true,
  run: (ctx) => run(ctx, scope(ctx)),
});

/** The environment commands. */
export const envCommands: Command[] = [
  envCommand(
    "get-env",
    "VARIABLE",
    "Show one variable of the job environment.",
    "Prints the value of VARIABLE in the job environment table.",
    async (ctx, sc) => {
      const [name] = ctx.args;
      if (name === undefined) throw new UsageError("missing variable name");
      const value = await (await ctx.connect()).getEnv(name, sc);
      if (value === undefined) throw new CliError(`No such variable: ${name}`);
      if (ctx.json) ctx.printJson({ name, value });
      else ctx.print(escapeField(value));
      return 0;
    },
  ),
  envCommand(
    "set-env",
    "VARIABLE[=VALUE]...",
    "Set variables in the job environment.",
    "Adds or replaces variables in the job environment table (VARIABLE alone sets it to the empty string). With --retain, a variable that is already set keeps its value.",
    async (ctx, sc) => {
      if (ctx.args.length === 0) throw new UsageError("missing variable value");
      if (ctx.args.some((a) => a === "")) throw new CliError("Variable may not be empty string");
      const vars = ctx.args.map((a) => a.includes("=") ? a : a + "=");
      await (await ctx.connect()).setEnv(vars, { ...sc, replace: ctx.opts.retain !== true });
      return done(ctx);
    },
    [{ long: "retain", short: "r", help: "keep the current value of a variable already set" }],
  ),
  envCommand(
    "unset-env",
    "VARIABLE...",
    "Remove variables from the job environment.",
    "Removes each VARIABLE from the job environment table.",
    async (ctx, sc) => {
      if (ctx.args.length === 0) throw new UsageError("missing variable name");
      await (await ctx.connect()).unsetEnv(ctx.args, sc);
      return done(ctx);
    },
  ),
  envCommand(
    "list-env",
    "",
    "List the job environment.",
    "Prints every KEY=VALUE of the job environment table, sorted.",
    async (ctx, sc) => {
      const env = await (await ctx.connect()).listEnv(sc);
      const lines = Object.entries(env).map(([k, v]) => `${k}=${v}`).sort();
      if (ctx.json) ctx.printJson({ env: Object.fromEntries(lines.map((l) => l.split(/=(.*)/s))) });
      else if (lines.length) ctx.print(lines.map(escapeField).join("\n"));
      return 0;
    },
  ),
  envCommand(
    "reset-env",
    "",
    "Undo every change to the job environment.",
    "Sets the job environment table back to what Upstart started with.",
    async (ctx, sc) => {
      await (await ctx.connect()).resetEnv(sc);
      return done(ctx);
    },
  ),
];
