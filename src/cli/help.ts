/**
 * Help texts: the command list (`--help`, `help`) and each command's own
 * `COMMAND --help`. Our own words; the layout follows libnih's.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import type { Command } from "./context.ts";
import type { OptionSpec } from "./options.ts";

/**
 * This CLI's version: the package's, from `deno.json` (a JSON import, so it
 * is built into bundles and compiled binaries rather than read at run time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLI_VERSION } from "./help.ts";
 * import denoJson from "../../deno.json" with { type: "json" };
 * assert.equal(CLI_VERSION, denoJson.version);
 * ```
 */
export const CLI_VERSION: string = denoJson.version;

/** The command groups, in the order help and the man page list them. */
export const COMMAND_GROUPS: readonly Command["group"][] = [
  "Job",
  "Event",
  "Environment",
  "Daemon",
  "Service",
  "Watching",
  "Job file",
  "Sandbox",
  "Shell",
];

function optionLines(specs: readonly OptionSpec[]): string[] {
  return specs.map((s) => {
    const names = (s.short ? `-${s.short}, ` : "    ") + `--${s.long}` +
      (s.arg ? `=${s.arg}` : "");
    return `  ${names.padEnd(28)} ${s.help}`;
  });
}

function wrap(text: string, width = 78): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The text of `PROG --help`.
 *
 * @param prog The program name.
 * @param commands Every command.
 * @param globals The global options.
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mainHelp } from "./help.ts";
 * import { COMMANDS, GLOBAL_OPTIONS } from "./main.ts";
 * const text = mainHelp("initctl", COMMANDS, GLOBAL_OPTIONS);
 * assert.match(text, /^Usage: initctl \[OPTION\]\.\.\. COMMAND \[OPTION\]\.\.\. \[ARG\]\.\.\.\n/);
 * assert.match(text, /^Job commands:\n  start +Start a job\.$/m);
 * ```
 */
export function mainHelp(
  prog: string,
  commands: readonly Command[],
  globals: readonly OptionSpec[],
): string {
  const out = [
    `Usage: ${prog} [OPTION]... COMMAND [OPTION]... [ARG]...`,
    "Control the Upstart init daemon: a drop-in for initctl, with JSON output, live",
    "watching, job-file tools and many hosts at once.",
    "",
  ];
  for (const group of COMMAND_GROUPS) {
    out.push(`${group} commands:`);
    for (const c of commands.filter((c) => c.group === group)) {
      out.push(
        `  ${`${c.name}${c.aliases ? `, ${c.aliases.join(", ")}` : ""}`.padEnd(28)} ${c.summary}`,
      );
    }
    out.push("");
  }
  out.push("Options:", ...optionLines(globals), "");
  out.push(`For a command's own options, try \`${prog} COMMAND --help'.`);
  return out.join("\n") + "\n";
}

/**
 * The text of `PROG COMMAND --help`.
 *
 * @param prog The program name.
 * @param cmd The command.
 * @param globals The global options.
 * @returns The text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandHelp } from "./help.ts";
 * import { serviceCommands } from "./commands/service.ts";
 * const disable = serviceCommands.find((c) => c.name === "disable")!;
 * const text = commandHelp("initctl", disable, []);
 * assert.match(text, /^Usage: initctl disable \[OPTION\]\.\.\. JOB\n/);
 * assert.match(text, /^ +--now +also stop/m);
 * ```
 */
export function commandHelp(prog: string, cmd: Command, globals: readonly OptionSpec[]): string {
  const out = [
    `Usage: ${prog} ${cmd.name} [OPTION]...${cmd.usage ? " " + cmd.usage : ""}`,
    cmd.summary,
    "",
    ...wrap(cmd.help),
    "",
  ];
  if (cmd.options.length) out.push("Options:", ...optionLines(cmd.options), "");
  if (cmd.daemon) out.push("Global options:", ...optionLines(globals), "");
  else out.push("Options for every command:", ...optionLines(globals.filter((g) => !g.daemon)), "");
  return out.join("\n");
}
