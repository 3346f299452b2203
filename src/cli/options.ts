/**
 * Option parsing with libnih's grammar (what initctl uses), so that command
 * lines written for initctl parse the same way: options may follow the
 * command and its arguments; `--opt=VAL`, `--opt VAL`, `-oVAL` and `-o VAL`;
 * short flags cluster (`-nq`); `--` ends options; and, as in libnih, an
 * option's separate value is the next argument that does not start with `-`.
 *
 * @module
 */

/** One option a command accepts. */
export interface OptionSpec {
  /** The long name, without `--`. */
  readonly long: string;
  /** The one-letter short name, if any. */
  readonly short?: string;
  /** The value's name in help texts; absent for a flag. */
  readonly arg?: string;
  /** One line of help. */
  readonly help: string;
  /** Values accumulate (an array) instead of the last one winning. */
  readonly multiple?: boolean;
  /** Only meaningful for commands that talk to Upstart (left out of the job-file commands' help). */
  readonly daemon?: boolean;
  /**
   * A flag that stores `value` under `key` instead of `true` under its own
   * name, so that the last of several such flags wins (libnih's setter
   * functions: `--system --session` means the session bus).
   */
  readonly store?: { readonly key: string; readonly value: string };
}

/** What the options set: flags are `true`, valued options strings (or arrays). */
export type OptionValues = Record<string, boolean | string | string[]>;

/** A command-line mistake: shown as `PROG: MESSAGE` plus the `--help` hint, exit status 1. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong, in initctl's words where initctl has them.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { UsageError } from "./options.ts";
   * const e = new UsageError("missing job name");
   * assert.equal(e.name, "UsageError");
   * assert.equal(e.message, "missing job name");
   * ```
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The result of {@linkcode parseOptions}. */
export interface ParsedOptions {
  /** Option values by long name. */
  readonly values: OptionValues;
  /** The non-option arguments, in order. */
  readonly args: string[];
}

/**
 * Parses `argv` against `specs` the way libnih's `nih_option_parser` does.
 *
 * @param argv The arguments (no program or command name).
 * @param specs The options accepted.
 * @param stopAtArg Stop option parsing at the first non-option argument (the
 *   global options before a command); the rest is returned unparsed in `args`.
 * @returns The values and the remaining arguments.
 * @throws {UsageError} for an unknown option, a missing or unexpected value.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseOptions } from "./options.ts";
 * const p = parseOptions(["svc", "-n", "N=1"], [{ long: "no-wait", short: "n", help: "" }]);
 * assert.deepEqual(p, { values: { "no-wait": true }, args: ["svc", "N=1"] });
 * ```
 */
export function parseOptions(
  argv: readonly string[],
  specs: readonly OptionSpec[],
  stopAtArg = false,
): ParsedOptions {
  const values: OptionValues = {};
  const args: string[] = [];
  let optEnd = -1; // index after which nothing is an option
  let nonopt = -1; // last index consumed as an option's separate value

  const set = (spec: OptionSpec, value: string | true) => {
    if (spec.store) {
      values[spec.store.key] = spec.store.value;
    } else if (spec.multiple && typeof value === "string") {
      const prev = values[spec.long];
      values[spec.long] = [...(Array.isArray(prev) ? prev : []), value];
    } else {
      values[spec.long] = value;
    }
  };
  // libnih: the value is the next argument that does not look like an option.
  const nextValue = (at: number, shown: string): string => {
    let i = Math.max(nonopt, at);
    while (++i < argv.length) {
      const a = argv[i];
      if (!a.startsWith("-") || (optEnd >= 0 && i > optEnd)) {
        nonopt = i;
        return a;
      }
      if (a === "--") optEnd = i;
    }
    throw new UsageError(`missing argument: ${shown}`);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("-") || arg === "-" || (optEnd >= 0 && i > optEnd)) {
      if (i > nonopt) {
        args.push(arg);
        if (stopAtArg && optEnd < 0) optEnd = i;
      }
      continue;
    }
    if (arg === "--") {
      if (optEnd < 0) optEnd = i;
      continue;
    }
    if (!arg.startsWith("--")) {
      for (let j = 1; j < arg.length; j++) {
        const spec = specs.find((s) => s.short === arg[j]);
        if (!spec) throw new UsageError(`invalid option: -${arg[j]}`);
        if (spec.arg && j === 1 && arg.length > 2) {
          set(spec, arg.slice(2));
          break;
        }
        set(spec, spec.arg ? nextValue(i, arg) : true);
      }
      continue;
    }
    const body = arg.slice(2);
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const spec = specs.find((s) => s.long === name);
    if (!spec) throw new UsageError(`invalid option: --${body}`);
    if (eq >= 0) {
      if (!spec.arg) throw new UsageError(`unexpected argument: --${body}`);
      set(spec, body.slice(eq + 1));
    } else {
      set(spec, spec.arg ? nextValue(i, arg) : true);
    }
  }
  return { values, args };
}
