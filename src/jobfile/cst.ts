/**
 * The concrete syntax tree of a job file: one node per step of Upstart's parse loop, in file
 * order. Node spans are byte offsets; concatenating every node's bytes gives the file back.
 *
 * @module
 */

/** A byte range `[start, end)` in the file. */
export interface Span {
  /** Offset of the first byte. */
  readonly start: number;
  /** Offset just past the last byte. */
  readonly end: number;
}

/**
 * A token a stanza read after its keyword: `keyword` for raw sub-keywords (`on`, `timeout`, `exec`),
 * `arg` for dequoted values, `command` for the raw `exec` text, and in `start on`/`stop on`
 * expressions `paren`, `operator` and `operand`.
 */
export interface TokenNode extends Span {
  /** What kind of token it is. */
  readonly kind: "keyword" | "arg" | "command" | "paren" | "operator" | "operand";
  /** The value as Upstart reads it (dequoted for `arg`/`operand`, raw otherwise). */
  readonly value: string;
}

/** A `#` comment inside or after a stanza (from `#` up to, not including, the line feed). */
export interface CommentSpan extends Span {
  /** The comment text including its `#`. */
  readonly text: string;
}

/** The body and terminator of a `script … end script` block. */
export interface ScriptBlock {
  /** Offset of the first body line. */
  readonly bodyStart: number;
  /** Offset of the `end script` line (the body's end). */
  readonly bodyEnd: number;
  /** Offset just past the `end script` line. */
  readonly end: number;
  /** The script as Upstart stores it (common indentation removed, lines cut at NUL). */
  readonly body: string;
}

/** One stanza: its keyword, what it read, and where. */
export interface StanzaNode extends Span {
  /** Node type. */
  readonly type: "stanza";
  /** The stanza keyword as written (`start`, `exec`, `pre-start`, …). */
  readonly keyword: string;
  /** Offset of the keyword (after any indentation). */
  readonly keywordStart: number;
  /** Offset just past the keyword. */
  readonly keywordEnd: number;
  /** Line of the keyword (1-based). */
  /** Line of the node's first byte (1-based). */
  readonly line: number;
  /** Line of the stanza's last byte (its line feed, or the `end script` line). */
  readonly endLine: number;
  /** The tokens read after the keyword, in order. */
  readonly tokens: readonly TokenNode[];
  /** The tokens' values (`["timeout", "5"]` for `kill timeout 5`; the command for `exec`). */
  readonly args: readonly string[];
  /** Comments the stanza consumed: a trailing one, or some inside a multi-line `start on`. */
  readonly comments: readonly CommentSpan[];
  /** The block of `script`/`pre-start script`/…, else `null`. */
  readonly script: ScriptBlock | null;
}

/** A line holding only a comment (and optional indentation). */
export interface CommentNode extends Span {
  /** Node type. */
  readonly type: "comment";
  /** Line of the node's first byte (1-based). */
  readonly line: number;
  /** The comment text including its `#`, without the line feed. */
  readonly text: string;
}

/** An empty or whitespace-only line. */
export interface BlankNode extends Span {
  /** Node type. */
  readonly type: "blank";
  /** Line of the node's first byte (1-based). */
  readonly line: number;
}

/** The rest of a file from the stanza where parsing stopped (only when it failed). */
export interface UnparsedNode extends Span {
  /** Node type. */
  readonly type: "unparsed";
  /** Line of the node's first byte (1-based). */
  readonly line: number;
}

/** Any node of the tree. */
export type JobNode = StanzaNode | CommentNode | BlankNode | UnparsedNode;
