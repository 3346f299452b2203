/**
 * `fnmatch(pattern, string, 0)` as glibc does it: `*`, `?`, `[...]` (with `!`/`^` negation,
 * ranges and classes such as `[:digit:]`) and `\` escapes; `/` and a leading `.` are not special.
 *
 * Shared by the sandbox (event matching) and the CLI (`check-config`).
 *
 * @module
 */

const cache = new Map<string, RegExp>();

const CLASSES: Record<string, string> = {
  alnum: "A-Za-z0-9",
  alpha: "A-Za-z",
  blank: " \\t",
  cntrl: "\\x00-\\x1f\\x7f",
  digit: "0-9",
  graph: "\\x21-\\x7e",
  lower: "a-z",
  print: "\\x20-\\x7e",
  punct: "!-\\/:-@\\[-`{-~",
  space: " \\t\\n\\r\\f\\v",
  upper: "A-Z",
  xdigit: "0-9A-Fa-f",
};

const escapeChar = (c: string) => /[\\^$.*+?()[\]{}|\/-]/.test(c) ? "\\" + c : c;

function compile(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^]*";
    else if (c === "?") re += "[^]";
    else if (c === "\\" && i + 1 < pattern.length) re += escapeChar(pattern[++i]);
    else if (c === "[") {
      const cls = bracket(pattern, i);
      if (cls === null) re += "\\[";
      else {
        re += cls.re;
        i = cls.end;
      }
    } else re += escapeChar(c);
  }
  return new RegExp(`^${re}$`, "s");
}

function bracket(p: string, start: number): { re: string; end: number } | null {
  let i = start + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  let first = true;
  while (i < p.length) {
    const c = p[i];
    if (c === "]" && !first) return { re: `[${negate ? "^" : ""}${body}]`, end: i };
    first = false;
    if (c === "[" && p[i + 1] === ":") {
      const close = p.indexOf(":]", i + 2);
      const name = close < 0 ? "" : p.slice(i + 2, close);
      if (CLASSES[name] !== undefined) {
        body += CLASSES[name];
        i = close + 2;
        continue;
      }
    }
    if (c === "\\" && i + 1 < p.length) {
      body += escapeChar(p[++i]);
    } else if (p[i + 1] === "-" && p[i + 2] !== undefined && p[i + 2] !== "]") {
      body += `${escapeChar(c)}-${escapeChar(p[i + 2])}`;
      i += 2;
    } else {
      body += escapeChar(c);
    }
    i++;
  }
  return null; // no closing bracket: `[` is literal
}

/** Whether `str` matches the shell glob `pattern` (glibc `fnmatch` with no flags). */
export function fnmatch(pattern: string, str: string): boolean {
  let re = cache.get(pattern);
  if (!re) {
    try {
      re = compile(pattern);
    } catch {
      re = /(?!)/; // a range glibc would reject (z-a) matches nothing
    }
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(str);
}
