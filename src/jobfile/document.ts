/**
 * `parseJob` and the `JobDocument` it returns: the lossless tree of a job file, its typed
 * configuration, and edits that touch only the lines they change.
 *
 * @module
 */

import type { Fail } from "./_scan.ts";
import { lineOf, parseBytes, type RawParse } from "./_parser.ts";
import { freezeState, newState, type State } from "./_state.ts";
import type { JobNode, StanzaNode } from "./cst.ts";
import { ACCUMULATE, slotOf } from "./_grammar.ts";
import { ParseError } from "./errors.ts";
import { renderStanza, type StanzaValue } from "./render.ts";
import type { JobConfig } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** The file name used in errors when none is given. */
export const DEFAULT_FILENAME = "<input>";

/** Options of {@linkcode parseJob}. */
export interface ParseOptions {
  /** The name errors report (Upstart reports the path it read). Default `<input>`. */
  readonly filename?: string;
  /**
   * `true` (default): a file Upstart would reject throws its {@linkcode ParseError}.
   * `false`: the document is returned anyway, with `error` set, the stanzas before the error,
   * the rest of the file in one `unparsed` node, and `config` as Upstart held it when it stopped.
   */
  readonly throwOnError?: boolean;
}

/** @internal Converts a lexer failure to a `ParseError`. */
export function toParseError(f: Fail, filename: string, lineStarts: readonly number[]): ParseError {
  const line = lineOf(lineStarts, f.offset);
  return new ParseError(filename, f.reason, line, f.offset - lineStarts[line - 1] + 1, f.offset);
}

/** @internal Parses bytes on top of a state (a fresh one for a `.conf`). */
export function parseInto(
  bytes: Uint8Array,
  filename: string,
  state: State,
): { raw: RawParse; error: ParseError | null } {
  const raw = parseBytes(bytes, state);
  return { raw, error: raw.error ? toParseError(raw.error, filename, raw.lineStarts) : null };
}

/**
 * The largest job file the parser accepts: 1 MiB. Real job files are a few KB (the largest of 417
 * public ones is 8 KB); the parser's tree costs up to about 120 bytes of memory per input byte on
 * pathological input (one short stanza per line), so this bounds a parse to about 125 MB, and a
 * parse, a check and a format of one file to about 210 MB.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_JOB_FILE_BYTES, parseJob } from "@upstart/upstart";
 * assert.throws(() => parseJob("#".repeat(MAX_JOB_FILE_BYTES + 1)), RangeError);
 * ```
 */
export const MAX_JOB_FILE_BYTES = 1 << 20;

function toBytes(text: string | Uint8Array, what: string): Uint8Array {
  let bytes: Uint8Array;
  if (text instanceof Uint8Array) bytes = text;
  else if (typeof text === "string") {
    // A string longer than the limit in UTF-16 units is over it in UTF-8 bytes too.
    if (text.length > MAX_JOB_FILE_BYTES) throw tooLarge(what, text.length);
    bytes = encoder.encode(text);
  } else throw new TypeError(`${what} must be a string or a Uint8Array: got ${typeof text}`);
  if (bytes.length > MAX_JOB_FILE_BYTES) throw tooLarge(what, bytes.length);
  return bytes;
}

function tooLarge(what: string, size: number): RangeError {
  return new RangeError(
    `${what} is too large: ${size} bytes, over the ${MAX_JOB_FILE_BYTES} this parser accepts`,
  );
}

/**
 * A parsed job file: a lossless tree (`nodes`, `stanzas`), the typed configuration Upstart would
 * load (`config`), and an edit API. `toString()`/`toBytes()` give the file back byte for byte.
 *
 * Offsets are byte offsets into `toBytes()`; lines are 1-based.
 *
 * @example Reading and editing a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob("# web\ndescription old # keep\nexec /usr/bin/web\n");
 * doc.set("description", "new web");
 * assert.equal(doc.toString(), '# web\ndescription "new web" # keep\nexec /usr/bin/web\n');
 * assert.equal(doc.config.description, "new web");
 * ```
 */
export class JobDocument {
  /** The file name errors report. */
  readonly filename: string;
  #bytes: Uint8Array;
  #nodes: readonly JobNode[] = [];
  #lineStarts: readonly number[] = [];
  #config!: JobConfig;
  #error: ParseError | null = null;

  /** @internal Use {@linkcode parseJob}. */
  constructor(bytes: Uint8Array, filename: string) {
    this.filename = filename;
    this.#bytes = bytes;
    this.#load(bytes);
  }

  #load(bytes: Uint8Array): void {
    const state = newState();
    const { raw, error } = parseInto(bytes, this.filename, state);
    this.#bytes = bytes;
    this.#nodes = Object.freeze(raw.nodes);
    this.#lineStarts = raw.lineStarts;
    this.#config = freezeState(state);
    this.#error = error;
  }

  /** Every node in file order: stanzas, comment lines, blank lines (and `unparsed` after an error). */
  get nodes(): readonly JobNode[] {
    return this.#nodes;
  }

  /** The stanzas in file order. */
  get stanzas(): StanzaNode[] {
    return this.#nodes.filter((n): n is StanzaNode => n.type === "stanza");
  }

  /** The configuration Upstart loads from this file (defaults for absent stanzas). */
  get config(): JobConfig {
    return this.#config;
  }

  /** The error Upstart would reject this file with (only with `throwOnError: false`), or `null`. */
  get error(): ParseError | null {
    return this.#error;
  }

  /** The number of lines (1 + the line feeds). */
  get lineCount(): number {
    return this.#lineStarts.length;
  }

  /** The file's bytes (a copy). */
  toBytes(): Uint8Array {
    return this.#bytes.slice();
  }

  /** The file's text (UTF-8 decoded; exact for UTF-8 files, use `toBytes()` for others). */
  toString(): string {
    return decoder.decode(this.#bytes);
  }

  /** The source text of a node or any byte span. */
  sourceOf(span: { readonly start: number; readonly end: number }): string {
    return decoder.decode(this.#bytes.subarray(span.start, span.end));
  }

  /** The 1-based line of a byte offset. */
  lineOf(offset: number): number {
    return lineOf(this.#lineStarts, offset);
  }

  /**
   * The stanzas that write the same setting as `head` (`"description"`, `"start on"`,
   * `"kill timeout"`, `"limit nofile"`, `"env PATH"`, `"exec"` (also finds `script`), …), in order.
   * The last one is the one in effect (for `env`, `emits`, … all of them are).
   */
  find(head: string): StanzaNode[] {
    const slot = headSlot(head);
    return this.stanzas.filter((n) => slotOf(n) === slot);
  }

  #edit(parts: { start: number; end: number; text: string }[]): void {
    if (this.#error) {
      throw new TypeError(`Cannot edit a document Upstart rejects: ${this.#error.message}`);
    }
    parts.sort((a, b) => a.start - b.start);
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (const p of parts) {
      chunks.push(this.#bytes.subarray(at, p.start), encoder.encode(p.text));
      at = p.end;
    }
    chunks.push(this.#bytes.subarray(at));
    let len = 0;
    for (const c of chunks) len += c.length;
    const out = new Uint8Array(len);
    len = 0;
    for (const c of chunks) {
      out.set(c, len);
      len += c.length;
    }
    const old = this.#bytes;
    this.#load(out);
    const err = this.error;
    if (err) {
      const msg = err.reason;
      this.#load(old);
      throw new TypeError(`Edit would make the job invalid: ${msg}`);
    }
  }

  /** Text replacing node `n` by `text` (one stanza ending in LF), keeping indentation and comments. */
  #replacement(n: StanzaNode, text: string): string {
    const b = this.#bytes;
    const indent = this.sourceOf({ start: n.start, end: n.keywordStart });
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    let before = "";
    let trailing = "";
    for (const c of n.comments) {
      if (!n.script && lineOf(this.#lineStarts, c.start) === n.endLine) trailing = " " + c.text;
      else before += indent + c.text + "\n";
    }
    const endsLf = n.end > n.start && b[n.end - 1] === 0x0a;
    const sameLineNext = !endsLf && n.end < b.length; // `manual exec …`: keep the next stanza apart
    const tail = n.script ? "" : trailing;
    return before + indent + body + tail + (endsLf || sameLineNext ? "\n" : "");
  }

  #checked(head: string, value: StanzaValue): { text: string; slot: string } {
    const text = renderStanza(head, value);
    const probe = parseBytes(encoder.encode(text), newState());
    if (probe.error) {
      throw new TypeError(`Invalid value for "${head.trim()}": ${probe.error.reason}`);
    }
    const st = probe.nodes.filter((n): n is StanzaNode => n.type === "stanza");
    return { text, slot: st.length ? slotOf(st[st.length - 1]) : head };
  }

  /**
   * Sets a stanza: replaces the one in effect (the last of its slot) in place, keeping its
   * indentation and comments, or appends it when absent. For stanzas that accumulate (`env` of
   * the same variable, `export`, `emits`, `normal exit`, `cgroup`), the first is replaced and the
   * others removed. `false` removes a flag (`set("task", false)`). See {@linkcode renderStanza}
   * for the values each stanza takes.
   *
   * @param head The stanza keyword and sub-keywords (`"kill timeout"`, `"pre-start exec"`).
   * @param value Its value.
   * @returns This document.
   * @throws {TypeError} If the value cannot be written, or Upstart would reject it.
   */
  set(head: string, value?: StanzaValue): this {
    if (value === false) {
      this.remove(head);
      return this;
    }
    const { text, slot } = this.#checked(head, value);
    const same = this.stanzas.filter((n) => slotOf(n) === slot);
    if (!same.length) return this.add(head, value);
    const acc = ACCUMULATE.has(same[0].keyword);
    const target = acc ? same[0] : same[same.length - 1];
    const parts = [{ start: target.start, end: target.end, text: this.#replacement(target, text) }];
    if (acc) { for (const n of same.slice(1)) parts.push(this.#removal(n)); }
    this.#edit(parts);
    return this;
  }

  /**
   * Adds a stanza: after the last stanza with the same keyword if there is one, else at the end.
   *
   * @param head The stanza keyword and sub-keywords.
   * @param value Its value.
   * @returns This document.
   * @throws {TypeError} If the value cannot be written, or Upstart would reject it.
   */
  add(head: string, value?: StanzaValue): this {
    const { text } = this.#checked(head, value);
    const kw = head.trim().split(/\s+/)[0];
    const same = this.stanzas.filter((n) => n.keyword === kw);
    const b = this.#bytes;
    let at = b.length;
    if (same.length) at = same[same.length - 1].end;
    const needLf = at > 0 && b[at - 1] !== 0x0a;
    const indent = same.length
      ? this.sourceOf({
        start: same[same.length - 1].start,
        end: same[same.length - 1].keywordStart,
      })
      : "";
    this.#edit([{ start: at, end: at, text: (needLf ? "\n" : "") + indent + text }]);
    return this;
  }

  #removal(n: StanzaNode): { start: number; end: number; text: string } {
    const b = this.#bytes;
    const atLineStart = n.start === 0 || b[n.start - 1] === 0x0a;
    const endsLf = n.end > n.start && b[n.end - 1] === 0x0a;
    return { start: n.start, end: n.end, text: !atLineStart && endsLf ? "\n" : "" };
  }

  /**
   * Removes every stanza of a slot (see {@linkcode JobDocument.find}); comments on their own
   * lines stay.
   *
   * @param head The stanza keyword and sub-keywords (`"env PATH"` removes that variable).
   * @returns The number of stanzas removed.
   */
  remove(head: string): number {
    const found = this.find(head);
    if (found.length) this.#edit(found.map((n) => this.#removal(n)));
    return found.length;
  }
}

/** The slot of a head such as `kill timeout` or `env FOO=1`. */
function headSlot(head: string): string {
  if (typeof head !== "string") throw new TypeError("Stanza head must be a string");
  const parts = head.trim().split(/\s+/);
  const kw = parts[0];
  switch (kw) {
    case "exec":
    case "script":
      return "main";
    case "respawn":
      return parts[1] === "limit" ? "respawn limit" : "respawn";
    case "env": {
      const v = parts.slice(1).join(" ");
      const eq = v.indexOf("=");
      return "env " + (eq < 0 ? v : v.slice(0, eq));
    }
    case "pre-start":
    case "post-start":
    case "pre-stop":
    case "post-stop":
    case "oom":
      return kw;
    default:
      return parts.length > 1 ? `${kw} ${parts[1]}` : kw;
  }
}

/**
 * Parses a job file as Upstart 1.13 does.
 *
 * @param text The file: bytes, or a string (encoded as UTF-8).
 * @param options `filename` for errors (default `<input>`); `throwOnError: false` to get the
 * document of a rejected file instead of an exception.
 * @returns The document.
 * @throws {ParseError} If Upstart would reject the file (unless `throwOnError` is `false`).
 * @throws {TypeError} If `text` is neither a string nor a `Uint8Array`.
 * @example Parsing a job
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJob } from "@upstart/upstart";
 * const doc = parseJob('description "web"\nstart on runlevel [2345]\nrespawn\nexec /usr/bin/web\n');
 * assert.ok(doc.config.respawn);
 * assert.equal(doc.config.processes.main?.command, "/usr/bin/web");
 * assert.equal(doc.stanzas[1].line, 2);
 * ```
 */
export function parseJob(text: string | Uint8Array, options: ParseOptions = {}): JobDocument {
  const bytes = toBytes(text, "Job file");
  const filename = options.filename ?? DEFAULT_FILENAME;
  if (typeof filename !== "string") throw new TypeError("Option filename must be a string");
  const doc = new JobDocument(bytes, filename);
  if (doc.error && options.throwOnError !== false) throw doc.error;
  return doc;
}

/** @internal Shared with `override.ts`. */
export { toBytes as _toBytes };
