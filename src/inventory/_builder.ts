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
 * import { MAX_INVENTORY_HOSTS } from "@upstart/upstart";
 * assert.equal(MAX_INVENTORY_HOSTS, 1_000_000);
 * ```
 */
export const MAX_INVENTORY_HOSTS = 1_000_000;

interface Group {
  name: string;
  hosts: string[];
  hostSet: Set<string>;
  children: string[];
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

  /** Makes `child` a child group of `parent`, refusing a cycle (as Ansible does). */
  addChild(parent: string, child: string, where: Where): void {
    const p = this.#group(parent, where);
    const c = this.#group(child, where);
    if (p.children.includes(child)) return;
    if (parent === child || this.#isAncestor(child, parent)) {
      fail(
        where,
        `Adding group ${q(child)} as a child of ${q(parent)} creates a recursive dependency loop`,
      );
    }
    p.children.push(child);
    c.parents.push(parent);
  }

  /** Whether `a` is an ancestor of `b` (a parent, a parent's parent...). */
  #isAncestor(a: string, b: string): boolean {
    const seen = new Set<string>();
    const todo = [b];
    while (todo.length) {
      for (const p of this.#groups.get(todo.pop()!)!.parents) {
        if (p === a) return true;
        if (!seen.has(p)) {
          seen.add(p);
          todo.push(p);
        }
      }
    }
    return false;
  }

  /** Ansible's `reconcile_inventory`, then the finished, frozen inventory. */
  finish(format: InventoryFormat): Inventory {
    const where = { path: this.path, line: null };
    for (const g of this.#groups.values()) {
      if (g.name !== "all" && g.parents.length === 0) this.addChild("all", g.name, where);
    }
    const ungrouped = this.#groups.get("ungrouped")!;
    for (const h of this.#hosts.values()) {
      if (ungrouped.hostSet.has(h.name)) {
        if (h.groups.some((g) => g !== "all" && g !== "ungrouped")) {
          ungrouped.hostSet.delete(h.name);
          ungrouped.hosts.splice(ungrouped.hosts.indexOf(h.name), 1);
          h.groups.splice(h.groups.indexOf("ungrouped"), 1);
        }
      } else if (h.groups.every((g) => g === "all")) {
        this.#addHostToGroup(ungrouped, h);
      }
    }
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
