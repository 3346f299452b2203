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
 * import { CLI_VERSION } from "./help.ts";
 * console.assert(/^\d+\.\d+\.\d+/.test(CLI_VERSION));
 * ```
 */
export const CLI_VERSION: string = denoJson.version;

const GROUPS: Command["group"][] = [
  "Job",
  "Event",
  "Environment",
  "Daemon",
  "Service",
  "Watching",
  "Job file",
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
 * ```ts no-eval
 * import { mainHelp } from "./help.ts";
 * console.log(mainHelp("initctl", [], []));
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
  for (const group of GROUPS) {
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
 * ```ts no-eval
 * import { commandHelp } from "./help.ts";
 * import type { Command } from "./context.ts";
 * declare const cmd: Command;
 * console.log(commandHelp("initctl", cmd, []));
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
