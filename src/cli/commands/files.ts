/**
 * Job-file commands, no daemon needed (except `create`'s final reload and
 * `graph` without `--dir`): check, fmt, parse, create, graph.
 *
 * @module
 */

import {
  checkJob,
  type CheckOptions,
  formatJob,
  installJob,
  JobBuilder,
  JobCheckError,
  type JobDocument,
  JobExistsError,
  type JobProblem,
  ParseError,
  parseJob,
  toUpstartConditions,
  validateJobName,
  writeFileAtomic,
} from "../../jobfile/mod.ts";
import { CliError, type Command, type Context } from "../context.ts";
import { UsageError } from "../options.ts";
import { graphDot, type GraphJob } from "../graph.ts";
import { reloadAfterWrite } from "./_shared.ts";

/** A loaded job file, or why it could not be loaded. */
type Loaded = { doc: JobDocument; error: null } | { doc: null; error: string };

function load(ctx: Context, path: string): Loaded {
  let bytes: Uint8Array;
  try {
    bytes = ctx.io.readFile(path);
  } catch (e) {
    return { doc: null, error: `${path}: ${(e as Error).message}` };
  }
  try {
    return { doc: parseJob(bytes, { filename: path }), error: null };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { doc: null, error: e.message };
  }
}

function files(ctx: Context, what = "file name"): readonly string[] {
  if (ctx.args.length === 0) throw new UsageError(`missing ${what}`);
  return ctx.args;
}

/** User or group names from a passwd/group-format file given with `--passwd`/`--group`. */
function accountFile(ctx: Context, opt: "passwd" | "group"): CheckOptions["users"] {
  if (ctx.opts["no-accounts"] === true) return null;
  const path = ctx.opts[opt];
  if (typeof path !== "string") return undefined; // checkJob reads /etc/passwd or /etc/group
  let text: string;
  try {
    text = new TextDecoder().decode(ctx.io.readFile(path));
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  return text.split("\n").filter((l) => l.includes(":") && !l.startsWith("#"))
    .map((l) => l.slice(0, l.indexOf(":")));
}

/** A problem as printed: Upstart's own message for errors, `FILE:LINE: warning: …` otherwise. */
function problemLine(file: string, p: JobProblem): string {
  if (p.error) return p.error.message;
  return `${file}:${p.line}: ${p.severity}: ${p.message}`;
}

function problemJson(p: JobProblem) {
  return {
    line: p.line,
    column: p.column,
    severity: p.severity,
    code: p.code,
    message: p.error ? p.error.message : p.message,
  };
}

/** The job-file commands. */
export const fileCommands: Command[] = [
  {
    name: "check",
    usage: "FILE...",
    summary: "Check job files as Upstart would load them.",
    help:
      "Parses each FILE exactly as Upstart 1.13 does and reports what it would reject, as FILE:LINE: REASON on stderr, and what it would load but probably not as meant, as FILE:LINE: warning: MESSAGE (a task that respawns, expect fork on a script, stanzas overridden by later ones, a setuid user or setgid group missing from /etc/passwd or /etc/group, backslashes libnih keeps or mangles, …). Exits 1 if any file has an error (or, with --strict, a warning). -q prints errors only.",
    group: "Job file",
    options: [
      { long: "strict", help: "exit 1 on warnings too" },
      { long: "passwd", arg: "FILE", help: "check setuid users against FILE, not /etc/passwd" },
      { long: "group", arg: "FILE", help: "check setgid groups against FILE, not /etc/group" },
      { long: "no-accounts", help: "do not check setuid users and setgid groups" },
    ],
    daemon: false,
    run(ctx) {
      const users = accountFile(ctx, "passwd");
      const groups = accountFile(ctx, "group");
      const quiet = ctx.opts.quiet === true;
      const strict = ctx.opts.strict === true;
      const report: {
        file: string;
        ok: boolean;
        problems: ReturnType<typeof problemJson>[];
      }[] = [];
      let status = 0;
      for (const file of files(ctx)) {
        let bytes: Uint8Array;
        try {
          bytes = ctx.io.readFile(file);
        } catch (e) {
          const message = `${file}: ${(e as Error).message}`;
          status = 1;
          if (!ctx.json) ctx.io.stderr(`${message}\n`);
          report.push({
            file,
            ok: false,
            problems: [{ line: 0, column: 0, severity: "error", code: "read", message }],
          });
          continue;
        }
        const problems = checkJob(parseJob(bytes, { filename: file, throwOnError: false }), {
          users,
          groups,
        });
        const failed = problems.some((p) => p.severity === "error" || strict);
        if (failed) status = 1;
        if (!ctx.json) {
          for (const p of problems) {
            if (p.severity === "error" || !quiet) ctx.io.stderr(problemLine(file, p) + "\n");
          }
        }
        report.push({ file, ok: !failed, problems: problems.map(problemJson) });
      }
      if (ctx.json) ctx.printJson({ ok: status === 0, files: report });
      return Promise.resolve(status);
    },
  },
  {
    name: "fmt",
    usage: "[--check] FILE...",
    summary: "Rewrite job files in canonical form.",
    help:
      "Rewrites each FILE in place in the canonical form of formatJob (stanzas grouped and ordered, values re-quoted, comments kept with their stanzas), atomically and keeping its permissions; what Upstart loads does not change. With --check, writes nothing and lists the files that are not formatted, exiting 1 if there are any. Files Upstart rejects are reported and left alone (exit 1).",
    group: "Job file",
    options: [{ long: "check", help: "only list unformatted files; exit 1 if there are any" }],
    daemon: false,
    async run(ctx) {
      const check = ctx.opts.check === true;
      const report: { file: string; formatted: boolean; changed: boolean; error?: string }[] = [];
      let status = 0;
      const fail = (file: string, error: string) => {
        status = 1;
        if (!ctx.json) ctx.io.stderr(error + "\n");
        report.push({ file, formatted: false, changed: false, error });
      };
      for (const file of files(ctx)) {
        const r = load(ctx, file);
        if (r.doc === null) {
          fail(file, r.error);
          continue;
        }
        let text: string;
        try {
          text = formatJob(r.doc);
        } catch (e) {
          fail(file, `${file}: ${(e as Error).message}`);
          continue;
        }
        const bytes = new TextEncoder().encode(text);
        const old = r.doc.toBytes();
        const same = bytes.length === old.length && bytes.every((b, i) => b === old[i]);
        if (same) {
          report.push({ file, formatted: true, changed: false });
          continue;
        }
        if (check) {
          status = 1;
          if (!ctx.json) ctx.print(file);
          report.push({ file, formatted: false, changed: false });
          continue;
        }
        try {
          // Write through a symlink to its target, keeping the file's mode and owner.
          const real = await Deno.realPath(file);
          const st = await Deno.stat(real);
          await writeFileAtomic(real, bytes, {
            overwrite: true,
            mode: (st.mode ?? 0o644) & 0o7777,
            owner: { uid: st.uid, gid: st.gid },
          });
        } catch (e) {
          if (e instanceof Deno.errors.NotCapable) throw e;
          fail(file, `${file}: cannot write: ${(e as Error).message}`);
          continue;
        }
        ctx.info(`Formatted ${file}`);
        report.push({ file, formatted: true, changed: true });
      }
      if (ctx.json) ctx.printJson({ ok: status === 0, files: report });
      return status;
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
      if (r.doc === null) throw new CliError(r.error);
      ctx.printJson(r.doc.config);
      return Promise.resolve(0);
    },
  },
  {
    name: "create",
    usage: "NAME --exec COMMAND [OPTION]...",
    summary: "Write a new job file and load it.",
    help:
      "Builds DIR/NAME.conf (default /etc/init) for a service running COMMAND, checks it, and writes it atomically, refusing to replace an existing file (unless --overwrite); then asks Upstart to reload its configuration (unless --no-reload). Upstart is reached before anything is written, so when it cannot be, no file is left behind. Warnings from the checker are printed on stderr.",
    group: "Job file",
    options: [
      { long: "exec", arg: "COMMAND", help: "the command the job runs (required)" },
      { long: "description", arg: "TEXT", help: "a description" },
      { long: "author", arg: "TEXT", help: "an author" },
      { long: "start-on", arg: "CONDITION", help: "when to start (e.g. 'runlevel [2345]')" },
      { long: "stop-on", arg: "CONDITION", help: "when to stop (e.g. 'runlevel [!2345]')" },
      { long: "respawn", help: "restart the job when it dies" },
      { long: "task", help: "a task: runs to completion" },
      { long: "instance", arg: "NAME", help: "instance name template (e.g. '$PORT')" },
      { long: "expect", arg: "KIND", help: "how the process forks: fork, daemon or stop" },
      { long: "console", arg: "MODE", help: "where output goes: log, output, owner or none" },
      { long: "kill-timeout", arg: "SECONDS", help: "seconds between the kill signal and SIGKILL" },
      {
        long: "env",
        arg: "KEY=VALUE",
        multiple: true,
        help: "a variable of the job's environment",
      },
      { long: "setuid", arg: "USER", help: "run as USER" },
      { long: "setgid", arg: "GROUP", help: "run as GROUP" },
      { long: "chdir", arg: "DIR", help: "working directory" },
      { long: "dir", arg: "DIR", help: "where to write (default /etc/init)" },
      { long: "overwrite", help: "replace an existing job file" },
      { long: "no-reload", help: "do not ask Upstart to reload" },
      { long: "dry-run", help: "print the job file instead of writing it" },
    ],
    daemon: false,
    async run(ctx) {
      const [name, extra] = ctx.args;
      if (name === undefined) throw new UsageError("missing job name");
      if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
      try {
        validateJobName(name);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const o = ctx.opts;
      if (typeof o.exec !== "string" || o.exec.trim() === "") {
        throw new UsageError("missing --exec COMMAND");
      }
      const str = (k: string) => (typeof o[k] === "string" ? o[k] as string : undefined);
      let text: string;
      try {
        const b = new JobBuilder();
        const v = (k: string, f: (s: string) => unknown) => {
          const s = str(k);
          if (s !== undefined) f(s);
        };
        v("description", (s) => b.description(s));
        v("author", (s) => b.author(s));
        v("start-on", (s) => b.startOn(s));
        v("stop-on", (s) => b.stopOn(s));
        v("instance", (s) => b.instance(s));
        v("expect", (s) => b.expect(s as "fork"));
        v("console", (s) => b.console(s as "log"));
        v("kill-timeout", (s) => {
          if (!/^\d+$/.test(s)) throw new UsageError(`invalid --kill-timeout value: ${s}`);
          b.killTimeout(Number(s));
        });
        for (const kv of (o.env ?? []) as string[]) {
          if (kv.indexOf("=") <= 0) {
            throw new UsageError(`invalid --env value: ${kv}: expected KEY=VALUE`);
          }
          b.env(kv);
        }
        v("setuid", (s) => b.setuid(s));
        v("setgid", (s) => b.setgid(s));
        v("chdir", (s) => b.chdir(s));
        if (o.task === true) b.task();
        if (o.respawn === true) b.respawn();
        b.exec(o.exec);
        text = b.toString();
      } catch (e) {
        if (e instanceof UsageError) throw e;
        if (e instanceof TypeError || e instanceof RangeError) {
          throw new CliError(`invalid job: ${e.message.replace(/^JobBuilder\.\w+: /, "")}`);
        }
        throw e;
      }
      if (o["dry-run"] === true) {
        ctx.io.stdout(text);
        return 0;
      }
      const dir = str("dir") ?? "/etc/init";
      const reload = o["no-reload"] !== true;
      // Reach Upstart first: when it cannot be reached, nothing is written.
      const system = reload ? await ctx.connect() : null;
      let result;
      try {
        result = await installJob(dir, name, text, { overwrite: o.overwrite === true });
      } catch (e) {
        if (e instanceof JobExistsError || e instanceof JobCheckError) {
          throw new CliError(e.message);
        }
        if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
          throw e;
        }
        throw new CliError(`cannot write ${dir}/${name}.conf: ${(e as Error).message}`);
      }
      if (!ctx.json && ctx.opts.quiet !== true) {
        for (const p of result.warnings) ctx.io.stderr(problemLine(result.path, p) + "\n");
      }
      await reloadAfterWrite(ctx, system, result.path, "written");
      if (ctx.json) {
        ctx.printJson({
          path: result.path,
          job: name,
          reloaded: reload,
          warnings: result.warnings.map(problemJson),
        });
      } else ctx.info(`Created ${result.path}`);
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
    // Asks Upstart (so it can run on --host) unless it reads --dir.
    daemon: true,
    local: (opts) => opts.dir !== undefined,
    async run(ctx) {
      const dirs = (ctx.opts.dir ?? []) as string[];
      let jobs: GraphJob[];
      if (dirs.length) jobs = readDirs(ctx, dirs);
      else {
        const system = await ctx.connect();
        jobs = await Promise.all(
          (await system.jobs({ order: "daemon" })).map(async (j) => ({
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
