/**
 * Ansible's host patterns (`--limit`, and the pattern of `ansible PATTERN`):
 * group and host names, `all`/`*`, shell globs (`web*`), `~regex`, `[n]` and
 * `[n:m]` subscripts on a group; `,` (or `:`) for a union, `:&` (or `,&`) for
 * an intersection, `:!` for an exclusion, applied as Ansible applies them:
 * every union first, then every intersection, then every exclusion.
 *
 * @module
 */

import { fail, q } from "./errors.ts";
import { parseAddress } from "./ranges.ts";
import type { Inventory } from "./types.ts";

/**
 * Ansible's `split_host_pattern`: a limit as a list of single patterns.
 *
 * `a,b` splits at commas only; without a comma, a pattern that is one address
 * (`web[1:3]`, `::1`) stays whole, and otherwise `:` separates (`web:&prod:!db1`).
 *
 * @param limit A limit, or a list of limits whose patterns are applied together (Ansible takes a list so).
 * @returns The single patterns, blanks dropped.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitHostPattern } from "./mod.ts";
 * assert.deepEqual(splitHostPattern("web:&prod:!web3"), ["web", "&prod", "!web3"]);
 * assert.deepEqual(splitHostPattern("a, b"), ["a", "b"]);
 * ```
 */
export function splitHostPattern(limit: string | readonly string[]): string[] {
  if (typeof limit !== "string") return limit.flatMap((l) => splitHostPattern(l));
  let patterns: string[];
  if (limit.includes(",")) patterns = limit.split(",");
  else if (parseAddress(limit) !== null) patterns = [limit];
  else patterns = limit.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return patterns.map((p) => p.trim()).filter((p) => p);
}

/** Python's `fnmatch.translate` (not glibc's: `\` and a leading `^` in brackets are literal). */
function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length;) {
    const c = glob[i++];
    if (c === "*") {
      if (!re.endsWith("[^]*")) re += "[^]*";
    } else if (c === "?") re += "[^]";
    else if (c === "[") {
      let j = i;
      if (glob[j] === "!") j++;
      if (glob[j] === "]") j++;
      while (j < glob.length && glob[j] !== "]") j++;
      if (j >= glob.length) {
        re += "\\[";
        continue;
      }
      let stuff = glob.slice(i, j).replace(/[\\\]]/g, "\\$&");
      i = j + 1;
      if (stuff === "") re += "(?!)";
      else if (stuff === "!") re += "[^]";
      else {
        if (stuff[0] === "!") stuff = "^" + stuff.slice(1);
        else if (stuff[0] === "^" || stuff[0] === "[") stuff = "\\" + stuff;
        re += `[${stuff}]`;
      }
    } else re += c.replace(/[\\^$.*+?()[\]{}|/-]/, "\\$&");
  }
  return new RegExp(`^(?:${re})$`);
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

/** Evaluates host patterns against one inventory, caching as Ansible does. */
class Matcher {
  readonly #inv: Inventory;
  readonly #groupHosts = new Map<string, string[]>();
  readonly #patterns = new Map<string, string[]>();

  constructor(inv: Inventory) {
    this.#inv = inv;
  }

  /**
   * The hosts of a group and of its descendants: the group's own, then its children's in
   * order, then theirs, level by level (Ansible's `Group.get_hosts`).
   */
  groupHosts(name: string): string[] {
    let hosts = this.#groupHosts.get(name);
    if (hosts) return hosts;
    const seenGroups = new Set([name]);
    const order = [name];
    for (let i = 0; i < order.length; i++) {
      for (const child of this.#inv.groups.get(order[i])!.children) {
        if (!seenGroups.has(child)) {
          seenGroups.add(child);
          order.push(child);
        }
      }
    }
    const seen = new Set<string>();
    hosts = [];
    for (const g of order) {
      for (const h of this.#inv.groups.get(g)!.hosts) {
        if (!seen.has(h)) {
          seen.add(h);
          hosts.push(h);
        }
      }
    }
    this.#groupHosts.set(name, hosts);
    return hosts;
  }

  #compile(pattern: string): RegExp {
    try {
      return pattern.startsWith("~") ? new RegExp(pattern.slice(1), "y") : globToRegExp(pattern);
    } catch {
      if (pattern.startsWith("~")) {
        fail({ path: this.#inv.path, line: null }, `Invalid host list pattern: ${q(pattern)}`);
      }
      return /(?!)/; // a glob whose bracket Python would also reject matches nothing
    }
  }

  #matchList(names: Iterable<string>, pattern: string): string[] {
    const re = this.#compile(pattern);
    const out: string[] = [];
    for (const name of names) {
      re.lastIndex = 0;
      if (re.test(name)) out.push(name);
    }
    return out;
  }

  /** Ansible's `_enumerate_matches`: matching groups' hosts, then matching hosts. */
  #enumerate(pattern: string): string[] {
    const results: string[] = [];
    const groups = this.#matchList(this.#inv.groups.keys(), pattern);
    for (const g of groups) results.push(...this.groupHosts(g));
    if (groups.length === 0 || pattern.startsWith("~") || /[.?*[]/.test(pattern)) {
      results.push(...this.#matchList(this.#inv.hosts.keys(), pattern));
    }
    if (results.length === 0 && groups.length === 0 && pattern !== "all") {
      fail(
        { path: this.#inv.path, line: null },
        `Could not match supplied host pattern: ${q(pattern)}`,
      );
    }
    return results;
  }

  /** Ansible's `_match_one_pattern`: one pattern (without its `&`/`!`), with its subscript. */
  matchOne(pattern: string): string[] {
    const bare = pattern[0] === "&" || pattern[0] === "!" ? pattern.slice(1) : pattern;
    let hosts = this.#patterns.get(bare);
    if (hosts) return hosts;
    const m = bare.startsWith("~") ? null : SUBSCRIPT.exec(bare);
    hosts = this.#enumerate(m ? m[1] : bare);
    if (m) {
      // Python's indexing and slicing, as Ansible applies them.
      const index = (n: number) => (n < 0 ? hosts!.length + n : n);
      if (m[2] !== undefined) {
        const i = index(Number(m[2]));
        if (i < 0 || i >= hosts.length) {
          fail(
            { path: this.#inv.path, line: null },
            `No hosts matched the subscripted pattern ${q(bare)}`,
          );
        }
        hosts = [hosts[i]];
      } else {
        const start = Number(m[3]);
        const end = m[5] ? Number(m[5]) : -1;
        hosts = end === 0
          ? (start < hosts.length ? [hosts[start]] : fail(
            { path: this.#inv.path, line: null },
            `No hosts matched the subscripted pattern ${q(bare)}`,
          ))
          : hosts.slice(start, (end === -1 ? hosts.length - 1 : end) + 1);
      }
    }
    this.#patterns.set(bare, hosts);
    return hosts;
  }

  /** Ansible's `_evaluate_patterns`: unions, then intersections, then exclusions. */
  evaluate(patterns: readonly string[]): string[] {
    const regular = patterns.filter((p) => p[0] !== "&" && p[0] !== "!");
    const ordered = [
      ...(regular.length ? regular : ["all"]),
      ...patterns.filter((p) => p[0] === "&"),
      ...patterns.filter((p) => p[0] === "!"),
    ];
    let hosts: string[] = [];
    for (const p of ordered) {
      if (this.#inv.hosts.has(p)) {
        hosts.push(p);
        continue;
      }
      const that = this.matchOne(p);
      if (p[0] === "!") {
        const set = new Set(that);
        hosts = hosts.filter((h) => !set.has(h));
      } else if (p[0] === "&") {
        const set = new Set(that);
        hosts = hosts.filter((h) => set.has(h));
      } else {
        const existing = new Set(hosts);
        hosts.push(...that.filter((h) => !existing.has(h)));
      }
    }
    return hosts;
  }
}

/**
 * The inventory's host names that a limit selects, in inventory order (the
 * order of `all`), each once, as `ansible all --limit LIMIT --list-hosts`
 * lists them. No limit, or a blank one, selects every host.
 *
 * @param inventory The inventory.
 * @param limit A limit, or a list of limits whose patterns are applied together (Ansible takes a list so).
 * @returns The selected host names (possibly none, as when `web:&db` share no host).
 * @throws {InventoryError} for a pattern that matches no group and no host, a bad
 *   `~regex`, or a subscript past the end.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchLimit, parseInventory } from "./mod.ts";
 * const inv = await parseInventory("[web]\nweb[1:3]\n[db]\ndb1\n");
 * assert.deepEqual(matchLimit(inv, "web:!web2"), ["web1", "web3"]);
 * assert.deepEqual(matchLimit(inv, "*1"), ["web1", "db1"]);
 * ```
 */
export function matchLimit(inventory: Inventory, limit?: string | readonly string[]): string[] {
  const matcher = new Matcher(inventory);
  const all = matcher.groupHosts("all");
  const patterns = limit === undefined ? [] : splitHostPattern(limit);
  if (patterns.length === 0) return all;
  const subset = new Set(matcher.evaluate(patterns));
  return all.filter((h) => subset.has(h));
}
