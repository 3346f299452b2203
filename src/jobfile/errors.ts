/**
 * The error a job file that Upstart would reject produces.
 *
 * @module
 */

import type { ParseReason } from "./_scan.ts";

export type { ParseReason };

/**
 * A job file Upstart would reject: where, and Upstart's own reason.
 *
 * `line` is the line Upstart reports (job-files.md §6.3: for an unterminated quote, block or
 * parenthesis that is the line *after* the last one when the file ends with a newline).
 * `offset` is the byte offset that line is computed from, and `column` its 1-based byte column.
 *
 * `message` is what Upstart logs, `FILE:LINE: REASON`. The one exception is the bad
 * `kill signal`/`reload signal` value, which Upstart logs without a line as
 * `FILE: Error while loading configuration file: Illegal signal status, expected integer`;
 * `line` is still set for it, and `lineless` is `true`.
 *
 * @example Catching a rejected file
 * ```ts
 * import assert from "node:assert/strict";
 * import { ParseError, parseJob } from "@upstart/upstart";
 * assert.throws(() => parseJob("description ok\nbogus\n", { filename: "web.conf" }), (e) => {
 *   assert.ok(e instanceof ParseError);
 *   assert.equal(e.message, "web.conf:2: Unknown stanza");
 *   assert.equal(e.line, 2);
 *   return true;
 * });
 * ```
 */
export class ParseError extends SyntaxError {
  /** Always `"ParseError"`. */
  override readonly name = "ParseError";
  /** The file name given to the parser (default `<input>`). */
  readonly filename: string;
  /** The line Upstart reports (1-based). */
  readonly line: number;
  /** The 1-based byte column of `offset` within `line`. */
  readonly column: number;
  /** The byte offset the error is reported at. */
  readonly offset: number;
  /** Upstart's exact reason text, e.g. `Unknown stanza`. */
  readonly reason: ParseReason;
  /** `true` for the errors Upstart logs without a line number (bad signal values). */
  readonly lineless: boolean;

  /**
   * Makes a parse error; the parser is the usual source of these.
   *
   * @param filename The file name to report.
   * @param reason Upstart's reason text.
   * @param line The reported line.
   * @param column The 1-based byte column.
   * @param offset The byte offset.
   * @example Making one by hand
   * ```ts
   * import assert from "node:assert/strict";
   * import { ParseError } from "@upstart/upstart";
   * const e = new ParseError("a.conf", "Unknown stanza", 3, 1, 40);
   * assert.equal(e.message, "a.conf:3: Unknown stanza");
   * ```
   */
  constructor(filename: string, reason: ParseReason, line: number, column: number, offset: number) {
    const lineless = reason === "Illegal signal status, expected integer";
    super(
      lineless
        ? `${filename}: Error while loading configuration file: ${reason}`
        : `${filename}:${line}: ${reason}`,
    );
    this.filename = filename;
    this.reason = reason;
    this.line = line;
    this.column = column;
    this.offset = offset;
    this.lineless = lineless;
  }
}
