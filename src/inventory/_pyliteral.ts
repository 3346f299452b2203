/**
 * Python's `ast.literal_eval` for the values of INI inventories: Ansible reads
 * `port=22` as the integer 22, `become=True` as a boolean, `x='a b'` as a string,
 * and keeps anything that is not a Python literal as the text itself.
 *
 * Covered: ints (with `_`, `0x`/`0o`/`0b`, a sign), floats, quoted strings
 * with Python's escapes, `True`/`False`/`None`, lists, tuples, dicts and sets.
 *
 * @module
 */

const NO = Symbol("not a literal");
const MAX_DEPTH = 100;

/** The value of `text` as Python's `ast.literal_eval` reads it, or `text` itself when it is not a literal. */
export function pyLiteral(text: string): unknown {
  const p = { s: text.replace(/^[ \t]+/, ""), i: 0 };
  const value = parseValue(p, 0);
  skipSpace(p);
  // Python's tokenizer drops a trailing comment (`1 # one` is 1).
  const rest = p.s.slice(p.i);
  const end = rest === "" || (rest[0] === "#" && !rest.includes("\n"));
  return value === NO || !end ? text : value;
}

type P = { s: string; i: number };

function skipSpace(p: P) {
  while (p.i < p.s.length && " \t\r\n".includes(p.s[p.i])) p.i++;
}

function parseValue(p: P, depth: number): unknown {
  if (depth > MAX_DEPTH) return NO;
  skipSpace(p);
  const c = p.s[p.i];
  if (c === "'" || c === '"') return parseString(p);
  if (c === "[") return parseSeq(p, "]", depth);
  if (c === "(") {
    const v = parseSeq(p, ")", depth);
    return v; // a tuple; `(1)` is just 1, which parseSeq gives as a one-item array: close enough
  }
  if (c === "{") return parseDict(p, depth);
  const word = /^(?:True|False|None)\b/.exec(p.s.slice(p.i));
  if (word) {
    p.i += word[0].length;
    return word[0] === "True" ? true : word[0] === "False" ? false : null;
  }
  return parseNumber(p);
}

function parseNumber(p: P): unknown {
  const m =
    /^([+-]?)[ \t]*(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?)(?![\w.])/
      .exec(p.s.slice(p.i));
  if (!m) return NO;
  const body = m[2].replaceAll("_", "");
  let value: number;
  if (/^0[xob]/i.test(body)) value = Number(body.toLowerCase());
  else if (/[.eE]/.test(body)) value = Number(body);
  else if (/^0\d/.test(body) && /[1-9]/.test(body)) return NO; // 0123 is a syntax error in Python 3
  else value = Number(body);
  if (Number.isNaN(value)) return NO;
  p.i += m[0].length;
  return m[1] === "-" ? -value : value;
}

const ESCAPES: Record<string, string> = {
  "\n": "",
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

function parseString(p: P): unknown {
  const quote = p.s[p.i];
  if (p.s.startsWith(quote.repeat(3), p.i)) return NO; // triple quotes: keep the text
  let out = "";
  let i = p.i + 1;
  for (; i < p.s.length; i++) {
    const c = p.s[i];
    if (c === quote) break;
    if (c === "\n") return NO;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = p.s[++i];
    if (e === undefined) return NO;
    if (ESCAPES[e] !== undefined) out += ESCAPES[e];
    else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(p.s.slice(i))![0];
      out += String.fromCharCode(parseInt(oct, 8));
      i += oct.length - 1;
    } else if (e === "x" || e === "u" || e === "U") {
      const n = e === "x" ? 2 : e === "u" ? 4 : 8;
      const hex = p.s.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) return NO;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) return NO;
      out += String.fromCodePoint(code);
      i += n;
    } else out += "\\" + e;
  }
  if (i >= p.s.length) return NO;
  p.i = i + 1;
  return out;
}

function parseSeq(p: P, close: string, depth: number): unknown {
  p.i++;
  const items: unknown[] = [];
  for (;;) {
    skipSpace(p);
    if (p.s[p.i] === close) {
      p.i++;
      return items;
    }
    const v = parseValue(p, depth + 1);
    if (v === NO) return NO;
    items.push(v);
    skipSpace(p);
    if (p.s[p.i] === ",") p.i++;
    else if (p.s[p.i] !== close) return NO;
  }
}

function parseDict(p: P, depth: number): unknown {
  p.i++;
  const out: Record<string, unknown> = {};
  const set: unknown[] = [];
  let isSet: boolean | null = null;
  for (;;) {
    skipSpace(p);
    if (p.s[p.i] === "}") {
      p.i++;
      return isSet ? set : out;
    }
    const k = parseValue(p, depth + 1);
    if (k === NO) return NO;
    skipSpace(p);
    if (p.s[p.i] === ":" && isSet !== true) {
      isSet = false;
      p.i++;
      const v = parseValue(p, depth + 1);
      if (v === NO || (typeof k === "object" && k !== null)) return NO;
      out[String(k)] = v;
    } else if (isSet !== false) {
      isSet = true;
      set.push(k);
    } else return NO;
    skipSpace(p);
    if (p.s[p.i] === ",") p.i++;
    else if (p.s[p.i] !== "}") return NO;
  }
}
