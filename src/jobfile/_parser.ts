/**
 * The job-file parser: Upstart's parse loop (`nih_config_parse_file`) and its 35 stanza handlers
 * (`init/parse_job.c`), building the concrete syntax tree and applying each stanza to a state as
 * Upstart does (so a failing override keeps what it applied before the error).
 *
 * @module
 */

import {
  CLASS,
  CNL,
  CNLWS,
  decode,
  Fail,
  HASH,
  Lexer,
  LPAREN,
  ON_DELIM,
  Reason,
  RPAREN,
  WS,
} from "./_scan.ts";
import { LIMIT_RESOURCES } from "./_grammar.ts";
import { cStrto, signalFromName, signalFromNumber, type State } from "./_state.ts";
import { eventMatch } from "./condition.ts";
import type { CommentSpan, JobNode, ScriptBlock, StanzaNode, TokenNode } from "./cst.ts";
import type { Condition, EventCondition, EventMatch, LimitResource, ProcessType } from "./types.ts";

/** What one parse produced: the nodes, and the first error (parsing stops there). */
export interface RawParse {
  nodes: JobNode[];
  error: Fail | null;
  lineStarts: number[];
}

interface MutableStanza {
  type: "stanza";
  keyword: string;
  start: number;
  end: number;
  keywordStart: number;
  keywordEnd: number;
  line: number;
  endLine: number;
  tokens: TokenNode[];
  args: string[];
  comments: CommentSpan[];
  script: ScriptBlock | null;
}

type Handler = (P: Parser, n: MutableStanza, p: number) => number;

const INT_MAX = 2147483647n;
const RLIM_INFINITY = (1n << 64n) - 1n;

/** Offsets of the first byte of each line. */
export function lineStartsOf(buf: Uint8Array): number[] {
  const starts = [0];
  let i = buf.indexOf(0x0a);
  while (i >= 0) {
    starts.push(i + 1);
    i = buf.indexOf(0x0a, i + 1);
  }
  return starts;
}

/** The 1-based line of `offset` (1 + the line feeds before it). */
export function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0, hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

class Parser extends Lexer {
  state: State;
  lineStarts: number[];
  constructor(buf: Uint8Array, state: State, lineStarts: number[]) {
    super(buf);
    this.state = state;
    this.lineStarts = lineStarts;
  }

  /** A dequoted ARG; returns the position after it and its trailing whitespace. */
  arg(n: MutableStanza, p: number): number {
    const next = this.nextToken(p, CNLWS, true);
    const value = this.value();
    n.tokens.push({ kind: "arg", start: p, end: this.tokEnd, value });
    n.args.push(value);
    return next;
  }

  /** A raw KEYWORD token (sub-keywords, compared without dequoting). */
  kw(n: MutableStanza, p: number): number {
    const next = this.nextToken(p, CNLWS, false);
    const value = this.value();
    n.tokens.push({ kind: "keyword", start: p, end: this.tokEnd, value });
    n.args.push(value);
    return next;
  }

  /** The last token's value. */
  last(n: MutableStanza): string {
    return n.args[n.args.length - 1];
  }

  /** Records a `#` comment at `p`, if there is one. */
  comment(n: MutableStanza, p: number): void {
    if (p < this.len && this.buf[p] === HASH) {
      const nl = this.buf.indexOf(0x0a, p);
      const end = nl < 0 ? this.len : nl;
      n.comments.push({ start: p, end, text: decode(this.buf, p, end) });
    }
  }

  /** The end-of-stanza check (`skip_comment`), recording the trailing comment. */
  end(n: MutableStanza, p: number): number {
    const next = this.skipComment(p);
    this.comment(n, p);
    return next;
  }
}

function setString(
  field:
    | "description"
    | "author"
    | "version"
    | "usage"
    | "instance"
    | "chroot"
    | "chdir"
    | "setuid"
    | "setgid",
): Handler {
  return (P, n, p) => {
    p = P.arg(n, p);
    P.state[field] = P.last(n);
    return P.end(n, p);
  };
}

function listArgs(field: "export" | "emits"): Handler {
  return (P, n, p) => {
    if (!P.hasToken(p)) throw new Fail(Reason.expectedToken, p);
    const first = n.args.length;
    while (P.hasToken(p)) p = P.arg(n, p);
    for (let i = first; i < n.args.length; i++) P.state[field].push(n.args[i]);
    P.comment(n, p);
    return P.nextLine(p);
  };
}

function exec(P: Parser, n: MutableStanza, p: number, slot: ProcessType): number {
  if (!P.hasToken(p)) throw new Fail(Reason.expectedToken, p);
  let end: number;
  try {
    end = P.scan(p, CNL, false);
  } catch (e) {
    delete P.state.processes[slot]; // the old command was already released
    throw e;
  }
  const value = P.value();
  n.tokens.push({ kind: "command", start: p, end, value });
  n.args.push(value);
  P.state.processes[slot] = { kind: "exec", command: value };
  P.comment(n, end);
  return P.nextLine(end);
}

function script(P: Parser, n: MutableStanza, p: number, slot: ProcessType): number {
  p = P.end(n, p);
  let next: number;
  try {
    next = P.block(p);
  } catch (e) {
    delete P.state.processes[slot];
    throw e;
  }
  n.script = { bodyStart: p, bodyEnd: P.blockEnd_, end: next, body: P.blockValue };
  P.state.processes[slot] = { kind: "script", command: P.blockValue };
  return next;
}

function process(slot: ProcessType): Handler {
  return (P, n, p) => {
    const start = p;
    p = P.kw(n, p);
    const k = P.last(n);
    if (k === "exec") return exec(P, n, p, slot);
    if (k === "script") return script(P, n, p, slot);
    throw new Fail(Reason.unknownStanza, start);
  };
}

function on(which: "startOn" | "stopOn"): Handler {
  return (P, n, p) => {
    const start = p;
    p = P.kw(n, p);
    if (P.last(n) !== "on") throw new Fail(Reason.unknownStanza, start);
    P.state[which] = null; // the old tree is dropped before the new one is parsed
    const r = parseOn(P, n, p);
    P.state[which] = r.tree;
    return r.end;
  };
}

interface MatchEntry {
  node: EventCondition & { args: EventMatch[] };
  named: boolean;
}
interface OpEntry {
  type: "and" | "or";
  left: Condition;
}
type StackEntry = MatchEntry | OpEntry | null; // null marks an open parenthesis

/** `parse_on` with its operator stack; error offsets follow the C code exactly (§6.3). */
function parseOn(P: Parser, n: MutableStanza, p: number): { tree: Condition; end: number } {
  const stack: StackEntry[] = [];
  let root: Condition | null = null;
  let paren = 0;
  let onPos = p;
  let errPos = p;
  const buf = P.buf, len = P.len;

  const collect = (at: number): void => {
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (top === null) break;
      stack.pop();
      if ("node" in top) {
        if (root) throw new Fail(Reason.expectedOperator, at);
        root = top.node;
      } else {
        if (!root) throw new Fail(Reason.expectedEvent, at);
        root = { type: top.type, left: top.left, right: root };
      }
    }
    if (!root) throw new Fail(Reason.expectedEvent, at);
  };

  do {
    onPos = P.skipWs(onPos);
    do {
      errPos = onPos;
      const c = onPos < len ? buf[onPos] : -1;
      if (c === LPAREN || c === RPAREN) {
        if (c === LPAREN) {
          paren++;
          const top = stack.length ? stack[stack.length - 1] : null;
          if (root || (top !== null && "node" in top)) {
            throw new Fail(Reason.expectedOperator, onPos);
          }
          stack.push(null);
        } else {
          paren--;
          collect(onPos);
          if (!stack.length) throw new Fail(Reason.mismatchedParens, onPos);
          stack.pop();
        }
        const value = c === LPAREN ? "(" : ")";
        n.tokens.push({ kind: "paren", start: onPos, end: onPos + 1, value });
        n.args.push(value);
        onPos = P.skipWs(onPos + 1);
      } else {
        const next = P.nextToken(onPos, ON_DELIM, false);
        const raw = P.value();
        if (raw === "and" || raw === "or") {
          collect(onPos);
          stack.push({ type: raw, left: root! });
          root = null;
          n.tokens.push({ kind: "operator", start: onPos, end: P.tokEnd, value: raw });
          n.args.push(raw);
          onPos = next;
        } else {
          const start = onPos;
          onPos = P.nextToken(onPos, ON_DELIM, true);
          const value = P.value();
          n.tokens.push({ kind: "operand", start, end: P.tokEnd, value });
          n.args.push(value);
          const top = stack.length ? stack[stack.length - 1] : null;
          if (top !== null && "node" in top) {
            const hasEq = value.includes("=");
            top.node.args.push(eventMatch(value));
            if (hasEq) top.named = true;
            else if (top.named) throw new Fail(Reason.expectedVariable, onPos);
          } else {
            stack.push({ node: { type: "event", name: value, args: [] }, named: false });
          }
        }
      }
    } while (P.hasToken(onPos));
    P.comment(n, onPos);
    onPos = P.nextLine(onPos);
  } while (onPos < len && paren);

  collect(errPos);
  if (stack.length) throw new Fail(Reason.mismatchedParens, onPos);
  return { tree: root!, end: onPos };
}

function signal(
  P: Parser,
  n: MutableStanza,
  p: number,
  which: "killSignal" | "reloadSignal",
): number {
  const at = p;
  p = P.arg(n, p);
  const s = P.last(n);
  let spec = signalFromName(s);
  if (!spec) {
    const r = cStrto(s, 10, true);
    if (!r.ok || r.value > INT_MAX) throw new Fail(Reason.illegalSignal, at);
    spec = signalFromNumber(Number(r.value));
  }
  P.state[which] = spec;
  return p;
}

function int32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

function limitValue(s: string, at: number): bigint {
  if (s === "unlimited") return RLIM_INFINITY;
  const r = cStrto(s, 10, true);
  if (!r.ok) throw new Fail(Reason.illegalLimit, at);
  return r.value;
}

function limitOut(v: bigint): number | "unlimited" {
  return v === RLIM_INFINITY ? "unlimited" : Number(v);
}

const LIMITS: ReadonlySet<string> = new Set(LIMIT_RESOURCES);

const HANDLERS = new Map<string, Handler>([
  ["instance", setString("instance")],
  ["description", setString("description")],
  ["author", setString("author")],
  ["version", setString("version")],
  ["usage", setString("usage")],
  ["chroot", setString("chroot")],
  ["chdir", setString("chdir")],
  ["setuid", setString("setuid")],
  ["setgid", setString("setgid")],
  ["env", (P, n, p) => {
    p = P.arg(n, p);
    P.state.env.push(P.last(n));
    return P.end(n, p);
  }],
  ["export", listArgs("export")],
  ["emits", listArgs("emits")],
  ["start", on("startOn")],
  ["stop", on("stopOn")],
  ["manual", (P, _n, p) => {
    P.state.startOn = null;
    P.state.manual = true;
    return p; // consumes nothing: the rest of the line is the next stanza
  }],
  ["debug", (_P, _n, p) => p],
  ["exec", (P, n, p) => exec(P, n, p, "main")],
  ["script", (P, n, p) => script(P, n, p, "main")],
  ["pre-start", process("pre-start")],
  ["post-start", process("post-start")],
  ["pre-stop", process("pre-stop")],
  ["post-stop", process("post-stop")],
  ["expect", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const v = P.last(n);
    if (v !== "stop" && v !== "daemon" && v !== "fork" && v !== "none") {
      throw new Fail(Reason.unknownStanza, at);
    }
    P.state.expect = v;
    return P.end(n, p);
  }],
  ["task", (P, n, p) => {
    P.state.task = true;
    return P.end(n, p);
  }],
  ["kill", (P, n, p) => {
    const at = p;
    p = P.kw(n, p);
    const k = P.last(n);
    if (k === "timeout") {
      const vAt = p;
      p = P.arg(n, p);
      const r = cStrto(P.last(n), 10, false);
      P.state.killTimeout = Number(r.value); // assigned before the check, as Upstart does
      if (!r.ok || r.value < 0n) throw new Fail(Reason.illegalInterval, vAt);
    } else if (k === "signal") p = signal(P, n, p, "killSignal");
    else throw new Fail(Reason.unknownStanza, at);
    return P.end(n, p);
  }],
  ["reload", (P, n, p) => {
    const at = p;
    p = P.kw(n, p);
    if (P.last(n) !== "signal") throw new Fail(Reason.unknownStanza, at);
    p = signal(P, n, p, "reloadSignal");
    return P.end(n, p);
  }],
  ["respawn", (P, n, p) => {
    if (!P.hasToken(p)) {
      P.state.respawn = true;
      return P.end(n, p);
    }
    const at = p;
    p = P.kw(n, p);
    if (P.last(n) !== "limit") throw new Fail(Reason.unknownStanza, at);
    const cAt = p;
    p = P.arg(n, p);
    if (P.last(n) === "unlimited") {
      P.state.respawnLimit = "unlimited";
    } else {
      const r = cStrto(P.last(n), 10, false);
      const count = int32(r.value);
      const old = P.state.respawnLimit;
      const interval = old === "unlimited" ? 0 : old.interval;
      P.state.respawnLimit = { count, interval };
      if (!r.ok || count < 0) throw new Fail(Reason.illegalLimit, cAt);
      const iAt = p;
      p = P.arg(n, p);
      const t = cStrto(P.last(n), 10, false);
      P.state.respawnLimit = { count, interval: Number(t.value) };
      if (!t.ok || t.value < 0n) throw new Fail(Reason.illegalInterval, iAt);
    }
    return P.end(n, p);
  }],
  ["normal", (P, n, p) => {
    const at = p;
    p = P.kw(n, p);
    if (P.last(n) !== "exit") throw new Fail(Reason.unknownStanza, at);
    do {
      const vAt = p;
      p = P.arg(n, p);
      const s = P.last(n);
      const sig = signalFromName(s);
      if (sig) P.state.normalExit.push({ signal: sig.name });
      else {
        const r = cStrto(s, 10, true);
        if (!r.ok || r.value > INT_MAX) throw new Fail(Reason.illegalExit, vAt);
        P.state.normalExit.push({ status: Number(r.value) });
      }
    } while (P.hasToken(p));
    return P.end(n, p);
  }],
  ["console", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const v = P.last(n);
    if (v !== "none" && v !== "output" && v !== "owner" && v !== "log") {
      throw new Fail(Reason.unknownStanza, at);
    }
    P.state.console = v;
    return P.end(n, p);
  }],
  ["umask", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const r = cStrto(P.last(n), 8, true);
    const v = Number(BigInt.asUintN(32, r.value));
    P.state.umask = v;
    if (!r.ok || (v & ~0o777) !== 0) throw new Fail(Reason.illegalUmask, at);
    return P.end(n, p);
  }],
  ["nice", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const r = cStrto(P.last(n), 10, false);
    const v = int32(r.value);
    P.state.nice = v;
    if (!r.ok || v < -20 || v > 19) throw new Fail(Reason.illegalNice, at);
    return P.end(n, p);
  }],
  ["oom", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const a = P.last(n);
    if (a === "score") {
      const sAt = p;
      p = P.arg(n, p);
      const s = P.last(n);
      if (s === "never") P.state.oomScore = "never";
      else {
        const r = cStrto(s, 10, false);
        const v = int32(r.value);
        P.state.oomScore = v;
        if (!r.ok || v < -1000 || v > 1000) throw new Fail(Reason.illegalOomScore, sAt);
      }
    } else if (a === "never") P.state.oomScore = "never";
    else {
      const r = cStrto(a, 10, false);
      const adj = int32(r.value);
      P.state.oomScore = Math.trunc((adj * 1000) / (adj < 0 ? 17 : 15));
      if (!r.ok || adj < -17 || adj > 15) throw new Fail(Reason.illegalOom, at);
    }
    return P.end(n, p);
  }],
  ["limit", (P, n, p) => {
    const at = p;
    p = P.arg(n, p);
    const res = P.last(n);
    if (!LIMITS.has(res)) throw new Fail(Reason.unknownStanza, at);
    const key = res as LimitResource;
    const old = P.state.limits[key];
    const sAt = p;
    p = P.arg(n, p);
    const soft = limitOut(limitValue(P.last(n), sAt));
    P.state.limits[key] = { soft, hard: old ? old.hard : soft };
    const hAt = p;
    p = P.arg(n, p);
    const hard = limitOut(limitValue(P.last(n), hAt));
    P.state.limits[key] = { soft, hard };
    return P.end(n, p);
  }],
  ["apparmor", (P, n, p) => {
    const at = p;
    p = P.kw(n, p);
    const k = P.last(n);
    if (k === "load") {
      p = P.arg(n, p);
      P.state.apparmorLoad = P.last(n);
    } else if (k === "switch") {
      p = P.arg(n, p);
      P.state.apparmorSwitch = P.last(n);
    } else throw new Fail(Reason.unknownStanza, at);
    return P.end(n, p);
  }],
  ["cgroup", (P, n, p) => {
    if (!P.hasToken(p)) throw new Fail(Reason.expectedToken, p);
    p = P.arg(n, p);
    let i = 1;
    while (i < 4 && P.hasToken(p)) {
      p = P.arg(n, p);
      i++;
    }
    const a = n.args;
    P.state.cgroups.push({
      controller: a[0],
      name: i === 2 || i === 4 ? a[1] : null,
      key: i === 3 ? a[1] : i === 4 ? a[2] : null,
      value: i === 3 ? a[2] : i === 4 ? a[3] : null,
    });
    return P.end(n, p);
  }],
]);

/** The stanza keywords Upstart 1.13 knows. */
export const STANZAS: readonly string[] = [...HANDLERS.keys()];

/**
 * Parses `buf`, applying each stanza to `state`. Never throws: the first error is returned with
 * the nodes before it, and the rest of the file becomes one `unparsed` node.
 */
export function parseBytes(buf: Uint8Array, state: State): RawParse {
  const lineStarts = lineStartsOf(buf);
  const P = new Parser(buf, state, lineStarts);
  const nodes: JobNode[] = [];
  const len = buf.length;
  let p = 0;
  let iterStart = 0;
  try {
    while (p < len) {
      iterStart = p;
      while (p < len && (CLASS[buf[p]] & WS)) p++;
      if (!P.hasToken(p)) {
        const line = lineOf(lineStarts, iterStart);
        if (p < len && buf[p] === HASH) {
          const nl = buf.indexOf(0x0a, p);
          const end = nl < 0 ? len : nl;
          const next = nl < 0 ? len : nl + 1;
          nodes.push({
            type: "comment",
            start: iterStart,
            end: next,
            line,
            text: decode(buf, p, end),
          });
          p = next;
        } else {
          p = P.nextLine(p);
          nodes.push({ type: "blank", start: iterStart, end: p, line });
        }
        continue;
      }
      const kwStart = p;
      const next = P.nextToken(p, CNLWS, false);
      const keyword = P.value();
      const handler = HANDLERS.get(keyword);
      if (!handler) throw new Fail(Reason.unknownStanza, next);
      const n: MutableStanza = {
        type: "stanza",
        keyword,
        start: iterStart,
        end: 0,
        keywordStart: kwStart,
        keywordEnd: P.tokEnd,
        line: lineOf(lineStarts, kwStart),
        endLine: 0,
        tokens: [],
        args: [],
        comments: [],
        script: null,
      };
      p = handler(P, n, next);
      n.end = p;
      n.endLine = lineOf(lineStarts, p > n.start ? p - 1 : p);
      nodes.push(n as StanzaNode);
    }
  } catch (e) {
    if (!(e instanceof Fail)) throw e;
    nodes.push({
      type: "unparsed",
      start: iterStart,
      end: len,
      line: lineOf(lineStarts, iterStart),
    });
    return { nodes, error: e, lineStarts };
  }
  return { nodes, error: null, lineStarts };
}
