/**
 * Ansible's in-memory inventory (`InventoryData`), which every format's
 * parser fills: groups and hosts in insertion order, `all` and `ungrouped`
 * built in, child groups without cycles, and the final reconciliation
 * (parentless groups under `all`, groupless hosts under `ungrouped`).
 *
 * @module
 */

import { checkVariable, nameProblem } from "./connection.ts";
import { fail, q, type Where } from "./errors.ts";
import type { Inventory, InventoryFormat, InventoryGroup, InventoryHostEntry } from "./types.ts";

/**
 * The most hosts one inventory may hold, however they are written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_INVENTORY_HOSTS } from "./mod.ts";
 * assert.equal(MAX_INVENTORY_HOSTS, 1_000_000);
 * ```
 */
export const MAX_INVENTORY_HOSTS = 1_000_000;

/** How deep child groups may nest (Ansible has no bound; a deeper one is surely an error). */
const MAX_GROUP_DEPTH = 1000;

interface Group {
  name: string;
  hosts: string[];
  hostSet: Set<string>;
  children: string[];
  /** Each child, with where it was made one. */
  childSet: Map<string, Where>;
  parents: string[];
  vars: Record<string, unknown>;
  priority: number;
}

interface Host {
  name: string;
  groups: string[];
  vars: Record<string, unknown>;
}

/** Fills an inventory as the parsers read it. */
export class InventoryBuilder {
  readonly path: string;
  readonly #groups = new Map<string, Group>();
  readonly #hosts = new Map<string, Host>();

  constructor(path: string) {
    this.path = path;
    this.addGroup("all", { path, line: null });
    this.addGroup("ungrouped", { path, line: null });
    this.addChild("all", "ungrouped", { path, line: null });
  }

  hasGroup(name: string): boolean {
    return this.#groups.has(name);
  }

  addGroup(name: string, where: Where): void {
    if (this.#groups.has(name)) return;
    const problem = nameProblem("group", name);
    if (problem) fail(where, `Invalid group name ${q(name)}: ${problem}`);
    this.#groups.set(name, {
      name,
      hosts: [],
      hostSet: new Set(),
      children: [],
      childSet: new Map(),
      parents: [],
      vars: {},
      priority: 1,
    });
  }

  /** Adds a host (to `group` when given); `port` applies only to a new host, as in Ansible. */
  addHost(name: string, group: string | null, where: Where, port: number | null = null): void {
    let host = this.#hosts.get(name);
    if (!host) {
      const problem = nameProblem("host", name);
      if (problem) fail(where, `Invalid host name ${q(name)}: ${problem}`);
      if (this.#hosts.size >= MAX_INVENTORY_HOSTS) {
        fail(where, `Too many hosts: at most ${MAX_INVENTORY_HOSTS} are allowed`);
      }
      host = { name, groups: [], vars: {} };
      this.#hosts.set(name, host);
      if (port !== null) host.vars.ansible_port = port;
    }
    if (group !== null) this.#addHostToGroup(this.#group(group, where), host);
  }

  #addHostToGroup(g: Group, host: Host): void {
    if (g.hostSet.has(host.name)) return;
    g.hostSet.add(host.name);
    g.hosts.push(host.name);
    host.groups.push(g.name);
  }

  #group(name: string, where: Where): Group {
    const g = this.#groups.get(name);
    if (!g) fail(where, `Unknown group ${q(name)}`);
    return g;
  }

  setGroupVar(group: string, key: string, value: unknown, where: Where): void {
    checkVariable(key, value, where);
    const g = this.#group(group, where);
    // As Ansible: the priority is the group's, not a variable.
    if (key === "ansible_group_priority") {
      const n = typeof value === "string" && /^\s*[+-]?[0-9]+\s*$/.test(value)
        ? Number(value)
        : value;
      if (typeof n !== "number" || !Number.isInteger(n)) {
        fail(where, `Invalid ansible_group_priority ${q(value)}: expected an integer`);
      }
      g.priority = n;
    } else g.vars[key] = value;
  }

  setHostVar(host: string, key: string, value: unknown, where: Where): void {
    checkVariable(key, value, where);
    const h = this.#hosts.get(host);
    if (!h) fail(where, `Unknown host ${q(host)}`);
    h.vars[key] = value;
  }

  /**
   * Makes `child` a child group of `parent`. A cycle, which Ansible refuses as it is made, is
   * found once at the end ({@linkcode finish}): checking each edge as it comes would cost the
   * square of the groups on a long chain.
   */
  addChild(parent: string, child: string, where: Where): void {
    const p = this.#group(parent, where);
    const c = this.#group(child, where);
    if (p.childSet.has(child)) return;
    if (parent === child) fail(where, `Group ${q(child)} cannot be a child of itself`);
    p.childSet.set(child, where);
    p.children.push(child);
    c.parents.push(parent);
  }

  /** Refuses a cycle among child groups, naming it and where its last link was made. */
  #checkCycles(): void {
    // Kahn's algorithm: what it cannot order lies on or below a cycle.
    const parents = new Map<string, number>();
    for (const g of this.#groups.values()) parents.set(g.name, g.parents.length);
    const ready = [...this.#groups.keys()].filter((g) => parents.get(g) === 0);
    let ordered = 0;
    const depth = new Map<string, number>();
    while (ready.length) {
      const g = this.#groups.get(ready.pop()!)!;
      ordered++;
      for (const c of g.children) {
        depth.set(c, Math.max(depth.get(c) ?? 0, (depth.get(g.name) ?? 0) + 1));
        if (depth.get(c)! > MAX_GROUP_DEPTH) {
          fail(g.childSet.get(c)!, `Groups nest deeper than ${MAX_GROUP_DEPTH} levels`);
        }
        parents.set(c, parents.get(c)! - 1);
        if (parents.get(c) === 0) ready.push(c);
      }
    }
    if (ordered === this.#groups.size) return;
    // Walk up from a group left over through parents left over until one repeats.
    const left = (g: string) => parents.get(g)! > 0;
    let g = [...this.#groups.keys()].find(left)!;
    const path: string[] = [];
    const at = new Map<string, number>();
    while (!at.has(g)) {
      at.set(g, path.length);
      path.push(g);
      g = this.#groups.get(g)!.parents.find(left)!;
    }
    const cycle = path.slice(at.get(g)!).reverse(); // parent before child
    const links = cycle.map((p, i) => ({
      parent: p,
      child: cycle[(i + 1) % cycle.length],
      where: this.#groups.get(p)!.childSet.get(cycle[(i + 1) % cycle.length])!,
    }));
    const last = links.reduce((a, b) => ((b.where.line ?? 0) > (a.where.line ?? 0) ? b : a));
    fail(
      last.where,
      `Adding group ${q(last.child)} as a child of ${q(last.parent)} creates a recursive ` +
        `dependency loop: ${[...cycle, cycle[0]].join(" > ")}`,
    );
  }

  /** Ansible's `reconcile_inventory`, then the finished, frozen inventory. */
  finish(format: InventoryFormat): Inventory {
    this.#checkCycles();
    const where = { path: this.path, line: null };
    for (const g of this.#groups.values()) {
      if (g.name !== "all" && g.parents.length === 0) this.addChild("all", g.name, where);
    }
    const ungrouped = this.#groups.get("ungrouped")!;
    for (const h of this.#hosts.values()) {
      if (ungrouped.hostSet.has(h.name)) {
        if (h.groups.some((g) => g !== "all" && g !== "ungrouped")) {
          ungrouped.hostSet.delete(h.name);
          h.groups.splice(h.groups.indexOf("ungrouped"), 1);
        }
      } else if (h.groups.every((g) => g === "all")) {
        this.#addHostToGroup(ungrouped, h);
      }
    }
    ungrouped.hosts = ungrouped.hosts.filter((h) => ungrouped.hostSet.has(h));
    const groups = new Map<string, InventoryGroup>();
    for (const g of this.#groups.values()) {
      groups.set(
        g.name,
        Object.freeze({
          name: g.name,
          hosts: Object.freeze(g.hosts),
          children: Object.freeze(g.children),
          vars: Object.freeze(g.vars),
          priority: g.priority,
        }),
      );
    }
    const hosts = new Map<string, InventoryHostEntry>();
    for (const h of this.#hosts.values()) {
      hosts.set(
        h.name,
        Object.freeze({
          name: h.name,
          groups: Object.freeze(h.groups),
          vars: Object.freeze(h.vars),
        }),
      );
    }
    return Object.freeze({ path: this.path, format, groups, hosts });
  }
}
