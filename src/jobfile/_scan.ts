/**
 * Byte-level primitives of libnih's configuration lexer (`nih/config.c`), reproduced with their
 * quirks: NUL belongs to every character set, escapes keep their backslash, whitespace before an
 * escaped byte is copied from the wrong offset. See job-files.md §2.
 *
 * @module
 */

/** Reasons, in Upstart's exact wording (`nih/errors.h`, `init/errors.h`). */
export const Reason = {
  unknownStanza: "Unknown stanza",
  expectedToken: "Expected token",
  unexpectedToken: "Unexpected token",
  trailingSlash: "Trailing slash in file",
  unterminatedQuote: "Unterminated quoted string",
  unterminatedBlock: "Unterminated block",
  illegalInterval: "Illegal interval, expected number of seconds",
  illegalExit: "Illegal exit status, expected integer",
  illegalSignal: "Illegal signal status, expected integer",
  illegalUmask: "Illegal file creation mask, expected octal integer",
  illegalNice: "Illegal nice value, expected -20 to 19",
  illegalOom: "Illegal oom adjustment, expected -16 to 15 or 'never'",
  illegalOomScore: "Illegal oom score adjustment, expected -999 to 1000 or 'never'",
  illegalLimit: "Illegal limit, expected 'unlimited' or integer",
  expectedEvent: "Expected event",
  expectedOperator: "Expected operator",
  expectedVariable: "Expected variable name before value",
  mismatchedParens: "Mismatched parentheses",
} as const;

/** One of Upstart's parse error texts. */
export type ParseReason =
  | "Unknown stanza"
  | "Expected token"
  | "Unexpected token"
  | "Trailing slash in file"
  | "Unterminated quoted string"
  | "Unterminated block"
  | "Illegal interval, expected number of seconds"
  | "Illegal exit status, expected integer"
  | "Illegal signal status, expected integer"
  | "Illegal file creation mask, expected octal integer"
  | "Illegal nice value, expected -20 to 19"
  | "Illegal oom adjustment, expected -16 to 15 or 'never'"
  | "Illegal oom score adjustment, expected -999 to 1000 or 'never'"
  | "Illegal limit, expected 'unlimited' or integer"
  | "Expected event"
  | "Expected operator"
  | "Expected variable name before value"
  | "Mismatched parentheses";

/** Internal failure: a reason and the byte offset whose line Upstart reports. */
export class Fail {
  constructor(readonly reason: ParseReason, readonly offset: number) {}
}

export const LF = 0x0a;
export const BACKSLASH = 0x5c;
export const HASH = 0x23;
export const DQUOTE = 0x22;
export const SQUOTE = 0x27;
export const SPACE = 0x20;
export const LPAREN = 0x28;
export const RPAREN = 0x29;

/** Character classes, one bit each; a table lookup per byte keeps the scanner fast. */
export const WS = 1; // " \t\r" and NUL
export const CNL = 2; // "#\n" and NUL
export const PAREN = 4; // "()"
export const CNLWS = WS | CNL;
export const ON_DELIM = WS | CNL | PAREN;

export const CLASS: Uint8Array = (() => {
  const t = new Uint8Array(256);
  t[0x20] = WS;
  t[0x09] = WS;
  t[0x0d] = WS;
  t[HASH] = CNL;
  t[LF] = CNL;
  t[0] = WS | CNL; // strchr() finds the terminator: NUL is in every set
  t[LPAREN] = PAREN;
  t[RPAREN] = PAREN;
  return t;
})();

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Decodes `buf[start, end)` as UTF-8, with a fast path for ASCII (almost every token). */
export function decode(buf: Uint8Array, start: number, end: number): string {
  if (end - start > 64) return decoder.decode(buf.subarray(start, end));
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) return decoder.decode(buf.subarray(start, end));
  }
  // deno-lint-ignore no-explicit-any
  return String.fromCharCode.apply(null, buf.subarray(start, end) as any);
}

/**
 * The lexer state over one buffer. Token output goes to a reused scratch buffer, so scanning
 * allocates nothing per byte.
 */
export class Lexer {
  readonly buf: Uint8Array;
  readonly len: number;
  /** Scratch output of the last `scan`. */
  out: Uint8Array = new Uint8Array(256);
  outLen = 0;
  /** libnih's `toklen` estimate of the last `scan` (0 means "empty token"). */
  estimate = 0;
  /** End offset (the delimiter, or `len`) of the last `scan`/`nextToken` token. */
  tokEnd = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.len = buf.length;
  }

  /** `nih_config_has_token`: not at EOF, `#`, LF or NUL. */
  hasToken(p: number): boolean {
    return p < this.len && (CLASS[this.buf[p]] & CNL) === 0;
  }

  /** `nih_config_next_line`: just past the next LF, or `len`. */
  nextLine(p: number): number {
    const i = this.buf.indexOf(LF, p);
    return i < 0 ? this.len : i + 1;
  }

  /** `nih_config_skip_whitespace`: WS bytes and backslash-LF pairs. */
  skipWs(p: number): number {
    const buf = this.buf, len = this.len;
    while (p < len) {
      const c = buf[p];
      if (c === BACKSLASH) {
        if (p + 1 < len && buf[p + 1] === LF) p += 2;
        else break;
      } else if (CLASS[c] & WS) p++;
      else break;
    }
    return p;
  }

  /** `nih_config_skip_comment`: the end-of-stanza check. */
  skipComment(p: number): number {
    if (this.hasToken(p)) throw new Fail(Reason.unexpectedToken, p);
    return this.nextLine(p);
  }

  private grow(need: number): void {
    let n = this.out.length * 2;
    while (n < need) n *= 2;
    const o = new Uint8Array(n);
    o.set(this.out.subarray(0, this.outLen));
    this.out = o;
  }

  private push(c: number): void {
    if (this.outLen >= this.out.length) this.grow(this.outLen + 1);
    this.out[this.outLen++] = c;
  }

  /**
   * `nih_config_token`: scans one token from `start`, writing its value to `out`. Returns the end
   * offset (not consuming the delimiter). Throws `Fail` for a trailing slash or open quote.
   */
  scan(start: number, delim: number, dequote: boolean): number {
    const buf = this.buf, len = this.len;
    let slash = false, quote = 0, nl = false;
    let ws = 0, nlws = 0, qc = 0;
    this.outLen = 0;
    let p = start;
    for (; p < len; p++) {
      const c = buf[p];
      let extra = 0, isq = false;
      if (slash) {
        slash = false;
        if (c === LF) {
          nlws++;
          nl = true;
          continue;
        } else if (c === BACKSLASH || (CLASS[c] & WS)) {
          extra = 1;
          if (dequote) qc++;
        } else {
          this.push(BACKSLASH); // any other escape keeps its backslash, emitted now
        }
      } else if (c === BACKSLASH) {
        slash = true;
        continue;
      } else if (quote) {
        if (c === quote) {
          quote = 0;
          isq = true;
        } else if (c === LF) {
          nl = true;
          continue;
        } else if (CLASS[c] & WS) {
          ws++;
          continue;
        }
      } else if (c === DQUOTE || c === SQUOTE) {
        quote = c;
        isq = true;
      } else if (CLASS[c] & delim) {
        break;
      } else if (CLASS[c] & WS) {
        ws++;
        continue;
      }
      if (nl) {
        nlws += ws;
        this.push(SPACE);
      } else if (ws) {
        // libnih copies the ws bytes just before this byte, even when a backslash sits between
        if (this.outLen + ws > this.out.length) this.grow(this.outLen + ws);
        this.out.set(buf.subarray(p - ws - extra, p - extra), this.outLen);
        this.outLen += ws;
      }
      if (extra && !dequote) this.push(BACKSLASH);
      if (!(isq && dequote)) this.push(c);
      else qc++;
      ws = 0;
      nl = false;
    }
    this.tokEnd = p;
    if (slash) throw new Fail(Reason.trailingSlash, p);
    if (quote) throw new Fail(Reason.unterminatedQuote, p);
    this.estimate = p - start - ws - nlws - qc;
    return p;
  }

  /** The last scanned value as a C string (cut at the first NUL), decoded as UTF-8. */
  value(): string {
    const out = this.out, n = this.outLen;
    let ascii = true;
    let i = 0;
    for (; i < n; i++) {
      const c = out[i];
      if (c === 0) break;
      if (c >= 0x80) ascii = false;
    }
    if (!ascii || i > 64) return decoder.decode(out.subarray(0, i));
    // deno-lint-ignore no-explicit-any
    return String.fromCharCode.apply(null, out.subarray(0, i) as any);
  }

  /**
   * `nih_config_next_token`: a token that must not be empty, then trailing whitespace and
   * continuations. Returns the offset after them; the token ends at `tokEnd`.
   */
  nextToken(p: number, delim: number, dequote: boolean): number {
    const end = this.scan(p, delim, dequote);
    if (this.estimate === 0) throw new Fail(Reason.expectedToken, end);
    return this.skipWs(end);
  }

  /**
   * `nih_config_parse_block` for `script`: the body lines from `p` up to an `end script` line.
   * Returns the offset after the terminator line; sets `blockEnd` (start of the terminator line)
   * and `blockValue` (the dedented body, each line cut at its first NUL as `strncat` does).
   */
  block(p: number): number {
    const buf = this.buf, len = this.len;
    const start = p;
    let ws = 0, lines = 0;
    for (;;) {
      const end = this.blockEnd(p);
      if (end >= 0) {
        this.blockEnd_ = p;
        this.blockValue = this.dedent(start, p, ws);
        return end;
      }
      lines++;
      const lineStart = p;
      if (lines === 1) {
        while (p < len && (CLASS[buf[p]] & WS)) p++;
        ws = p - lineStart;
      } else {
        while (p < len && p - lineStart < ws && buf[start + p - lineStart] === buf[p]) p++;
        if (p - lineStart < ws) ws = p - lineStart;
      }
      p = this.nextLine(p);
      if (p >= len) throw new Fail(Reason.unterminatedBlock, p);
    }
  }

  /** Start of the terminator line after the last `block()`. */
  blockEnd_ = 0;
  /** Value of the last `block()`. */
  blockValue = "";

  private dedent(start: number, end: number, ws: number): string {
    const buf = this.buf;
    if (end - start > this.out.length) this.grow(end - start);
    const out = this.out;
    let n = 0;
    let p = start;
    while (p < end) {
      p += ws;
      const nl = buf.indexOf(LF, p);
      let stop = nl + 1;
      const z = buf.subarray(p, stop).indexOf(0);
      if (z >= 0) stop = p + z; // strncat stops at NUL: the rest of the line is lost
      out.set(buf.subarray(p, stop), n);
      n += stop - p;
      p = nl + 1;
    }
    return decoder.decode(out.subarray(0, n));
  }

  /** `nih_config_block_end` for "script": the offset after the terminator line, or -1. */
  blockEnd(p: number): number {
    const buf = this.buf, len = this.len;
    while (p < len && (CLASS[buf[p]] & WS)) p++;
    if (len - p < 4 || buf[p] !== 0x65 || buf[p + 1] !== 0x6e || buf[p + 2] !== 0x64) return -1;
    if (!(CLASS[buf[p + 3]] & WS)) return -1;
    p += 3;
    while (p < len && (CLASS[buf[p]] & WS)) p++;
    if (len - p < 6) return -1;
    for (let i = 0; i < 6; i++) if (buf[p + i] !== SCRIPT[i]) return -1;
    p += 6;
    while (p < len && (CLASS[buf[p]] & WS)) p++;
    if (p < len && buf[p] === HASH) {
      const nl = buf.indexOf(LF, p);
      p = nl < 0 ? len : nl;
    }
    if (p < len && buf[p] !== LF) return -1;
    return p < len ? p + 1 : p;
  }
}

const SCRIPT = [0x73, 0x63, 0x72, 0x69, 0x70, 0x74]; // "script"
