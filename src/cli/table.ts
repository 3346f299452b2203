/**
 * What shell completion and the man page read from the command table: which commands take a job
 * name, a file, or one of a few words, and which options take a value.
 *
 * @module
 */

import type { Command } from "./context.ts";
import type { OptionSpec } from "./options.ts";

/** The CLI's commands and global options. */
export interface CommandTable {
  /** Every command, in help order. */
  readonly commands: readonly Command[];
  /** Options every command accepts. */
  readonly globals: readonly OptionSpec[];
}

/** What a command's first argument is, read from its usage line (`JOB ...`, `FILE...`, `a|b`). */
export type ArgumentKind =
  | { readonly kind: "job" }
  | { readonly kind: "file" }
  | { readonly kind: "words"; readonly words: readonly string[] }
  | { readonly kind: "none" };

/**
 * What a command's first argument is: a job (`JOB`, `[JOB]`), a file (`FILE`), one of some words
 * (`bash|zsh|fish`), or anything else.
 *
 * @param cmd The command.
 * @returns The kind.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstArgument } from "./table.ts";
 * const cmd = { usage: "JOB [KEY=VALUE]..." } as Parameters<typeof firstArgument>[0];
 * assert.deepEqual(firstArgument(cmd), { kind: "job" });
 * ```
 */
export function firstArgument(cmd: Pick<Command, "usage">): ArgumentKind {
  const first = cmd.usage.replace(/\[--?[^\]]*\]\s*/g, "").trim().split(/\s+/)[0] ?? "";
  const bare = first.replace(/^\[+|\]+$|\.\.\.$|\]+$/g, "");
  if (bare === "JOB") return { kind: "job" };
  if (bare === "FILE") return { kind: "file" };
  if (/^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)+$/.test(bare)) {
    return { kind: "words", words: bare.split("|") };
  }
  return { kind: "none" };
}

/**
 * Whether an option's value is a path (its argument is named `FILE`, `DIR`, `SOCKET`, `PROGRAM`).
 *
 * @param spec The option.
 * @returns `true` for a path.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takesPath } from "./table.ts";
 * assert.equal(takesPath({ long: "log-dir", arg: "DIR", help: "" }), true);
 * assert.equal(takesPath({ long: "lines", arg: "N", help: "" }), false);
 * ```
 */
export function takesPath(spec: OptionSpec): boolean {
  return /^(FILE|DIR|SOCKET|PROGRAM|PATH)$/.test(spec.arg ?? "");
}

/**
 * Every name of an option: `--long` and, when it has one, `-s`.
 *
 * @param spec The option.
 * @returns The names.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optionNames } from "./table.ts";
 * assert.deepEqual(optionNames({ long: "lines", short: "n", arg: "N", help: "" }), ["--lines", "-n"]);
 * ```
 */
export function optionNames(spec: OptionSpec): string[] {
  return spec.short ? [`--${spec.long}`, `-${spec.short}`] : [`--${spec.long}`];
}
