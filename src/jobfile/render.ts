/**
 * Rendering one stanza as job-file text from a typed value: what the document's `set`/`add` write,
 * and what a builder can reuse. Every value goes through `quote.ts`.
 *
 * @module
 */

import { conditionToString } from "./condition.ts";
import { FLAG_STANZAS } from "./_grammar.ts";
import { quoteArg, renderCommand, renderScriptBody } from "./quote.ts";
import type { Condition } from "./types.ts";

/** A value for {@linkcode renderStanza}: see there for what each stanza takes. */
export type StanzaValue =
  | string
  | number
  | boolean
  | Condition
  | readonly (string | number)[]
  | null
  | undefined;

const PROCESSES = new Set(["pre-start", "post-start", "pre-stop", "post-stop"]);
const SINGLE = new Set([
  "instance",
  "description",
  "author",
  "version",
  "usage",
  "chroot",
  "chdir",
  "setuid",
  "setgid",
  "env",
  "expect",
  "console",
  "nice",
]);

function words(v: StanzaValue, head: string): string[] {
  if (v === null || v === undefined || typeof v === "boolean") {
    throw new TypeError(`Stanza "${head}" needs a value`);
  }
  if (typeof v === "object" && !Array.isArray(v)) {
    throw new TypeError(`Stanza "${head}" takes a string, a number or an array of them`);
  }
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x === "number") {
      if (!Number.isFinite(x)) {
        throw new RangeError(`Stanza "${head}" needs a finite number: got ${x}`);
      }
      return String(x);
    }
    if (typeof x !== "string") throw new TypeError(`Stanza "${head}" takes strings or numbers`);
    return quoteArg(x);
  });
}

/**
 * Renders one stanza as text ending with a line feed.
 *
 * `head` is the stanza keyword with its fixed sub-keywords: `description`, `start on`,
 * `kill timeout`, `limit nofile`, `pre-start exec`, `post-stop script`, `respawn limit`, … Values:
 * - flags (`task`, `respawn`, `manual`, `debug`): `true` or nothing;
 * - `start on`/`stop on`: a {@linkcode Condition}, or expression text (written as given);
 * - `exec`/`X exec`: the command line (raw, checked with {@linkcode renderCommand});
 * - `script`/`X script`: the body (checked with {@linkcode renderScriptBody});
 * - `umask`: a number is written in octal;
 * - anything else: a string, a number, or an array of them, each written as one quoted argument.
 *
 * @param head The stanza keyword and sub-keywords.
 * @param value Its value.
 * @returns The stanza text, ending with `\n`.
 * @throws {TypeError} If the value cannot be written so that Upstart reads it back exactly.
 * @example Rendering stanzas
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderStanza } from "./render.ts";
 * assert.equal(renderStanza("description", "my web"), 'description "my web"\n');
 * assert.equal(renderStanza("kill timeout", 30), "kill timeout 30\n");
 * assert.equal(renderStanza("script", "echo hi\n"), "script\necho hi\nend script\n");
 * ```
 */
export function renderStanza(head: string, value?: StanzaValue): string {
  if (typeof head !== "string") throw new TypeError("Stanza head must be a string");
  const parts = head.trim().split(/\s+/);
  const kw = parts[0];
  const h = parts.join(" ");
  if (FLAG_STANZAS.has(kw) && parts.length === 1) {
    if (value !== undefined && value !== true) {
      throw new TypeError(`Stanza "${kw}" is a flag: pass true or nothing`);
    }
    return kw + "\n";
  }
  if (kw === "start" || kw === "stop") {
    if (parts[1] !== "on" || parts.length !== 2) throw new TypeError(`Unknown stanza: "${h}"`);
    let expr: string;
    if (typeof value === "string") {
      if (value.includes("\n") || value.trim() === "") {
        throw new TypeError(`Condition text must be one non-empty line: ${JSON.stringify(value)}`);
      }
      expr = value.trim();
    } else if (value && typeof value === "object" && !Array.isArray(value)) {
      expr = conditionToString(value as Condition);
    } else throw new TypeError(`Stanza "${h}" takes a condition or its text`);
    return `${h} ${expr}\n`;
  }
  const last = parts[parts.length - 1];
  if (
    (kw === "exec" && parts.length === 1) ||
    (PROCESSES.has(kw) && last === "exec" && parts.length === 2)
  ) {
    if (typeof value !== "string") throw new TypeError(`Stanza "${h}" takes a command string`);
    return `${h} ${renderCommand(value)}\n`;
  }
  if (
    (kw === "script" && parts.length === 1) ||
    (PROCESSES.has(kw) && last === "script" && parts.length === 2)
  ) {
    if (typeof value !== "string") throw new TypeError(`Stanza "${h}" takes a script body string`);
    return `${h}\n${renderScriptBody(value)}end script\n`;
  }
  if (kw === "umask" && parts.length === 1 && typeof value === "number") {
    if (!Number.isInteger(value) || value < 0 || value > 0o777) {
      throw new RangeError(`Umask must be an integer from 0 to 0o777: got ${value}`);
    }
    return `umask ${value.toString(8).padStart(4, "0")}\n`;
  }
  const args = words(value, h);
  if (SINGLE.has(kw) && parts.length === 1 && args.length !== 1) {
    throw new TypeError(`Stanza "${kw}" takes exactly one value: got ${args.length}`);
  }
  if (args.length === 0) throw new TypeError(`Stanza "${h}" needs a value`);
  return `${h} ${args.join(" ")}\n`;
}
