/**
 * YAML inventories (Ansible's `yaml` inventory plugin): `all:` with `hosts:`,
 * `children:` and `vars:`, nested to any depth. The `yaml` package is loaded
 * only when a YAML inventory is read, so nothing else pays for it.
 *
 * It reads YAML as PyYAML (which Ansible uses) does: YAML 1.1 (`yes`/`no`,
 * `on`/`off` are booleans; `y` and `n` stay strings), `<<` merge keys and
 * anchors. Duplicate keys, which Ansible only warns about, are refused.
 *
 * @module
 */

import { fail, InventoryError } from "./errors.ts";
import { parseStructured } from "./_structured.ts";
import type { TreeNode } from "./_tree.ts";
import type { Inventory } from "./types.ts";
import type { ScalarTag } from "yaml";

type Yaml = typeof import("yaml");
type YamlDocument = ReturnType<Yaml["parseDocument"]>;

let loaded: Promise<Yaml> | undefined;

/** The most aliases one value may expand (the `yaml` package's guard against alias bombs). */
const MAX_ALIAS_COUNT = 1000;
/**
 * Nodes the inventory walk may visit, aliases followed included: this many, or 20 times the
 * document's own nodes when that is more (a large real inventory walks each node a few times;
 * an alias bomb, a few dozen nodes, walks millions).
 */
const MIN_WALK_BUDGET = 200_000;

/**
 * Parses a YAML inventory as Ansible does.
 *
 * @param text The file's text.
 * @param path The file name, for errors.
 * @returns The inventory.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseYaml } from "./yaml.ts";
 * const inv = await parseYaml("all:\n  hosts:\n    web1:\n      ansible_become: yes\n", "hosts.yml");
 * assert.deepEqual(inv.hosts.get("web1")?.vars, { ansible_become: true });
 * ```
 * @throws {InventoryError} naming the file and line.
 */
export async function parseYaml(text: string, path: string): Promise<Inventory> {
  // A failed load (no --allow-env) is not cached: the error passes through unchanged.
  const yaml = await (loaded ??= import("yaml").catch((e) => {
    loaded = undefined;
    throw e;
  }));
  const lines = new yaml.LineCounter();
  try {
    return parseWith(yaml, lines, text, path);
  } catch (e) {
    // Ours, and a permission error (the package reads the environment), pass through.
    if (e instanceof InventoryError || e instanceof Deno.errors.NotCapable) throw e;
    // What the yaml package throws rather than reports (a stack overflow on absurd nesting).
    throw new InventoryError(path, null, `Invalid YAML: ${(e as Error).message}`);
  }
}

function parseWith(
  yaml: Yaml,
  lines: InstanceType<Yaml["LineCounter"]>,
  text: string,
  path: string,
) {
  const doc = yaml.parseDocument(text, {
    version: "1.1",
    merge: true,
    lineCounter: lines,
    prettyErrors: false,
    // PyYAML's booleans: YAML 1.1's without the single letters y/Y/n/N.
    customTags: (tags) =>
      tags.map((t) =>
        typeof t === "object" && t.tag === "tag:yaml.org,2002:bool" && t.test instanceof RegExp
          ? {
            ...(t as ScalarTag),
            test: new RegExp(t.test.source.replace(/^\^\(\?:[YN]\|[yn]\|/, "^(?:")),
          }
          : t
      ),
  });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? null : lines.linePos(offset).line;
  const error = doc.errors[0];
  if (error) fail({ path, line: lineOf(error.pos[0]) }, `Invalid YAML: ${error.message}`);
  let nodes = 0;
  yaml.visit(doc, () => void nodes++);
  const budget = Math.max(MIN_WALK_BUDGET, nodes * 20);
  const cx = { yaml, doc, lineOf, path, walked: { nodes: 0, budget } };
  return parseStructured(tree(cx, doc.contents), path, "yaml");
}

interface Context {
  readonly yaml: Yaml;
  readonly doc: YamlDocument;
  readonly lineOf: (offset: number | undefined) => number | null;
  readonly path: string;
  /** Nodes walked so far (an alias walks its target again each time it is used), and the most. */
  readonly walked: { nodes: number; readonly budget: number };
}

function lineOf(cx: Context, node: unknown): number | null {
  return cx.lineOf((node as { range?: [number, number, number] } | null)?.range?.[0]);
}

function tree(cx: Context, node: unknown, seen: ReadonlySet<unknown> = new Set()): TreeNode {
  const { yaml, doc } = cx;
  // A few nested aliases, each naming the one before twice, make an exponential walk (a 1 KB
  // "billion laughs"): the walk, not only toJS, has a budget, in nodes, far above what a real
  // inventory walks (one shared anchor per host is fine).
  if (++cx.walked.nodes > cx.walked.budget) {
    fail(
      { path: cx.path, line: lineOf(cx, node) },
      `Too many aliases followed (over ${cx.walked.budget} nodes walked): an alias bomb?`,
    );
  }
  const target = yaml.isAlias(node) ? node.resolve(doc) : node;
  // An alias's line is where it is used: what an error there is about.
  const line = lineOf(cx, node) ?? lineOf(cx, target);
  // An alias inside the very node it names: PyYAML builds a cyclic value that Ansible would
  // walk without end.
  if (seen.has(target)) fail({ path: cx.path, line: lineOf(cx, node) }, "Recursive alias");
  const inner = new Set(seen).add(target);
  const kind = yaml.isMap(target)
    ? "map"
    : yaml.isSeq(target)
    ? "seq"
    : target === null || target === undefined || (yaml.isScalar(target) && target.value === null)
    ? "null"
    : "scalar";
  return {
    kind,
    line,
    value: () => {
      if (!yaml.isNode(target)) return null;
      try {
        return target.toJS(doc, { maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        // The package's guard against alias bombs ("Excessive alias count ...").
        return fail({ path: cx.path, line }, `Invalid YAML value: ${(e as Error).message}`);
      }
    },
    entries: () => (yaml.isMap(target) ? mapEntries(cx, target, inner) : []),
  };
}

function mapEntries(
  cx: Context,
  map: { items: { key: unknown; value: unknown }[] },
  seen: ReadonlySet<unknown>,
): [unknown, TreeNode][] {
  const { yaml, doc } = cx;
  // PyYAML's merge: the merged mappings' pairs come first (the first source winning among
  // them), the explicit pairs last; a repeated key keeps its first place and its last value.
  const merged: [unknown, TreeNode][] = [];
  const explicit: [unknown, TreeNode][] = [];
  for (const pair of map.items) {
    const key = yaml.isScalar(pair.key) ? pair.key.value : pair.key;
    if (typeof key === "symbol") {
      const value = yaml.isAlias(pair.value) ? pair.value.resolve(doc) : pair.value;
      const sources: unknown[] = yaml.isSeq(value) ? value.items : [value];
      for (const source of sources.toReversed()) {
        const t = tree(cx, source, seen);
        if (t.kind !== "map") {
          fail({ path: cx.path, line: t.line }, "Invalid merge: expected a mapping");
        }
        merged.push(...t.entries());
      }
      continue;
    }
    if (key !== null && typeof key === "object") {
      fail(
        { path: cx.path, line: lineOf(cx, pair.key) },
        "Invalid key: a mapping or list cannot be a key",
      );
    }
    explicit.push([key, tree(cx, pair.value, seen)]);
  }
  if (merged.length === 0) return explicit;
  const out = new Map<unknown, TreeNode>();
  for (const [k, v] of [...merged, ...explicit]) out.set(k, v);
  return [...out];
}
