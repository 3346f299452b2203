/**
 * `start on` / `stop on` condition trees: conversion to and from the `aas` postfix form Upstart
 * publishes over D-Bus, and back to job-file text.
 *
 * @module
 */

import type { Condition, EventCondition, EventMatch } from "./types.ts";
import { quoteArg } from "./quote.ts";

/**
 * Makes an {@linkcode EventMatch} from an argument as Upstart stores it: split at the first
 * `!=` if there is one, else at the first `=`; no `=` at all means positional.
 *
 * @param raw The argument (`"[2345]"`, `"IFACE!=lo"`, `"JOB=foo*"`).
 * @returns The match.
 * @example Splitting arguments
 * ```ts
 * import assert from "node:assert/strict";
 * import { eventMatch } from "./condition.ts";
 * assert.ok(eventMatch("IFACE!=lo").negated);
 * assert.equal(eventMatch("[2345]").key, null);
 * ```
 */
export function eventMatch(raw: string): EventMatch {
  const ne = raw.indexOf("!=");
  if (ne >= 0) return { raw, key: raw.slice(0, ne), value: raw.slice(ne + 2), negated: true };
  const eq = raw.indexOf("=");
  if (eq >= 0) return { raw, key: raw.slice(0, eq), value: raw.slice(eq + 1), negated: false };
  return { raw, key: null, value: raw, negated: false };
}

/**
 * Converts a condition tree to the postfix `aas` form Upstart publishes as `start_on`/`stop_on`:
 * each event as `[name, ...args]`, each operator after its operands as `["/AND"]` or `["/OR"]`.
 *
 * @param tree The condition, or `null` (gives `[]`).
 * @returns The postfix list.
 * @example Publishing a condition
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJob, toUpstartConditions } from "@upstart/upstart";
 * const { config } = parseJob("start on filesystem or runlevel [2345]\n");
 * assert.equal(
 *   JSON.stringify(toUpstartConditions(config.startOn)),
 *   '[["filesystem"],["runlevel","[2345]"],["/OR"]]',
 * );
 * ```
 */
export function toUpstartConditions(tree: Condition | null): string[][] {
  const out: string[][] = [];
  // iterative post-order: trees from pathological files can be deeper than the call stack
  postOrder(tree, (n) => {
    if (n.type === "event") {
      const e = [n.name];
      for (const a of n.args) e.push(a.raw);
      out.push(e);
    } else out.push([n.type === "and" ? "/AND" : "/OR"]);
  });
  return out;
}

/**
 * Rebuilds a condition tree from Upstart's postfix `aas` form (the inverse of
 * {@linkcode toUpstartConditions}). An entry that is exactly `["/AND"]` or `["/OR"]` is read as an
 * operator, as Upstart's own form cannot tell it from an event of that name.
 *
 * @param aas The `start_on`/`stop_on` property value.
 * @returns The tree, or `null` for `[]`.
 * @throws {TypeError} If `aas` is not a well-formed postfix list of string arrays.
 * @example Reading a D-Bus property
 * ```ts
 * import assert from "node:assert/strict";
 * import { fromUpstartConditions } from "@upstart/upstart";
 * const tree = fromUpstartConditions([["a"], ["b"], ["/AND"]]);
 * assert.equal(tree?.type, "and");
 * ```
 */
export function fromUpstartConditions(aas: readonly (readonly string[])[]): Condition | null {
  if (!Array.isArray(aas)) throw new TypeError("Conditions must be an array of string arrays");
  const stack: Condition[] = [];
  for (let i = 0; i < aas.length; i++) {
    const e = aas[i];
    if (!Array.isArray(e) || e.length === 0 || !e.every((s) => typeof s === "string")) {
      throw new TypeError(`Condition entry ${i} must be a non-empty array of strings`);
    }
    if (e.length === 1 && (e[0] === "/AND" || e[0] === "/OR")) {
      if (stack.length < 2) {
        throw new TypeError(`Condition entry ${i} (${e[0]}) has fewer than two operands`);
      }
      const right = stack.pop()!, left = stack.pop()!;
      stack.push({ type: e[0] === "/AND" ? "and" : "or", left, right });
    } else {
      if (e[0] === "") throw new TypeError(`Condition entry ${i} has an empty event name`);
      stack.push({ type: "event", name: e[0], args: e.slice(1).map(eventMatch) });
    }
  }
  if (stack.length > 1) {
    throw new TypeError(`Conditions leave ${stack.length} trees: missing operator`);
  }
  return stack.length ? stack[0] : null;
}

/** Visits `tree` in post-order without recursion. */
function postOrder(tree: Condition | null, visit: (n: Condition) => void): void {
  if (!tree) return;
  const stack: [Condition, boolean][] = [[tree, false]];
  while (stack.length) {
    const top = stack.pop()!;
    const n = top[0];
    if (n.type === "event" || top[1]) {
      visit(n);
      continue;
    }
    stack.push([n, true], [n.right, false], [n.left, false]);
  }
}

function eventToString(e: EventCondition): string {
  let s = quoteArg(e.name, { operand: true });
  for (const a of e.args) s += " " + quoteArg(a.raw, { operand: true });
  return s;
}

/**
 * Renders a condition tree as a job-file expression (the text after `start on`). `and` and `or`
 * have equal precedence and group from the left in Upstart, so only a right operand that is itself
 * an `and`/`or` needs parentheses.
 *
 * @param tree The condition.
 * @returns The expression, on one line.
 * @throws {TypeError} If a name or argument cannot be written as a token (empty, newline, NUL).
 * @example Rendering with minimal parentheses
 * ```ts
 * import assert from "node:assert/strict";
 * import { conditionToString, fromUpstartConditions } from "@upstart/upstart";
 * const t = fromUpstartConditions([["a"], ["b"], ["c"], ["/AND"], ["/OR"]])!;
 * assert.equal(conditionToString(t), "a or (b and c)");
 * ```
 */
export function conditionToString(tree: Condition): string {
  if (!tree || typeof tree !== "object") throw new TypeError("Condition must be an object");
  const out: { text: string; op: boolean }[] = [];
  postOrder(tree, (n) => {
    if (n.type === "event") out.push({ text: eventToString(n), op: false });
    else if (n.type === "and" || n.type === "or") {
      const right = out.pop()!, left = out.pop()!;
      const r = right.op ? `(${right.text})` : right.text;
      out.push({ text: `${left.text} ${n.type} ${r}`, op: true });
    } else {
      throw new TypeError(
        `Unknown condition type: ${JSON.stringify((n as { type: unknown }).type)}`,
      );
    }
  });
  return out[0].text;
}
