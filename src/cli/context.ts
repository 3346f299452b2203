/**
 * What every command gets: its arguments and options, output helpers that
 * follow initctl's conventions (`-q` silences messages; errors are
 * `PROG: MESSAGE`), `--json` output, a progress line for terminals, and a
 * lazily opened connection to Upstart.
 *
 * @module
 */

import { escapeOutput } from "./escape.ts";
import { System, type SystemOptions } from "../system.ts";
import type { CliIo } from "./io.ts";
import type { OptionSpec, OptionValues } from "./options.ts";

/** A failure to report as `PROG: MESSAGE` with an exit status (default 1). */
export class CliError extends Error {
  /** The exit status. */
  readonly code: number;
  /**
   * Creates the error.
   *
   * @param message The text after `PROG: `.
   * @param code The exit status.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { CliError } from "./context.ts";
   * assert.equal(new CliError("Unknown job: x").code, 1);
   * assert.equal(new CliError("timed out", 124).code, 124);
   * ```
   */
  constructor(message: string, code = 1) {
    super(message);
    this.name = "CliError";
    this.code = code;
  }
}

/** A command of the CLI. */
export interface Command {
  /** Its name (`start`). */
  readonly name: string;
  /** Other names it answers to (`monitor` for `watch`). */
  readonly aliases?: readonly string[];
  /** Arguments for the usage line (`JOB [KEY=VALUE]...`). */
  readonly usage: string;
  /** One line for the command list. */
  readonly summary: string;
  /** A paragraph for `COMMAND --help`. */
  readonly help: string;
  /** Its group in the command list. */
  readonly group:
    | "Job"
    | "Event"
    | "Environment"
    | "Daemon"
    | "Job file"
    | "Watching"
    | "Service"
    | "Sandbox"
    | "Shell";
  /** Its own options. */
  readonly options: readonly OptionSpec[];
  /** Whether it talks to Upstart (and so can run on `--host`s). */
  readonly daemon: boolean;
  /** For a command that talks to Upstart only sometimes: whether these options make it local (no `--host`). */
  readonly local?: (opts: OptionValues) => boolean;
  /** Prints JSON lines as it goes (`watch`): on many hosts each line is tagged with its host. */
  readonly streaming?: boolean;
  /** Runs it; resolves to the exit status. */
  run(ctx: Context): Promise<number>;
}

/** The running command's view. */
export interface Context {
  /** The io. */
  readonly io: CliIo;
  /** The program name used in messages (`initctl`). */
  readonly prog: string;
  /** The command's non-option arguments. */
  readonly args: readonly string[];
  /** Every option given (global and the command's). */
  readonly opts: OptionValues;
  /** `--json` was given. */
  readonly json: boolean;
  /** Talking to a user session (initctl's user mode). */
  readonly userMode: boolean;
  /** The options for `System.connect`. */
  readonly connectOptions: SystemOptions;
  /** Prints one line of ordinary output (suppressed by `-q`, as initctl's messages are). */
  print(line: string): void;
  /** Prints one informational line (only with `-v`). */
  info(line: string): void;
  /** Prints a JSON document on stdout. */
  printJson(doc: unknown): void;
  /** Opens (once) the connection to Upstart. */
  connect(): Promise<System>;
  /** Shows `text` as a progress line on a terminal's stderr until the returned function is called. */
  progress(text: string): () => void;
}

/** Options for {@linkcode makeContext}. */
export interface ContextInit {
  readonly io: CliIo;
  readonly prog: string;
  readonly args: readonly string[];
  readonly opts: OptionValues;
  readonly userMode: boolean;
  readonly connectOptions: SystemOptions;
}

/**
 * Builds a command's context.
 *
 * @param init The io, program name, arguments, options and connect options.
 * @returns The context and a function closing what it opened.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeContext } from "./context.ts";
 * import type { CliIo } from "./io.ts";
 * let out = "", err = "";
 * const io: CliIo = {
 *   stdout: (text) => void (out += text),
 *   stderr: (text) => void (err += text),
 *   readFile: (path) => Deno.readFileSync(path),
 *   env: (name) => Deno.env.get(name),
 *   stdoutIsTerminal: () => false,
 *   stderrIsTerminal: () => false,
 *   interrupt: new AbortController().signal,
 * };
 * const { ctx, close } = makeContext({
 *   io,
 *   prog: "initctl",
 *   args: [],
 *   opts: { quiet: true },
 *   userMode: false,
 *   connectOptions: {},
 * });
 * ctx.print("not shown: -q"); // as initctl's messages
 * ctx.printJson({ ok: true }); // data is printed even with -q
 * assert.equal(out, '{\n  "ok": true\n}\n');
 * await close(); // closes the connection, if ctx.connect() opened one
 * ```
 */
export function makeContext(init: ContextInit): { ctx: Context; close(): Promise<void> } {
  const { io, opts } = init;
  let system: Promise<System> | null = null;
  const quiet = opts.quiet === true;
  const ctx: Context = {
    ...init,
    json: opts.json === true,
    print(line) {
      if (!quiet) io.stdout(escapeOutput(line) + "\n");
    },
    info(line) {
      if (opts.verbose === true && !quiet) io.stdout(escapeOutput(line) + "\n");
    },
    printJson(doc) {
      io.stdout(JSON.stringify(doc, null, 2) + "\n");
    },
    connect() {
      system ??= System.connect(init.connectOptions);
      return system;
    },
    progress(text) {
      if (!io.stderrIsTerminal() || quiet) return () => {};
      const started = Date.now();
      let shown = false;
      // Shown only when the wait is noticeable, and redrawn with the elapsed time.
      const timer = setInterval(() => {
        const s = ((Date.now() - started) / 1000).toFixed(1);
        io.stderr(`\r${text} (${s}s)`);
        shown = true;
      }, 250);
      return () => {
        clearInterval(timer);
        if (shown) io.stderr(`\r${" ".repeat(text.length + 12)}\r`);
      };
    },
  };
  return {
    ctx,
    async close() {
      if (system) await (await system.catch(() => null))?.close();
    },
  };
}
