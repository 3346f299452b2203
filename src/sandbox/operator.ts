/**
 * `start on`/`stop on` conditions at run time (Upstart's `EventOperator`,
 * `init/event_operator.c`): each event node remembers the event that matched it and holds that
 * event up until the condition is reset.
 *
 * @module
 */

import type { Condition, EventMatch } from "../jobfile/mod.ts";
import { envExpand, envIndex } from "./environ.ts";
import type { SandboxEvent } from "./events.ts";
import { fnmatch } from "../fnmatch.ts";

/** A node of a live condition. */
export type Operator =
  | {
    readonly type: "and" | "or";
    readonly left: Operator;
    readonly right: Operator;
    value: boolean;
  }
  | {
    readonly type: "match";
    readonly name: string;
    readonly args: readonly EventMatch[];
    value: boolean;
    event: SandboxEvent | null;
  };

/** Holds up and releases events (the engine's `event_block`/`event_unblock`). */
export interface EventRefs {
  /** One more holder. */
  block(event: SandboxEvent): void;
  /** One holder fewer. */
  unblock(event: SandboxEvent): void;
}

/** A fresh live copy of a parsed condition. */
export function operatorFrom(c: Condition): Operator {
  if (c.type === "event") {
    return { type: "match", name: c.name, args: c.args, value: false, event: null };
  }
  return { type: c.type, left: operatorFrom(c.left), right: operatorFrom(c.right), value: false };
}

function update(op: Operator): void {
  if (op.type === "and") op.value = op.left.value && op.right.value;
  else if (op.type === "or") op.value = op.left.value || op.right.value;
}

function* postOrder(op: Operator): Generator<Operator> {
  if (op.type !== "match") {
    yield* postOrder(op.left);
    yield* postOrder(op.right);
  }
  yield op;
}

/** Whether one event node matches `event`; `$VAR` in values expand against `env`. */
export function matches(
  op: Extract<Operator, { type: "match" }>,
  event: SandboxEvent,
  env: readonly string[] | null,
): boolean {
  if (op.name !== event.name) return false;
  // Positional arguments walk the event's environment in order; a KEY=VALUE argument jumps to
  // that key, and later positional ones continue after it (as Upstart's pointer walk does).
  let e = 0;
  for (const arg of op.args) {
    if (arg.key !== null) e = envIndex(event.env, arg.key);
    if (e < 0 || e >= event.env.length) return false;
    const entry = event.env[e];
    const value = entry.slice(entry.indexOf("=") + 1);
    let pattern: string;
    try {
      pattern = envExpand(arg.value, env ?? []);
    } catch {
      return false;
    }
    if (fnmatch(pattern, value) === arg.negated) return false;
    e++;
  }
  return true;
}

/**
 * Feeds an event to a condition (`event_operator_handle`): newly matching nodes become true and
 * hold the event up. Returns whether any node matched.
 */
export function handle(
  root: Operator,
  event: SandboxEvent,
  env: readonly string[] | null,
  refs: EventRefs,
): boolean {
  let matched = false;
  for (const op of postOrder(root)) {
    if (op.type !== "match") update(op);
    else if (!op.value && matches(op, event, env)) {
      op.value = true;
      op.event = event;
      refs.block(event);
      matched = true;
    }
  }
  return matched;
}

/** Clears a condition, releasing the events it held (`event_operator_reset`). */
export function reset(root: Operator, refs: EventRefs): void {
  for (const op of postOrder(root)) {
    if (op.type !== "match") update(op);
    else {
      op.value = false;
      if (op.event) {
        refs.unblock(op.event);
        op.event = null;
      }
    }
  }
}

/** The event nodes that took an active part (true nodes under true parents), in order. */
export function activeEvents(root: Operator): SandboxEvent[] {
  const out: SandboxEvent[] = [];
  const walk = (op: Operator) => {
    if (!op.value) return;
    if (op.type === "match") {
      if (op.event) out.push(op.event);
    } else {
      walk(op.left);
      walk(op.right);
    }
  };
  walk(root);
  return out;
}
