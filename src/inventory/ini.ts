/**
 * Ansible's INI inventory format (its `ini` inventory plugin): `[group]`
 * sections of host lines with inline `key=value` variables, `[group:children]`,
 * `[group:vars]`, `#` and `;` comments, and hosts before any section in
 * `ungrouped`. Values are read as Python literals, as Ansible does
 * (`port=22` is a number, `x='a b'` a string).
 *
 * @module
 */

import { InventoryBuilder } from "./_builder.ts";
import { fail, q, type Where } from "./errors.ts";
import { expandHostPattern } from "./ranges.ts";
import { pyLiteral } from "./_pyliteral.ts";
import { shlexSplit } from "./_shlex.ts";
import type { Inventory } from "./types.ts";

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/s;
const GROUP_NAME = /^([^:\]\s]+)\s*(?:#.*)?$/s;

interface Pending {
  line: number;
  state: "vars" | "children";
  parents: string[];
}

/**
 * Parses an INI inventory as Ansible does.
 *
 * @param text The file's text.
 * @param path The file name, for errors.
 * @returns The inventory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIni } from "./ini.ts";
 * const inv = parseIni("[web]\nweb1 ansible_port=2222\n", "hosts");
 * assert.deepEqual(inv.hosts.get("web1")?.vars, { ansible_port: 2222 });
 * ```
 * @throws {InventoryError} naming the file and line.
 */
export function parseIni(text: string, path: string): Inventory {
  const inv = new InventoryBuilder(path);
  // Ansible declares a group by `[g]` or `[g:children]`; `[g:vars]` and a child named in
  // `[p:children]` wait for that declaration, and are errors if it never comes.
  const pending = new Map<string, Pending>();
  let group = "ungrouped";
  let state = "hosts";
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const where: Where = { path, line: i + 1 };
    const line = lines[i].trim();
    if (!line || line[0] === "#" || line[0] === ";") continue;
    const section = SECTION.exec(line);
    if (section) {
      group = section[1];
      state = section[2] ?? "hosts";
      if (!["hosts", "children", "vars"].includes(state)) {
        fail(where, `Section [${group}:${state}] has unknown type: ${state}`);
      }
      if (!inv.hasGroup(group)) {
        if (state === "vars" && !pending.has(group)) {
          pending.set(group, { line: i + 1, state: "vars", parents: [] });
        }
        inv.addGroup(group, where);
      }
      const decl = pending.get(group);
      if (decl && state !== "vars") {
        if (decl.state === "children") addPendingChildren(inv, group, pending, where);
        else pending.delete(group);
      }
      continue;
    }
    if (line.startsWith("[") && line.endsWith("]")) {
      fail(
        where,
        `Invalid section entry: ${q(line)}. Please make sure that there are no spaces in the ` +
          "section entry, and that there are no other invalid characters",
      );
    }
    if (state === "hosts") hostLine(inv, line, group, where);
    else if (state === "vars") {
      const eq = line.indexOf("=");
      if (eq < 0) fail(where, `Expected key=value, got: ${q(line)}`);
      const key = line.slice(0, eq).trim();
      // Unlike a host line, the value is taken whole (a `#` in it stays), as Ansible does.
      inv.setGroupVar(group, key, pyLiteral(line.slice(eq + 1).trim()), where);
    } else {
      const m = GROUP_NAME.exec(line);
      if (!m) fail(where, `Expected group name, got: ${q(line)}`);
      const child = m[1];
      if (inv.hasGroup(child)) inv.addChild(group, child, where);
      else {
        const decl = pending.get(child);
        if (decl) decl.parents.push(group);
        else pending.set(child, { line: i + 1, state: "children", parents: [group] });
      }
    }
  }
  for (const [name, decl] of pending) {
    const where = { path, line: decl.line };
    if (decl.state === "vars") {
      fail(where, `Section [${name}:vars] not valid for undefined group: ${name}`);
    }
    fail(where, `Section [${decl.parents.at(-1)}:children] includes undefined group: ${name}`);
  }
  return inv.finish("ini");
}

function addPendingChildren(
  inv: InventoryBuilder,
  group: string,
  pending: Map<string, Pending>,
  where: Where,
): void {
  for (const parent of pending.get(group)!.parents) {
    inv.addChild(parent, group, where);
    const up = pending.get(parent);
    if (up && up.state === "children") addPendingChildren(inv, parent, pending, where);
  }
  pending.delete(group);
}

function hostLine(inv: InventoryBuilder, line: string, group: string, where: Where): void {
  let tokens: string[];
  try {
    tokens = shlexSplit(line, true);
  } catch (e) {
    fail(where, `Error parsing host definition ${q(line)}: ${(e as Error).message}`);
  }
  if (tokens.length === 0) return;
  const { names, port } = expandHostPattern(tokens[0], where);
  if (names.some((n) => n.trim() === "---")) {
    fail(
      where,
      `Invalid host pattern ${q(tokens[0])}: "---" is normally a sign this is a YAML file`,
    );
  }
  const vars: [string, unknown][] = [];
  for (const t of tokens.slice(1)) {
    const eq = t.indexOf("=");
    if (eq < 0) fail(where, `Expected key=value host variable assignment, got: ${q(t)}`);
    vars.push([t.slice(0, eq), pyLiteral(t.slice(eq + 1))]);
  }
  for (const name of names) {
    inv.addHost(name, group, where, port);
    for (const [k, v] of vars) inv.setHostVar(name, k, v, where);
  }
}
