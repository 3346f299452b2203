/**
 * `formatJob`: the canonical form of a job file. Stanzas are grouped and ordered, every value is
 * re-written from what Upstart reads (so odd quoting becomes plain quoting), and comments move
 * with the stanza they describe. Formatting is idempotent and never changes what Upstart loads.
 *
 * @module
 */

import { JobDocument, parseJob } from "./document.ts";
import { SCRIPT_TERMINATOR } from "./_grammar.ts";
import type { StanzaNode, TokenNode } from "./cst.ts";
import { quoteArg, renderCommand, renderScriptBody } from "./quote.ts";

/**
 * Canonical stanza order: groups (separated by a blank line) of keywords. Stanzas keep their file
 * order within a keyword, and `exec`/`script` and `start`/`manual` share a rank because their
 * relative order changes meaning (the later process wins; `manual` clears an earlier `start on`).
 */
const GROUPS: readonly (readonly (string | readonly string[])[])[] = [
  ["description", "author", "version", "usage", "emits"],
  [["start", "manual"], "stop"],
  ["instance"],
  ["task", "expect", "respawn", "normal", "kill", "reload", "console", "debug"],
  ["env", "export"],
  ["umask", "nice", "oom", "limit", "chroot", "chdir", "setuid", "setgid", "apparmor", "cgroup"],
  ["pre-start", ["exec", "script"], "post-start", "pre-stop", "post-stop"],
];

const RANK = new Map<string, { rank: number; group: number }>();
GROUPS.forEach((g, group) => {
  for (const k of g) {
    const rank = RANK.size;
    for (const kw of typeof k === "string" ? [k] : k) RANK.set(kw, { rank, group });
  }
});

/** How far a `start on`/`stop on` line may run before it is broken before its operators. */
const LINE_WIDTH = 100;
/** Indentation of script bodies and of continued `start on` lines. */
const BODY_INDENT = "  ";
const CONTINUATION_INDENT = "    ";

const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** One stanza ready to print: leading comment lines, its text (no final LF), and its rank. */
interface Item {
  readonly lead: readonly string[];
  readonly text: string;
  readonly rank: number;
  readonly group: number;
  readonly block: boolean;
}

/** A value as one ARG token: bare when nothing in it needs quoting (the common case, fast). */
function arg(value: string, operand: boolean): string {
  const n = value.length;
  if (n === 0) return quoteArg(value); // throws: caught by the caller's fallback
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    // space, tab, CR, LF, NUL, quotes, `#`, backslash, and parentheses in operands
    if (
      c <= 0x20 || c === 0x22 || c === 0x23 || c === 0x27 || c === 0x5c ||
      (operand && (c === 0x28 || c === 0x29))
    ) return quoteArg(value, { operand });
  }
  if (operand && (value === "and" || value === "or")) return quoteArg(value, { operand });
  return value;
}

/** Comment text as printed: from `#`, without trailing whitespace (a CRLF file's CR). */
function commentText(text: string): string {
  let end = text.length;
  for (let c = text.charCodeAt(end - 1); c === 0x20 || c === 0x09 || c === 0x0d;) {
    c = text.charCodeAt(--end - 1);
  }
  return end === text.length ? text : text.slice(0, end);
}

/**
 * An `exec` command as written: itself, which Upstart reads back unchanged when it has no
 * backslash, quote or `#` (checked here without the lexer, the common case); others go through
 * {@linkcode renderCommand}, which checks them by lexing.
 */
function command(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x5c || c === 0x22 || c === 0x27 || c === 0x23 || c < 0x20) {
      return renderCommand(value);
    }
  }
  const first = value.charCodeAt(0), last = value.charCodeAt(value.length - 1);
  return first === 0x20 || last === 0x20 ? renderCommand(value) : value;
}

/**
 * A script body indented by {@linkcode BODY_INDENT}, when Upstart's dedent removes exactly that
 * again (no empty line, and the lines do not all start with the same whitespace byte) and no
 * line reads as `end script`; otherwise {@linkcode renderScriptBody} decides (it lexes to check).
 */
function indentedBody(body: string): string {
  const lines = body.split("\n");
  lines.pop(); // the body ends with a line feed
  let shared = lines[0].charCodeAt(0);
  let out = "";
  for (const l of lines) {
    if (l.charCodeAt(0) !== shared) shared = -1;
    if (SCRIPT_TERMINATOR.test(l)) return renderScriptBody(body, BODY_INDENT);
    out += BODY_INDENT + l + "\n";
  }
  if (shared === 0x20 || shared === 0x09 || shared === 0x0d) {
    return renderScriptBody(body, BODY_INDENT);
  }
  return out;
}

/** Normalises a run of comment lines and blank markers (`""`): no blank at either end, no runs. */
function tidy(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l === "" && (out.length === 0 || out[out.length - 1] === "")) continue;
    out.push(l);
  }
  while (out.length && out[out.length - 1] === "") out.pop();
  return out;
}

function renderOn(head: string, tokens: readonly TokenNode[], trail: string): string {
  const parts: { text: string; kind: TokenNode["kind"]; depth: number }[] = [];
  let depth = 0;
  for (let i = 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === "paren") {
      if (t.value === ")") depth--;
      parts.push({ text: t.value, kind: t.kind, depth });
      if (t.value === "(") depth++;
    } else {
      const text = t.kind === "operand" ? arg(t.value, true) : t.value;
      parts.push({ text, kind: t.kind, depth });
    }
  }
  const join = (broken: boolean): string => {
    let s = head;
    let prev = "";
    for (const p of parts) {
      if (broken && p.kind === "operator") {
        // at depth 0 the expression ends with its line unless the line is continued
        s += (p.depth === 0 ? " \\\n" : "\n") + CONTINUATION_INDENT + p.text;
      } else if (prev === "(" || p.text === ")" && p.kind === "paren") s += p.text;
      else s += " " + p.text;
      prev = p.kind === "paren" ? p.text : "";
    }
    return s + trail;
  };
  const one = join(false);
  return one.length <= LINE_WIDTH ? one : join(true);
}

function renderScript(doc: JobDocument, n: StanzaNode, head: string, trail: string): string {
  const s = n.script!;
  const body = s.body;
  let text: string;
  if (body === "") text = "";
  // An empty line turns Upstart's dedent off for the whole block, so such bodies stay flush left.
  else if (body.startsWith("\n") || body.includes("\n\n")) text = renderScriptBody(body);
  else {
    try {
      text = indentedBody(body);
    } catch {
      text = renderScriptBody(body);
    }
  }
  const endLine = doc.sourceOf({ start: s.bodyEnd, end: s.end });
  const hash = endLine.indexOf("#");
  const endComment = hash < 0 ? "" : " " + commentText(endLine.slice(hash).replace(/\n$/, ""));
  return `${head}${trail}\n${text}end script${endComment}`;
}

/** The canonical text of one stanza (no final LF), and the comments that go before it. */
function renderNode(doc: JobDocument, n: StanzaNode): { text: string; lead: string[] } {
  const lead: string[] = [];
  let trail = "";
  for (const c of n.comments) {
    const t = commentText(c.text);
    if (n.script || doc.lineOf(c.start) === n.endLine) trail = " " + t;
    else lead.push(t);
  }
  const toks = n.tokens;
  try {
    if (n.script) {
      const head = toks.length ? `${n.keyword} ${toks[0].value}` : n.keyword;
      return { text: renderScript(doc, n, head, trail), lead };
    }
    if (n.keyword === "start" || n.keyword === "stop") {
      return { text: renderOn(`${n.keyword} ${toks[0].value}`, toks, trail), lead };
    }
    let text = n.keyword;
    for (const t of toks) {
      text += " " +
        (t.kind === "arg"
          ? arg(t.value, false)
          : t.kind === "command"
          ? command(t.value)
          : t.value);
    }
    return { text: text + trail, lead };
  } catch {
    // A value no token can spell (an empty value read from `""\` + LF): keep the stanza's bytes.
    return { text: doc.sourceOf({ start: n.keywordStart, end: n.end }).replace(/\n$/, ""), lead };
  }
}

/**
 * Formats a job file into its canonical form.
 *
 * - **Order.** Stanzas are grouped, one blank line between groups: what the job is (`description`,
 *   `author`, `version`, `usage`, `emits`), when it runs (`start on`/`manual`, `stop on`),
 *   `instance`, how it is supervised (`task`, `expect`, `respawn`, `normal exit`, `kill`, `reload`,
 *   `console`, `debug`), its environment (`env`, `export`), process settings (`umask` … `cgroup`),
 *   and last its processes in lifecycle order (`pre-start`, `exec`/`script`, `post-start`,
 *   `pre-stop`, `post-stop`). Repeated stanzas keep their order, so the one in effect stays the
 *   last; nothing is dropped (use {@linkcode checkJob} to find stanzas that override others).
 * - **Values.** Each value is written from what Upstart reads, with {@linkcode quoteArg} (bare
 *   when possible, else double quotes); one space separates words; `exec` commands are kept as
 *   Upstart reads them (continuations joined, the trailing comment kept as a comment).
 * - **`start on`/`stop on`** are written on one line when it fits in 100 columns, else broken
 *   before each `and`/`or` (continued with `\` outside parentheses), parentheses kept as written.
 * - **Scripts.** Bodies are indented by two spaces, which Upstart's dedent removes again; a body
 *   with an empty line (which turns the dedent off) is written exactly as Upstart stores it.
 * - **Comments.** Comments before the first stanza stay at the top of the file; comment lines
 *   between stanzas move with the stanza that follows them; comments after the last stanza stay
 *   at the end; a comment at the end of a stanza's line stays there; comments inside a multi-line
 *   `start on` move to their own lines before it. Indentation and trailing whitespace of comment
 *   lines are removed, and runs of blank lines become one.
 *
 * The result always re-parses to an equal {@linkcode JobConfig}, and formatting it again gives
 * the same text.
 *
 * @param input A parsed document, or the file's text or bytes.
 * @returns The canonical text (LF line endings, ending with a line feed unless empty).
 * @throws {ParseError} If `input` is text that Upstart rejects.
 * @throws {TypeError} If `input` is a document Upstart rejects, or the file is not valid UTF-8
 * (formatting works on text and would change such bytes).
 * @example Formatting a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatJob, parseJob } from "@upstart/upstart";
 * const doc = parseJob('exec   /usr/bin/web  # run it\ndescription   "web"\nrespawn\n');
 * assert.equal(formatJob(doc), "description web\n\nrespawn\n\nexec /usr/bin/web # run it\n");
 * ```
 */
export function formatJob(input: JobDocument | string | Uint8Array): string {
  const doc = input instanceof JobDocument ? input : parseJob(input);
  if (doc.error) {
    throw new TypeError(`Cannot format a job file Upstart rejects: ${doc.error.message}`);
  }
  // U+FFFD in the text means invalid UTF-8 (or a real U+FFFD: then the strict decoder decides)
  if (doc.toString().includes("\uFFFD")) {
    try {
      fatal.decode(doc.toBytes());
    } catch {
      throw new TypeError(`Cannot format ${doc.filename}: it is not valid UTF-8`);
    }
  }

  let header: string[] = [];
  const items: Item[] = [];
  let pending: string[] = [];
  let seenStanza = false;
  for (const node of doc.nodes) {
    if (node.type === "comment") pending.push(commentText(node.text));
    else if (node.type === "blank") pending.push("");
    else if (node.type === "stanza") {
      if (!seenStanza) {
        header = tidy(pending); // no spread: a header may be 100,000s of lines
        pending = [];
        seenStanza = true;
      }
      const { text, lead } = renderNode(doc, node);
      const r = RANK.get(node.keyword)!;
      items.push({
        lead: tidy([...pending, ...lead]),
        text,
        rank: r.rank,
        group: r.group,
        block: node.script !== null,
      });
      pending = [];
    }
  }
  if (!seenStanza) {
    const only = tidy(pending);
    return only.length ? only.join("\n") + "\n" : "";
  }
  const footer = tidy(pending);
  items.sort((a, b) => a.rank - b.rank); // stable: repeated stanzas keep their order
  // Comments before the first stanza read back as the file's header: print them as such.
  if (items[0].lead.length) {
    header = tidy([...header, "", ...items[0].lead]);
    items[0] = { ...items[0], lead: [] };
  }

  let out = header.length ? header.join("\n") + "\n" : "";
  let prev: Item | null = null;
  for (const it of items) {
    const blank = prev === null
      ? header.length > 0
      : prev.group !== it.group || prev.block || it.block || it.lead.length > 0;
    if (blank) out += "\n";
    if (it.lead.length) out += it.lead.join("\n") + "\n";
    out += it.text + "\n";
    prev = it;
  }
  if (footer.length) out += "\n" + footer.join("\n") + "\n";
  return out;
}
