/**
 * Host patterns as Ansible reads them in INI and YAML inventories: an
 * optional `:port` (`[ipv6]:port` for IPv6), and ranges that expand one line
 * into many hosts: `web[01:20]` (zero-padded bounds keep their width),
 * `db-[a:f]`, `[1:10:2]` (a step), several in one name.
 *
 * Nonsense Ansible would silently turn into no hosts (`[5:1]`) is refused,
 * and so is any line that would expand to more than {@linkcode MAX_RANGE_HOSTS}.
 *
 * @module
 */

import { fail, q, type Where } from "./errors.ts";

/**
 * The most hosts one host pattern may expand to (`[0:99999999]` is refused,
 * before anything is expanded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_RANGE_HOSTS } from "./mod.ts";
 * assert.equal(MAX_RANGE_HOSTS, 100_000);
 * ```
 */
export const MAX_RANGE_HOSTS = 100_000;

// Ansible's regular expressions (ansible/parsing/utils/addresses.py), used with Python's
// re.match: anchored at the start only, hence the sticky flag; their `$` sits in the last
// alternative only, which is kept as it is.
const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const I4 = String.raw`(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
const I6 = String.raw`(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const LABEL = String
  .raw`(?:[\p{L}\p{N}_]|${ALNUM_RANGE})(?:[\p{L}\p{N}_-]|${ALNUM_RANGE})*(?<![_-])`;
const V4 = String.raw`(?:${I4}\.){3}${I4}`;
const PATTERNS = {
  bracketedHostport: /^\[(.+)\]:([0-9]+)$/s,
  hostport: /^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$/s,
  ipv4: new RegExp(`^${V4}$`, "iy"),
  ipv6: new RegExp(
    `^(?:${I6}:){7}${I6}|(?:${I6}:){1,6}:|(?:${I6}:)(?::${I6}){1,6}|(?:${I6}:){2}(?::${I6}){1,5}|` +
      `(?:${I6}:){3}(?::${I6}){1,4}|(?:${I6}:){4}(?::${I6}){1,3}|(?:${I6}:){5}(?::${I6}){1,2}|` +
      `(?:${I6}:){6}(?::${I6})|:(?::${I6}){1,6}|${I6}?::|(?:${I6}:){6}${V4}|::(?:ffff:)?${V4}|` +
      `(?:${I6}:){1,4}:${V4}$`,
    "iy",
  ),
  hostname: new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, "iuy"),
};

function matches(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  return re.test(text);
}

/**
 * Ansible's `parse_address(text, allow_ranges=True)`: the host and the port, or
 * `null` when `text` is not a recognizable address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAddress } from "./ranges.ts";
 * assert.deepEqual(parseAddress("[::1]:2222"), { host: "::1", port: 2222 });
 * assert.equal(parseAddress("not an address!"), null);
 * ```
 */
export function parseAddress(text: string): { host: string; port: number | null } | null {
  let host = text;
  let port: number | null = null;
  for (const re of [PATTERNS.bracketedHostport, PATTERNS.hostport]) {
    const m = re.exec(host);
    if (m) {
      host = m[1];
      port = Number(m[2]);
    }
  }
  if (![PATTERNS.ipv4, PATTERNS.ipv6, PATTERNS.hostname].some((re) => matches(re, host))) {
    return null;
  }
  return { host, port };
}

/** A bracketed range, validated. */
type Range =
  | { readonly letters: readonly string[]; readonly count: number }
  | { readonly numbers: Numbers; readonly count: number };
interface Numbers {
  readonly start: number;
  readonly end: number;
  readonly step: number;
  readonly width: number;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

function parseRange(spec: string, pattern: string, where: Where): Range {
  const bad = (why: string) => fail(where, `Invalid host range [${spec}] in ${q(pattern)}: ${why}`);
  const bounds = spec.split(":");
  if (bounds.length !== 2 && bounds.length !== 3) bad("expected [begin:end] or [begin:end:step]");
  const [beg = "0", end, stepText] = [bounds[0] || "0", bounds[1], bounds[2]];
  if (!end) bad("the end is missing");
  let step = 1;
  if (stepText !== undefined) {
    if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
      bad("the step must be a positive integer");
    }
    step = Number(stepText);
  }
  if (/^[A-Za-z]$/.test(beg) && /^[A-Za-z]$/.test(end)) {
    const from = LETTERS.indexOf(beg);
    const to = LETTERS.indexOf(end);
    if (from > to) bad("the beginning is after the end");
    const values: string[] = [];
    for (let i = from; i <= to; i += step) values.push(LETTERS[i]);
    return { letters: values, count: values.length };
  }
  if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) {
    bad("the bounds must be two numbers or two letters");
  }
  const width = beg.length > 1 && beg[0] === "0" ? beg.length : 0;
  if (width && end.length !== width) bad("zero-padded bounds must have the same width");
  const start = Number(beg);
  const last = Number(end);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last)) bad("the bounds are too large");
  if (start > last) bad("the beginning is after the end");
  return {
    numbers: { start, end: last, step, width },
    count: Math.floor((last - start) / step) + 1,
  };
}

/**
 * Ansible's `_expand_hostpattern`: the host names one inventory host entry
 * stands for, and the port it gives them (`web[1:3]:2222`), or `null`.
 *
 * @throws {InventoryError} for a malformed or too large range, or a trailing `:`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandHostPattern } from "./ranges.ts";
 * assert.deepEqual(expandHostPattern("web[08:10]:2222", { path: "hosts", line: 1 }), {
 *   names: ["web08", "web09", "web10"],
 *   port: 2222,
 * });
 * ```
 */
export function expandHostPattern(
  pattern: string,
  where: Where,
): { names: string[]; port: number | null } {
  const address = parseAddress(pattern);
  // Like Ansible: text that is no address is taken whole (a name with odd characters).
  const text = address?.host ?? pattern;
  const port = address?.port ?? null;
  if (port === null && pattern.trim().endsWith(":")) {
    fail(where, `Invalid host pattern ${q(pattern)}: a trailing ":" must be followed by a port`);
  }
  if (port !== null && (port < 1 || port > 65535)) {
    fail(where, `Invalid port ${port} in ${q(pattern)}: expected 1 to 65535`);
  }
  if (!text.includes("[") && !text.includes("]")) return { names: [text], port };
  // Literal parts and ranges, alternating: lit0 [r0] lit1 [r1] lit2 ...
  const literals: string[] = [];
  const ranges: Range[] = [];
  let rest = text;
  for (;;) {
    const open = rest.indexOf("[");
    const close = rest.indexOf("]");
    if (open < 0 && close < 0) break;
    if (close < 0) fail(where, `Unbalanced "[" in host pattern ${q(pattern)}`);
    if (open < 0 || close < open) fail(where, `Unbalanced "]" in host pattern ${q(pattern)}`);
    literals.push(rest.slice(0, open));
    ranges.push(parseRange(rest.slice(open + 1, close), pattern, where));
    rest = rest.slice(close + 1);
  }
  literals.push(rest);
  const total = ranges.reduce((n, r) => n * r.count, 1);
  if (total > MAX_RANGE_HOSTS) {
    fail(
      where,
      `Host pattern ${
        q(pattern)
      } expands to ${total} hosts: at most ${MAX_RANGE_HOSTS} are allowed`,
    );
  }
  let names = [literals[0]];
  ranges.forEach((range, i) => {
    const values = "letters" in range ? range.letters : numbers(range.numbers);
    names = names.flatMap((head) => values.map((v) => head + v + literals[i + 1]));
  });
  return { names, port };
}

function numbers(r: Numbers): string[] {
  const out: string[] = [];
  for (let n = r.start; n <= r.end; n += r.step) out.push(String(n).padStart(r.width, "0"));
  return out;
}
