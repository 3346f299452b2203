/**
 * The one error an inventory produces: a file Ansible would reject, a host
 * this module refuses to hand to ssh, or a `--limit` pattern that matches
 * nothing.
 *
 * @module
 */

/**
 * An inventory problem: what, and where (`path:line: reason`).
 *
 * @example Catching a bad inventory
 * ```ts
 * import assert from "node:assert/strict";
 * import { InventoryError, parseInventory } from "./mod.ts";
 * await assert.rejects(
 *   parseInventory("[web]\n-oProxyCommand=x\n", { path: "hosts.ini" }),
 *   (e) => e instanceof InventoryError && e.path === "hosts.ini" && e.line === 2,
 * );
 * ```
 */
export class InventoryError extends Error {
  /** Always `"InventoryError"`. */
  override readonly name = "InventoryError";
  /** The inventory file (or the name given to the parser; `<inventory>` by default). */
  readonly path: string;
  /** The 1-based line, or `null` when the problem has none (a JSON structure, a `--limit`). */
  readonly line: number | null;
  /** The reason alone, without the place. */
  readonly reason: string;

  /**
   * Makes an error; the parsers and {@linkcode selectHosts} are the usual source of these.
   *
   * @param path The inventory file.
   * @param line The 1-based line, or `null`.
   * @param reason What is wrong.
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { InventoryError } from "./mod.ts";
   * assert.equal(new InventoryError("hosts", 3, "Bad range").message, "hosts:3: Bad range");
   * ```
   */
  constructor(path: string, line: number | null, reason: string) {
    super(line === null ? `${path}: ${reason}` : `${path}:${line}: ${reason}`);
    this.path = path;
    this.line = line;
    this.reason = reason;
  }
}

/** Where a definition came from, for errors. */
export interface Where {
  /** The inventory file. */
  readonly path: string;
  /** The 1-based line, or `null`. */
  readonly line: number | null;
}

/**
 * Throws an {@linkcode InventoryError} at `where`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fail, InventoryError } from "./errors.ts";
 * assert.throws(() => fail({ path: "hosts", line: 2 }, "Bad"), InventoryError);
 * ```
 */
export function fail(where: Where, reason: string): never {
  throw new InventoryError(where.path, where.line, reason);
}

/**
 * Quotes a value for a message, control characters escaped (it may reach a terminal).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { q } from "./errors.ts";
 * assert.equal(q("a\x1bb"), '"a\\u001bb"');
 * ```
 */
export function q(value: unknown): string {
  return JSON.stringify(String(value));
}
