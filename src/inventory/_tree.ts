/**
 * A parsed document as the YAML-shaped inventory reader walks it, whatever it
 * was read from: a YAML document (with lines, anchors and merge keys resolved)
 * or a plain JSON value (without lines).
 *
 * @module
 */

/** One node of a parsed document. */
export interface TreeNode {
  /** `map` for a mapping, `null` for an empty value, `scalar`/`seq` otherwise. */
  readonly kind: "map" | "seq" | "scalar" | "null";
  /** The 1-based line the node starts on, when known. */
  readonly line: number | null;
  /** A mapping's entries in order, keys as plain values (only for `map`). */
  entries(): [unknown, TreeNode][];
  /** The node as a plain value. */
  value(): unknown;
}

/** A tree over a plain value (from `JSON.parse`): no line numbers. */
export function plainTree(value: unknown): TreeNode {
  const kind = value === null || value === undefined
    ? "null"
    : Array.isArray(value)
    ? "seq"
    : typeof value === "object"
    ? "map"
    : "scalar";
  return {
    kind,
    line: null,
    entries: () =>
      kind === "map"
        ? Object.entries(value as Record<string, unknown>).map(([k, v]) =>
          [k, plainTree(v)] as [
            unknown,
            TreeNode,
          ]
        )
        : [],
    value: () => value,
  };
}

/** A short name of a node's kind, for messages. */
export function kindName(node: TreeNode): string {
  if (node.kind !== "scalar") {
    return node.kind === "map" ? "a mapping" : node.kind === "seq" ? "a list" : "null";
  }
  const v = node.value();
  return typeof v === "string" ? "a string" : `a ${typeof v}`;
}
