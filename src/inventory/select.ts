/**
 * Selecting hosts for a fleet run: the hosts a `--limit` picks, each with its
 * variables merged as Ansible merges them and turned into ssh options.
 *
 * @module
 */

import { sshTarget } from "./connection.ts";
import { matchLimit } from "./limit.ts";
import type { Inventory, InventoryHost } from "./types.ts";

/** What every host's merge needs, computed once per inventory. */
interface Graph {
  /** Each group's depth: the longest path from `all` (Ansible's `Group.depth`). */
  readonly depth: ReadonlyMap<string, number>;
  /** Each group's parents. */
  readonly parents: ReadonlyMap<string, readonly string[]>;
  /** By a host's direct groups (joined by NUL): all its groups, `all` included. */
  readonly groupsOf: Map<string, string[]>;
  /** By a host's direct groups: its groups' variables, merged. */
  readonly varsOf: Map<string, Record<string, unknown>>;
}

const graphs = new WeakMap<Inventory, Graph>();

function graph(inv: Inventory): Graph {
  let g = graphs.get(inv);
  if (!g) {
    const parents = new Map<string, string[]>();
    for (const p of inv.groups.values()) {
      for (const c of p.children) {
        const list = parents.get(c);
        if (list) list.push(p.name);
        else parents.set(c, [p.name]);
      }
    }
    g = { depth: groupDepths(inv), parents, groupsOf: new Map(), varsOf: new Map() };
    graphs.set(inv, g);
  }
  return g;
}

function groupDepths(inv: Inventory): Map<string, number> {
  // Longest paths in a DAG (cycles are refused when the inventory is read): Kahn's order.
  const depth = new Map([...inv.groups.keys()].map((g) => [g, 0]));
  const parents = new Map<string, number>([...inv.groups.keys()].map((g) => [g, 0]));
  for (const g of inv.groups.values()) {
    for (const c of g.children) parents.set(c, parents.get(c)! + 1);
  }
  const ready = [...inv.groups.keys()].filter((g) => parents.get(g) === 0);
  while (ready.length) {
    const g = ready.pop()!;
    for (const c of inv.groups.get(g)!.children) {
      depth.set(c, Math.max(depth.get(c)!, depth.get(g)! + 1));
      parents.set(c, parents.get(c)! - 1);
      if (parents.get(c) === 0) ready.push(c);
    }
  }
  return depth;
}

/** Every group a host belongs to, `all` included: its own and all their ancestors. */
function hostGroups(inv: Inventory, name: string): string[] {
  const { parents, groupsOf } = graph(inv);
  const direct = inv.hosts.get(name)!.groups;
  const key = direct.join("\0");
  let groups = groupsOf.get(key);
  if (!groups) {
    const seen = new Set<string>(direct);
    const todo = [...seen];
    while (todo.length) {
      for (const p of parents.get(todo.pop()!) ?? []) {
        if (!seen.has(p)) {
          seen.add(p);
          todo.push(p);
        }
      }
    }
    seen.add("all");
    groups = [...seen];
    groupsOf.set(key, groups);
  }
  return groups;
}

/** The merged variables of a host's groups (the same for every host of the same groups). */
function groupVars(inv: Inventory, name: string): Record<string, unknown> {
  const { depth, varsOf } = graph(inv);
  const key = inv.hosts.get(name)!.groups.join("\0");
  let vars = varsOf.get(key);
  if (!vars) {
    const groups = hostGroups(inv, name).map((g) => inv.groups.get(g)!);
    groups.sort((a, b) =>
      depth.get(a.name)! - depth.get(b.name)! || a.priority - b.priority ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    );
    vars = {};
    for (const g of groups) Object.assign(vars, g.vars);
    varsOf.set(key, vars);
  }
  return vars;
}

/**
 * A host's variables as Ansible merges them: `all`, then its other groups from
 * the shallowest to the deepest (ties by `ansible_group_priority`, then by
 * name), then the host's own; a later one replaces an earlier one's value.
 *
 * @param inventory The inventory.
 * @param name The inventory host name.
 * @returns The merged variables.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostVars, parseInventory } from "./mod.ts";
 * const inv = await parseInventory("[web]\nw1 x=host\n[web:vars]\nx=group\ny=group\n");
 * assert.deepEqual(hostVars(inv, "w1"), { x: "host", y: "group" });
 * ```
 */
export function hostVars(inventory: Inventory, name: string): Record<string, unknown> {
  const host = inventory.hosts.get(name);
  if (!host) throw new RangeError(`Unknown host ${JSON.stringify(name)}`);
  const vars = { ...groupVars(inventory, name) };
  return Object.assign(vars, host.vars);
}

/**
 * The hosts a limit selects (every host without one), in inventory order, each
 * once, with what ssh needs to reach it: `host`, `sshArgs` and `sudo` are the
 * `RemoteOptions` of `System.connect()`.
 *
 * @param inventory The inventory ({@linkcode readInventory}, {@linkcode parseInventory}).
 * @param limit Ansible host patterns, as `--limit` takes them (`web:&prod:!web3`).
 * @returns The selected hosts (possibly none, when patterns exclude one another).
 * @throws {InventoryError} for a pattern that matches nothing, as Ansible's "Could not
 *   match supplied host pattern".
 * @example Select, then connect to each
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInventory, selectHosts } from "./mod.ts";
 * const inv = await parseInventory(
 *   "[web]\nweb1 ansible_host=10.0.0.1 ansible_port=2222\nweb2\n[web:vars]\nansible_user=deploy\nansible_become=yes\n",
 * );
 * const [web1] = selectHosts(inv, "web:!web2");
 * assert.equal(web1.host, "deploy@10.0.0.1");
 * assert.deepEqual(web1.sshArgs, ["-p", "2222"]);
 * assert.equal(web1.sudo, true);
 * // await System.connect({ host: web1.host, sshArgs: web1.sshArgs, sudo: web1.sudo });
 * ```
 */
export function selectHosts(
  inventory: Inventory,
  limit?: string | readonly string[],
): InventoryHost[] {
  return matchLimit(inventory, limit).map((name) => {
    const vars = hostVars(inventory, name);
    const target = sshTarget(name, vars);
    return Object.freeze({
      name,
      host: target.host,
      sshArgs: Object.freeze([...target.sshArgs]),
      sudo: target.sudo,
      groups: Object.freeze(hostGroups(inventory, name).filter((g) => g !== "all").sort()),
      vars: Object.freeze(vars),
    });
  });
}
