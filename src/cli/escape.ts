/**
 * Text that reaches a terminal never carries control characters from the daemon or a file: job
 * and instance names, environment values, event names and log lines may hold an ESC sequence
 * (which can retitle or clear the terminal) or a newline (which forges a line). They are escaped
 * as `systemctl` does, `\x1b`, `\n`; `--json` output is unchanged (JSON escapes them itself).
 *
 * @module
 */

// C0 controls, DEL and C1 controls (which some terminals also obey): matching them is the point.
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
// deno-lint-ignore no-control-regex
const SAFE_LAYOUT = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g; // keeps \t and \n

function hex(c: string): string {
  switch (c) {
    case "\n":
      return "\\n";
    case "\t":
      return "\\t";
    case "\r":
      return "\\r";
  }
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
}

/**
 * Escapes every control character of one field (a name, a value: it must stay on its line).
 *
 * @param text The field.
 * @returns The text with `\x1b`, `\n`, `\t`... in place of control characters.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeField } from "./escape.ts";
 * assert.equal(escapeField("web\x1b]0;pwned\x07"), "web\\x1b]0;pwned\\x07");
 * assert.equal(escapeField("a\nb"), "a\\nb");
 * ```
 */
export function escapeField(text: string): string {
  return text.replace(CONTROL, hex);
}

/**
 * Escapes the control characters of whole output text except its own layout (newlines and
 * tabs): the backstop for everything printed, on top of escaping each field.
 *
 * @param text Lines of output.
 * @returns The text, safe for a terminal.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeOutput } from "./escape.ts";
 * assert.equal(escapeOutput("a\tb\n\x1b[2J"), "a\tb\n\\x1b[2J");
 * ```
 */
export function escapeOutput(text: string): string {
  return text.replace(SAFE_LAYOUT, hex);
}
