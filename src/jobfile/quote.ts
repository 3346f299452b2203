/**
 * Rendering values as job-file text that Upstart reads back as exactly that value: one place for
 * quoting and escaping, shared by the document's edit API, the builder and the formatter.
 * Every renderer checks its output by running it through the same lexer the parser uses, so a
 * value that cannot be written is rejected with a `TypeError` instead of being written wrongly.
 *
 * @module
 */

import { CLASS, CNL, CNLWS, Lexer, ON_DELIM } from "./_scan.ts";

const encoder = new TextEncoder();

/** Options of {@linkcode quoteArg}. */
export interface QuoteOptions {
  /**
   * Quote for a `start on`/`stop on` operand: `and`/`or` are then quoted so that they are not read
   * as operators. Default `false`.
   */
  readonly operand?: boolean;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value);
}

function needsQuotes(value: string, operand: boolean): boolean {
  if (operand && (value === "and" || value === "or")) return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) continue;
    if (CLASS[c] || c === 0x22 || c === 0x27 || c === 0x5c) return true;
  }
  return false;
}

/**
 * Renders `value` as one argument token (a dequoted ARG) that Upstart reads back as exactly
 * `value`: bare when it can be, else in double quotes with `\\` for a backslash, and a `"` put in a
 * single-quoted segment (`"a"'"'"b"` reads as `a"b`; `\"` is not an escape in Upstart).
 *
 * @param value The value to write.
 * @param options `operand: true` for `start on` operands.
 * @returns The token text.
 * @throws {TypeError} For a value Upstart cannot read from one token: the empty string (`""` is
 * "Expected token"), a NUL, or a line feed (a newline inside quotes reads as a space).
 * @example Quoting a description
 * ```ts
 * import assert from "node:assert/strict";
 * import { quoteArg } from "@upstart/upstart";
 * assert.equal(quoteArg("web"), "web");
 * assert.equal(quoteArg("my web server"), '"my web server"');
 * assert.equal(quoteArg('say "hi"'), `"say "'"'"hi"'"'`);
 * ```
 */
export function quoteArg(value: string, options: QuoteOptions = {}): string {
  if (typeof value !== "string") throw new TypeError(`Value must be a string: got ${typeof value}`);
  if (value === "") {
    throw new TypeError('Cannot write an empty value: Upstart reads "" as a missing token');
  }
  if (value.includes("\0")) {
    throw new TypeError(`Cannot write a value containing NUL: ${describe(value)}`);
  }
  if (value.includes("\n")) {
    throw new TypeError(
      `Cannot write a value containing a newline as one token: ${describe(value)}`,
    );
  }
  const operand = options.operand === true;
  let out: string;
  if (!needsQuotes(value, operand)) out = value;
  else {
    out = "";
    let mode = "";
    for (const ch of value) {
      const want = ch === '"' ? "'" : '"';
      if (mode !== want) {
        out += mode + want;
        mode = want;
      }
      out += ch === "\\" ? "\\\\" : ch;
    }
    out += mode;
  }
  const got = readToken(out, operand ? ON_DELIM : CNLWS, true);
  if (got !== value) throw new TypeError(`Cannot write value as a token: ${describe(value)}`);
  return out;
}

/** Scans `text` as one token; returns its value, or null if it is not exactly one token. */
function readToken(text: string, delim: number, dequote: boolean): string | null {
  const bytes = encoder.encode(text + "\n");
  const lx = new Lexer(bytes);
  try {
    const end = lx.scan(0, delim, dequote);
    if (end !== bytes.length - 1 || lx.estimate === 0) return null;
    return lx.value();
  } catch {
    return null;
  }
}

/**
 * Checks that `command` can be written after `exec` (or `pre-start exec` …) and read back as
 * exactly `command`, and returns it. Upstart keeps `exec` text raw (quotes and backslashes stay),
 * so the text is the value itself.
 *
 * @param command The command line.
 * @returns The text to write after `exec `.
 * @throws {TypeError} For an empty command, a newline or NUL, leading or trailing whitespace,
 * an unquoted `#`, an unbalanced quote, a trailing backslash, or whitespace before an escaped
 * character (which libnih mangles, job-files.md §2.5 Q1).
 * @example Checking a command
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCommand } from "./quote.ts";
 * assert.equal(renderCommand("/usr/bin/web --port 80"), "/usr/bin/web --port 80");
 * ```
 */
export function renderCommand(command: string): string {
  if (typeof command !== "string") {
    throw new TypeError(`Command must be a string: got ${typeof command}`);
  }
  if (command === "") throw new TypeError("Cannot write an empty command");
  if (command.includes("\n") || command.includes("\0")) {
    throw new TypeError(`Cannot write a command containing a newline or NUL: ${describe(command)}`);
  }
  const c0 = command.charCodeAt(0);
  if (c0 < 0x80 && (CLASS[c0] & CNLWS)) {
    throw new TypeError(
      `Cannot write a command starting with whitespace or "#": ${describe(command)}`,
    );
  }
  if (readToken(command, CNL, false) !== command) {
    throw new TypeError(
      `Cannot write command: Upstart would read it differently (unquoted "#", open quote, trailing whitespace or backslash, or whitespace before an escape): ${
        describe(command)
      }`,
    );
  }
  return command;
}

/**
 * Renders a script body for a `script … end script` block: the lines to put between the
 * `script` line and the `end script` line, read back by Upstart as exactly `body`.
 *
 * @param body The script, empty or ending with a newline.
 * @param indent Text to put before each non-empty line (default none); allowed only when Upstart
 * would remove exactly it again (its dedent removes the common leading whitespace).
 * @returns The block's body text (empty, or ending with a newline).
 * @throws {TypeError} If a line would end the block (`end script`), the body contains NUL, does
 * not end with a newline, or its common indentation would be removed by Upstart's dedent.
 * @example Rendering a body
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderScriptBody } from "./quote.ts";
 * assert.equal(renderScriptBody("echo hi\n", "  "), "  echo hi\n");
 * ```
 */
export function renderScriptBody(body: string, indent = ""): string {
  if (typeof body !== "string") {
    throw new TypeError(`Script body must be a string: got ${typeof body}`);
  }
  if (!/^[ \t]*$/.test(indent)) {
    throw new TypeError(`Indent must be spaces or tabs: ${describe(indent)}`);
  }
  if (body !== "" && !body.endsWith("\n")) {
    throw new TypeError(`Script body must end with a newline: ${describe(body)}`);
  }
  if (body.includes("\0")) throw new TypeError("Cannot write a script body containing NUL");
  let text = body;
  if (indent !== "" && body !== "") {
    text = body.split("\n").map((l) => (l === "" ? l : indent + l)).join("\n");
  }
  const bytes = encoder.encode(text + "end script\n");
  const lx = new Lexer(bytes);
  let ok = false;
  try {
    const next = lx.block(0);
    ok = next === bytes.length && lx.blockValue === body;
  } catch {
    ok = false;
  }
  if (!ok) {
    const lines = body.split("\n");
    const bad = lines.findIndex((l) => new Lexer(encoder.encode(l)).blockEnd(0) >= 0);
    throw new TypeError(
      bad >= 0 && bad < lines.length - 1
        ? `Cannot write script body: line ${bad + 1} would end the block: ${describe(lines[bad])}`
        : `Cannot write script body: Upstart would read it back differently (its dedent removes the common leading whitespace): ${
          describe(body)
        }`,
    );
  }
  return text;
}
