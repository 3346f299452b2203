/**
 * The YAML-shaped inventory (Ansible's `yaml` inventory plugin), read from a
 * {@linkcode TreeNode} so that YAML and JSON files of this shape share it:
 * top-level groups, each with `hosts:` (host patterns to host variables),
 * `children:` (groups, nested to any depth) and `vars:`.
 *
 * @module
 */

import { InventoryBuilder } from "./_builder.ts";
import { fail, q, type Where } from "./errors.ts";
import { expandHostPattern } from "./ranges.ts";
import { kindName, type TreeNode } from "./_tree.ts";
import type { Inventory, InventoryFormat } from "./types.ts";

/** How deep `children:` may nest. */
const MAX_DEPTH = 500;
/** How many group and host entries a document may make us visit (aliases can multiply them). */
const MAX_VISITS = 2_000_000;

/**
 * Reads a YAML-shaped inventory as Ansible's yaml plugin does.
 *
 * @throws {InventoryError} naming the file and, for YAML, the line.
 */
export function parseStructured(root: TreeNode, path: string, format: InventoryFormat): Inventory {
  const inv = new InventoryBuilder(path);
  const at = (node: TreeNode): Where => ({ path, line: node.line });
  if (root.kind === "null" || (root.kind === "map" && root.entries().length === 0)) {
    fail(at(root), "The inventory is empty");
  }
  if (root.kind !== "map") {
    fail(
      at(root),
      `Invalid inventory structure: expected a mapping of groups, got ${kindName(root)}`,
    );
  }
  const entries = root.entries();
  if (entries.some(([k, v]) => k === "plugin" && v.kind !== "null")) {
    fail(at(root), "This is an inventory plugin configuration, not an inventory");
  }
  let visits = 0;
  const visit = (node: TreeNode) => {
    if (++visits > MAX_VISITS) {
      fail(at(node), `The inventory is too large: over ${MAX_VISITS} entries`);
    }
  };

  const groupName = (key: unknown, node: TreeNode): string => {
    if (typeof key !== "string") fail(at(node), `Invalid group name ${q(key)}: expected a string`);
    return key;
  };

  // Entries of a section (`hosts:`, `children:`, `vars:`): a mapping, null, or a lone string
  // standing for a mapping of that one key to null, as Ansible allows.
  const section = (group: string, name: string, node: TreeNode): [unknown, TreeNode][] => {
    if (node.kind === "null") return [];
    if (node.kind === "scalar" && typeof node.value() === "string") {
      return [[node.value(), {
        kind: "null",
        line: node.line,
        entries: () => [],
        value: () => null,
      }]];
    }
    if (node.kind !== "map") {
      fail(
        at(node),
        `Invalid "${name}" entry for group ${q(group)}: expected a mapping, got ${kindName(node)}`,
      );
    }
    return node.entries();
  };

  const parseGroup = (name: string, node: TreeNode, depth: number): void => {
    visit(node);
    if (depth > MAX_DEPTH) fail(at(node), `Groups nest deeper than ${MAX_DEPTH} levels`);
    inv.addGroup(name, at(node));
    if (node.kind === "null") return;
    for (const [key, value] of node.entries()) {
      if (key === "vars") {
        for (const [k, v] of section(name, "vars", value)) {
          if (typeof k !== "string") {
            fail(at(v), `Invalid variable name ${q(k)}: expected a string`);
          }
          inv.setGroupVar(name, k, v.value(), at(v));
        }
      } else if (key === "children") {
        for (const [k, v] of section(name, "children", value)) {
          const child = groupName(k, v);
          if (v.kind !== "map" && v.kind !== "null") {
            fail(at(v), `Invalid group ${q(child)}: expected a mapping, got ${kindName(v)}`);
          }
          parseGroup(child, v, depth + 1);
          inv.addChild(name, child, at(v));
        }
      } else if (key === "hosts") {
        for (const [k, v] of section(name, "hosts", value)) {
          visit(v);
          if (typeof k !== "string") {
            fail(at(v), `Invalid host pattern ${q(k)}: expected a string (quote numbers)`);
          }
          if (v.kind !== "map" && v.kind !== "null") {
            fail(
              at(v),
              `Invalid variables for host ${q(k)}: expected a mapping, got ${kindName(v)}`,
            );
          }
          const { names, port } = expandHostPattern(k, at(v));
          const vars = v.entries();
          for (const host of names) {
            inv.addHost(host, name, at(v), port);
            for (const [vk, vv] of vars) {
              if (typeof vk !== "string") {
                fail(at(vv), `Invalid variable name ${q(vk)}: expected a string`);
              }
              inv.setHostVar(host, vk, vv.value(), at(vv));
            }
          }
        }
      }
      // Ansible skips (with a warning) any other key; so do we, silently.
    }
  };

  for (const [key, node] of entries) {
    // Ansible skips a top-level entry that is no group definition (a list, a string).
    if (node.kind === "map" || node.kind === "null") parseGroup(groupName(key, node), node, 0);
  }
  return inv.finish(format);
}
