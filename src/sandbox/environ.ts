/**
 * Environment tables (`KEY=VALUE` lists) handled as Upstart's `init/environ.c` handles them:
 * add/replace by key, copy a bare `KEY` from our own environment, and `$VAR` expansion.
 *
 * @module
 */

/** A failed `$VAR` expansion; `message` is Upstart's (`Unknown parameter: N`). */
export class ExpandError extends Error {
  /** Always `"ExpandError"`. */
  override readonly name = "ExpandError";
}

function keyLength(str: string): number {
  const i = str.indexOf("=");
  return i < 0 ? str.length : i;
}

/** Index of the entry whose key is `key`, or -1. */
export function envIndex(env: readonly string[], key: string): number {
  for (let i = 0; i < env.length; i++) {
    const e = env[i];
    if (e.length > key.length && e[key.length] === "=" && e.startsWith(key)) return i;
  }
  return -1;
}

/** The value of `name`, or `undefined`. */
export function envGet(env: readonly string[], name: string): string | undefined {
  const i = envIndex(env, name);
  return i < 0 ? undefined : env[i].slice(name.length + 1);
}

/**
 * Adds `str` (`KEY=VALUE`, or a bare `KEY` copied from our own environment if set) to `env` in
 * place; an existing entry is replaced only when `replace` (a bare unset `KEY` then removes it).
 */
export function envAdd(
  env: string[],
  str: string,
  replace: boolean,
  own: (name: string) => string | undefined = (n) => Deno.env.get(n),
): string[] {
  const key = str.slice(0, keyLength(str));
  let entry: string | null = str;
  if (key.length === str.length) {
    const value = own(str);
    entry = value === undefined ? null : `${str}=${value}`;
  }
  const i = envIndex(env, key);
  if (i >= 0) {
    if (!replace) return env;
    if (entry === null) env.splice(i, 1);
    else env[i] = entry;
    return env;
  }
  if (entry !== null) env.push(entry);
  return env;
}

/** Appends every entry of `add` to `env` with {@linkcode envAdd}. */
export function envAppend(env: string[], add: readonly string[], replace = true): string[] {
  for (const e of add) envAdd(env, e, replace);
  return env;
}

/** Whether every entry has an `=` (Upstart checks nothing else). */
export function envAllValid(env: readonly string[]): boolean {
  return env.every((e) => e.includes("="));
}

const isNameStart = (c: string | undefined) => c !== undefined && /[A-Za-z_]/.test(c);
const isNameChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_]/.test(c);

/**
 * Expands `$VAR`, `${VAR}`, `${VAR-d}`, `${VAR:-d}`, `${VAR+a}`, `${VAR:+a}` and `${}` (a literal
 * `$`) against `env`, as `environ_expand` does.
 *
 * @throws {ExpandError} `Unknown parameter: NAME`, `Expected operator` or `Mismatched braces`.
 */
export function envExpand(str: string, env: readonly string[]): string {
  const state = { s: str, pos: 0 };
  expandUntil(state, env, "");
  return state.s;
}

function expandUntil(st: { s: string; pos: number }, env: readonly string[], until: string): void {
  for (;;) {
    while (st.pos < st.s.length && st.s[st.pos] !== "$" && !until.includes(st.s[st.pos])) st.pos++;
    if (st.s[st.pos] !== "$") return;
    const start = st.pos++;
    let op: "value" | "default" | "alternate" = "value";
    let ignoreEmpty = false;
    let nameStart: number, nameEnd: number, end: number;
    let argStart = 0, argEnd = 0;
    let value: string | undefined;
    const c = st.s[st.pos];
    if (isNameStart(c)) {
      nameStart = st.pos++;
      while (isNameChar(st.s[st.pos])) st.pos++;
      nameEnd = end = st.pos;
    } else if (c === "{" && st.s[st.pos + 1] === "}") {
      st.pos += 2;
      substitute(st, start, st.pos, "$");
      continue;
    } else if (c === "{") {
      nameStart = ++st.pos;
      expandUntil(st, env, "}:-+");
      nameEnd = st.pos;
      const here = st.s[st.pos], next = st.s[st.pos + 1];
      if (here === ":" && next === "-") [st.pos, op, ignoreEmpty] = [st.pos + 2, "default", true];
      else if (here === ":" && next === "+") {
        [st.pos, op, ignoreEmpty] = [st.pos + 2, "alternate", true];
      } else if (here === "-") [st.pos, op] = [st.pos + 1, "default"];
      else if (here === "+") [st.pos, op] = [st.pos + 1, "alternate"];
      else if (here !== "}" && here !== undefined) throw new ExpandError("Expected operator");
      argStart = st.pos;
      expandUntil(st, env, "}");
      argEnd = st.pos;
      if (st.s[st.pos] !== "}") throw new ExpandError("Mismatched braces");
      end = ++st.pos;
    } else {
      continue;
    }
    const name = st.s.slice(nameStart, nameEnd);
    value = envGet(env, name);
    const unset = value === undefined || (ignoreEmpty && value === "");
    if (op === "value") {
      if (value === undefined) throw new ExpandError(`Unknown parameter: ${name}`);
    } else if (op === "default") {
      if (unset) value = st.s.slice(argStart, argEnd);
    } else {
      value = unset ? "" : st.s.slice(argStart, argEnd);
    }
    substitute(st, start, end, value!);
  }
}

function substitute(st: { s: string; pos: number }, start: number, end: number, value: string) {
  st.s = st.s.slice(0, start) + value + st.s.slice(end);
  st.pos += value.length - (end - start);
}

/** Sets `KEY=VALUE`, replacing any entry with that key (`environ_set`). */
export function envSet(env: string[], entry: string): string[] {
  return envAdd(env, entry, true);
}
