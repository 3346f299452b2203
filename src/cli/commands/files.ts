/**
 * Job-file commands, no daemon needed (except `create`'s final reload and
 * `graph` without `--dir`): check, fmt, parse, create, graph.
 *
 * @module
 */

import {
  type JobDocument,
  ParseError,
  parseJob,
  renderStanza,
  toUpstartConditions,
} from "../../jobfile/mod.ts";
import { CliError, type Command, type Context } from "../context.ts";
import { UsageError } from "../options.ts";
import { daemonOrder, inDaemonOrder } from "./_shared.ts";
import { graphDot, type GraphJob } from "../graph.ts";

/** A loaded job file, or why it could not be loaded. */
type Loaded = { doc: JobDocument; error: null } | { doc: null; error: string; line: number | null };

function load(ctx: Context, path: string): Loaded {
  let bytes: Uint8Array;
  try {
    bytes = ctx.io.readFile(path);
  } catch (e) {
    return { doc: null, error: `${path}: ${(e as Error).message}`, line: null };
  }
  try {
    return { doc: parseJob(bytes, { filename: path }), error: null };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { doc: null, error: e.message, line: e.line };
  }
}

function files(ctx: Context, what = "file name"): readonly string[] {
  if (ctx.args.length === 0) throw new UsageError(`missing ${what}`);
  return ctx.args;
}

const JOB_NAME = /^[^/\s.][^/\s]*$/;

/** The job-file commands. */
export const fileCommands: Command[] = [
  {
    name: "check",
    usage: "FILE...",
    summary: "Check job files as Upstart would load them.",
    help:
      "Parses each FILE exactly as Upstart 1.13 does and reports what it would reject, as FILE:LINE: REASON on stderr. Exits 1 if any file has an error.",
    group: "Job file",
    options: [],
    daemon: false,
    run(ctx) {
      const report: {
        file: string;
        ok: boolean;
        problems: { line: number | null; severity: string; message: string }[];
      }[] = [];
      let status = 0;
      for (const file of files(ctx)) {
        const r = load(ctx, file);
        if (r.doc === null) {
          status = 1;
          if (!ctx.json) ctx.io.stderr(`${r.error}\n`);
          report.push({
            file,
            ok: false,
            problems: [{ line: r.line, severity: "error", message: r.error }],
          });
        } else report.push({ file, ok: true, problems: [] });
      }
      if (ctx.json) ctx.printJson({ ok: status === 0, files: report });
      return Promise.resolve(status);
    },
  },
  {
    name: "parse",
    usage: "FILE",
    summary: "Print the configuration Upstart would load from a job file.",
    help: "Prints the typed configuration of FILE as JSON (--json is implied).",
    group: "Job file",
    options: [],
    daemon: false,
    run(ctx) {
      const [file, extra] = files(ctx);
      if (extra !== undefined) throw new UsageError("parse takes one file");
      const r = load(ctx, file);
      if (r.doc === null) throw new CliError(r.error.startsWith(file) ? r.error : r.error);
      ctx.printJson(r.doc.config);
      return Promise.resolve(0);
    },
  },
  {
    name: "create",
    usage: "NAME --exec COMMAND [OPTION]...",
    summary: "Write a new job file and load it.",
    help:
      "Writes DIR/NAME.conf (default /etc/init) for a service running COMMAND, refusing to replace an existing file, then asks Upstart to reload its configuration (unless --no-reload).",
    group: "Job file",
    options: [
      { long: "exec", arg: "COMMAND", help: "the command the job runs (required)" },
      { long: "description", arg: "TEXT", help: "a description" },
      { long: "author", arg: "TEXT", help: "an author" },
      { long: "start-on", arg: "CONDITION", help: "when to start (e.g. 'runlevel [2345]')" },
      { long: "stop-on", arg: "CONDITION", help: "when to stop (e.g. 'runlevel [!2345]')" },
      { long: "respawn", help: "restart the job when it dies" },
      { long: "task", help: "a task: runs to completion" },
      {
        long: "env",
        arg: "KEY=VALUE",
        multiple: true,
        help: "a variable of the job's environment",
      },
      { long: "setuid", arg: "USER", help: "run as USER" },
      { long: "chdir", arg: "DIR", help: "working directory" },
      { long: "dir", arg: "DIR", help: "where to write (default /etc/init)" },
      { long: "no-reload", help: "do not ask Upstart to reload" },
      { long: "dry-run", help: "print the job file instead of writing it" },
    ],
    daemon: false,
    async run(ctx) {
      const [name, extra] = ctx.args;
      if (name === undefined) throw new UsageError("missing job name");
      if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
      if (!JOB_NAME.test(name)) throw new UsageError(`invalid job name: ${JSON.stringify(name)}`);
      const o = ctx.opts;
      if (typeof o.exec !== "string" || o.exec.trim() === "") {
        throw new UsageError("missing --exec COMMAND");
      }
      let text: string;
      try {
        const stanzas: string[] = [];
        if (typeof o.description === "string") {
          stanzas.push(renderStanza("description", o.description));
        }
        if (typeof o.author === "string") stanzas.push(renderStanza("author", o.author));
        if (typeof o["start-on"] === "string") {
          stanzas.push(renderStanza("start on", o["start-on"]));
        }
        if (typeof o["stop-on"] === "string") stanzas.push(renderStanza("stop on", o["stop-on"]));
        for (const kv of (o.env ?? []) as string[]) {
          if (kv.indexOf("=") <= 0) {
            throw new UsageError(`invalid --env value: ${kv}: expected KEY=VALUE`);
          }
          stanzas.push(renderStanza("env", kv));
        }
        if (typeof o.setuid === "string") stanzas.push(renderStanza("setuid", o.setuid));
        if (typeof o.chdir === "string") stanzas.push(renderStanza("chdir", o.chdir));
        if (o.task === true) stanzas.push(renderStanza("task"));
        if (o.respawn === true) stanzas.push(renderStanza("respawn"));
        stanzas.push(renderStanza("exec", o.exec));
        text = stanzas.join("");
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new CliError(`invalid job: ${(e as Error).message}`);
      }
      // What we wrote must load back as written.
      const doc = parseJob(text, { filename: `${name}.conf` });
      if (o["dry-run"] === true) {
        ctx.io.stdout(text);
        return 0;
      }
      const dir = typeof o.dir === "string" ? o.dir : "/etc/init";
      const path = await installFile(dir, name, doc.toString());
      if (o["no-reload"] !== true) await (await ctx.connect()).reloadConfiguration();
      if (ctx.json) ctx.printJson({ path, job: name, reloaded: o["no-reload"] !== true });
      else ctx.info(`Created ${path}`);
      return 0;
    },
  },
  {
    name: "graph",
    usage: "[JOB]...",
    summary: "Draw jobs and events as a Graphviz graph.",
    help:
      "Prints a DOT graph of which events start and stop which jobs and which events jobs emit (like Upstart's initctl2dot): from the running daemon, or from the job files in --dir. With JOB names, only those jobs and their neighbours.",
    group: "Job file",
    options: [
      {
        long: "dir",
        arg: "DIR",
        multiple: true,
        help: "read job files from DIR instead of asking Upstart",
      },
    ],
    daemon: false,
    async run(ctx) {
      const dirs = (ctx.opts.dir ?? []) as string[];
      let jobs: GraphJob[];
      if (dirs.length) jobs = readDirs(ctx, dirs);
      else {
        const system = await ctx.connect();
        const [all, order] = await Promise.all([
          system.jobs(),
          daemonOrder(system, ctx.connectOptions.dest),
        ]);
        jobs = await Promise.all(
          inDaemonOrder(all, order).map(async (j) => ({
            name: j.name,
            emits: [...j.emits],
            startOn: await j.startOnRaw(),
            stopOn: await j.stopOnRaw(),
          })),
        );
      }
      ctx.io.stdout(graphDot(jobs, { only: ctx.args.length ? ctx.args : undefined }));
      return 0;
    },
  },
];

function readDirs(ctx: Context, dirs: readonly string[]): GraphJob[] {
  const jobs: GraphJob[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".conf"))
        .map((e) => e.name).sort();
    } catch (e) {
      throw new CliError(`${dir}: ${(e as Error).message}`);
    }
    for (const file of names) {
      const r = load(ctx, `${dir}/${file}`);
      if (r.doc === null) {
        ctx.io.stderr(`${r.error}\n`);
        continue;
      }
      const c = r.doc.config;
      jobs.push({
        name: file.slice(0, -5),
        emits: [...c.emits],
        startOn: toUpstartConditions(c.startOn),
        stopOn: toUpstartConditions(c.stopOn),
      });
    }
  }
  return jobs;
}

/** Writes DIR/NAME.conf atomically, never replacing a file. */
async function installFile(dir: string, name: string, text: string): Promise<string> {
  const path = `${dir}/${name}.conf`;
  const tmp = `${dir}/.${name}.conf.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const f = await Deno.open(tmp, { write: true, createNew: true, mode: 0o644 });
    try {
      await f.write(new TextEncoder().encode(text));
      await f.sync();
    } finally {
      f.close();
    }
    // link() fails if the target exists: no window where another file could be replaced.
    await Deno.link(tmp, path);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw new CliError(`${path} already exists: not replacing it`);
    }
    throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
  return path;
}
