/**
 * JSON inventories: what `ansible-inventory --list` (and any dynamic
 * inventory script) prints, `{"_meta": {"hostvars": {...}}, "all":
 * {"children": [...]}, "web": {"hosts": [...], "vars": {...}}}`, read as
 * Ansible's `script` inventory plugin reads it; or a JSON file in the YAML
 * inventory's shape (`hosts` as a mapping), read as Ansible's `yaml` plugin
 * reads it.
 *
 * @module
 */

import { InventoryBuilder } from "./_builder.ts";
import { fail, q } from "./errors.ts";
import { parseStructured } from "./_structured.ts";
import { plainTree } from "./_tree.ts";
import { jsonSyntaxError } from "./_json_syntax.ts";
import type { Inventory } from "./types.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses a JSON inventory as Ansible does.
 *
 * @param text The file's text.
 * @param path The file name, for errors.
 * @returns The inventory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJson } from "./json.ts";
 * const inv = parseJson('{"web": {"hosts": ["w1"]}, "_meta": {"hostvars": {"w1": {"x": 1}}}}', "inv.json");
 * assert.deepEqual(inv.hosts.get("w1")?.vars, { x: 1 });
 * ```
 * @throws {InventoryError} naming the file (and, for a syntax error, the line).
 */
export function parseJson(text: string, path: string): Inventory {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    const at = jsonSyntaxError(text) ?? { offset: 0, reason: "not valid JSON" };
    const line = text.slice(0, at.offset).split("\n").length;
    fail({ path, line }, `Invalid JSON: ${at.reason}`);
  }
  if (!isObject(data)) {
    fail({ path, line: null }, "Invalid inventory: expected a JSON object of groups");
  }
  return isListShape(data) ? parseList(data, path) : parseStructured(plainTree(data), path, "json");
}

/** Whether a JSON object is `ansible-inventory --list` output rather than the YAML shape. */
function isListShape(data: Record<string, unknown>): boolean {
  if ("_meta" in data) return true;
  return Object.values(data).some((g) =>
    Array.isArray(g) || (isObject(g) && (Array.isArray(g.hosts) || Array.isArray(g.children)))
  );
}

function parseList(data: Record<string, unknown>, path: string): Inventory {
  const inv = new InventoryBuilder(path);
  const where = { path, line: null };
  const bad = (at: string, why: string): never => fail(where, `Invalid ${at}: ${why}`);
  const meta = data._meta;
  if (meta !== undefined && !isObject(meta)) bad('"_meta"', "expected an object");
  const hostvars = (meta as Record<string, unknown> | undefined)?.hostvars ?? {};
  if (!isObject(hostvars)) bad('"_meta.hostvars"', "expected an object");
  const listed = new Set<string>();
  for (const [name, raw] of Object.entries(data)) {
    if (name === "_meta") continue;
    // As the script plugin: a list is the hosts; an object with none of hosts/vars/children
    // is a single host of the group's name with those variables.
    const group = !isObject(raw)
      ? { hosts: raw }
      : !("hosts" in raw || "vars" in raw || "children" in raw)
      ? { hosts: [name], vars: raw }
      : raw;
    inv.addGroup(name, where);
    if (group.hosts !== undefined && group.hosts !== null) {
      if (!Array.isArray(group.hosts)) bad(`hosts of group ${q(name)}`, "expected a list");
      for (const host of group.hosts as unknown[]) {
        if (typeof host !== "string") {
          bad(`host ${q(host)} in group ${q(name)}`, "expected a string");
        }
        inv.addHost(host as string, name, where);
        listed.add(host as string);
      }
    }
    if (group.vars !== undefined && group.vars !== null) {
      if (!isObject(group.vars)) bad(`vars of group ${q(name)}`, "expected an object");
      for (const [k, v] of Object.entries(group.vars as Record<string, unknown>)) {
        inv.setGroupVar(name, k, v, { path, line: null });
      }
    }
    if (isObject(raw) && raw.children !== undefined && raw.children !== null) {
      if (!Array.isArray(raw.children)) bad(`children of group ${q(name)}`, "expected a list");
      for (const child of raw.children as unknown[]) {
        if (typeof child !== "string") {
          bad(`child ${q(child)} of group ${q(name)}`, "expected a string");
        }
        inv.addGroup(child as string, where);
        inv.addChild(name, child as string, where);
      }
    }
  }
  for (const [host, vars] of Object.entries(hostvars as Record<string, unknown>)) {
    // As Ansible: variables of a host that no group lists are ignored.
    if (!listed.has(host)) continue;
    if (!isObject(vars)) bad(`hostvars of ${q(host)}`, "expected an object");
    for (const [k, v] of Object.entries(vars as Record<string, unknown>)) {
      inv.setHostVar(host, k, v, where);
    }
  }
  return inv.finish("json");
}
