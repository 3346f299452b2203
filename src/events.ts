/**
 * Upstart's signals as typed events, like `upstart-monitor` shows them, and
 * the options and stream type of `system.watch()` (the stream itself is made
 * in `_watch.ts`).
 *
 * @module
 */

import type { SignalMessage } from "../ffi/mod.ts";
import { signalValues } from "./_client.ts";
import { splitUpstartPath, unescapePathElement, UPSTART_PATH } from "./names.ts";
import { type Goal, GOALS, type State, STATES } from "./states.ts";

/** Where an instance event happened: the fields every instance event has. */
export interface InstanceRef {
  /** The job name (decoded from the object path). */
  readonly job: string;
  /** The instance name (decoded from the object path). */
  readonly instance: string;
  /** The instance's object path. */
  readonly path: string;
}

/** A job's file appeared (or was reloaded). */
export interface JobAddedEvent {
  /** Event type. */
  readonly type: "JobAdded";
  /** The job name. */
  readonly job: string;
  /** The job's object path. */
  readonly path: string;
}

/** A job's file went away (or is being reloaded). */
export interface JobRemovedEvent {
  /** Event type. */
  readonly type: "JobRemoved";
  /** The job name. */
  readonly job: string;
  /** The job's object path. */
  readonly path: string;
}

/** An event has finished (every job it started or stopped is done); Upstart 1.7 and later. */
export interface EventEmittedEvent {
  /** Event type. */
  readonly type: "EventEmitted";
  /** The event name (`started`, `runlevel`...). */
  readonly name: string;
  /** Its environment, as `KEY=VALUE` strings. */
  readonly env: readonly string[];
}

/** Upstart re-executed itself (Upstart 1.7 and later). */
export interface RestartedEvent {
  /** Event type. */
  readonly type: "Restarted";
}

/** An instance was created. */
export interface InstanceAddedEvent extends InstanceRef {
  /** Event type. */
  readonly type: "InstanceAdded";
}

/** An instance went away (it stopped). */
export interface InstanceRemovedEvent extends InstanceRef {
  /** Event type. */
  readonly type: "InstanceRemoved";
}

/** An instance's goal changed. */
export interface GoalChangedEvent extends InstanceRef {
  /** Event type. */
  readonly type: "GoalChanged";
  /** The new goal. */
  readonly goal: Goal;
}

/** An instance's state changed. */
export interface StateChangedEvent extends InstanceRef {
  /** Event type. */
  readonly type: "StateChanged";
  /** The new state. */
  readonly state: State;
}

/** A process of an instance failed. */
export interface FailedEvent extends InstanceRef {
  /** Event type. */
  readonly type: "Failed";
  /** -1: could not spawn; else the exit status, or the signal number shifted left by 8. */
  readonly status: number;
}

/** Any event `system.watch()` yields. */
export type UpstartEvent =
  | JobAddedEvent
  | JobRemovedEvent
  | EventEmittedEvent
  | RestartedEvent
  | InstanceAddedEvent
  | InstanceRemovedEvent
  | GoalChangedEvent
  | StateChangedEvent
  | FailedEvent;

/** The type names of {@linkcode UpstartEvent}. */
export type UpstartEventType = UpstartEvent["type"];

/**
 * Every event type.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVENT_TYPES } from "@upstart/upstart";
 * assert.ok(EVENT_TYPES.includes("StateChanged"));
 * assert.equal(EVENT_TYPES.length, 9);
 * ```
 */
export const EVENT_TYPES: readonly UpstartEventType[] = Object.freeze([
  "JobAdded",
  "JobRemoved",
  "EventEmitted",
  "Restarted",
  "InstanceAdded",
  "InstanceRemoved",
  "GoalChanged",
  "StateChanged",
  "Failed",
]);

function decode(element: string): string {
  try {
    return unescapePathElement(element);
  } catch {
    return element;
  }
}

function jobRef(path: string): { job: string; path: string } | null {
  const parts = splitUpstartPath(path);
  return parts && parts.instance === null ? { job: decode(parts.job), path } : null;
}

function instanceRef(path: string): InstanceRef | null {
  const parts = splitUpstartPath(path);
  if (!parts || parts.instance === null) return null;
  return { job: decode(parts.job), instance: decode(parts.instance), path };
}

/**
 * Turns one of Upstart's signals into a typed event.
 *
 * @param signal The signal as the D-Bus layer delivers it.
 * @returns The event, or `null` for a signal that is not one of Upstart's.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toUpstartEvent } from "./events.ts";
 * const ev = toUpstartEvent({
 *   sender: null,
 *   path: "/com/ubuntu/Upstart/jobs/my_2djob/_",
 *   interface: "com.ubuntu.Upstart0_6.Instance",
 *   member: "StateChanged",
 *   signature: "s",
 *   body: ["running"],
 * });
 * assert.deepEqual(ev, {
 *   type: "StateChanged",
 *   job: "my-job", // decoded from the path
 *   instance: "",
 *   path: "/com/ubuntu/Upstart/jobs/my_2djob/_",
 *   state: "running",
 * });
 * ```
 */
export function toUpstartEvent(signal: SignalMessage): UpstartEvent | null {
  if (signal.path === UPSTART_PATH) {
    const job = signalValues("manager", "JobAdded", signal) ??
      signalValues("manager", "JobRemoved", signal);
    if (job) {
      const ref = jobRef(job[0]);
      return ref && { type: signal.member === "JobAdded" ? "JobAdded" : "JobRemoved", ...ref };
    }
    const emitted = signalValues("manager", "EventEmitted", signal);
    if (emitted) return { type: "EventEmitted", name: emitted[0], env: emitted[1] };
    if (signalValues("manager", "Restarted", signal)) return { type: "Restarted" };
    return null;
  }
  const instance = signalValues("job", "InstanceAdded", signal) ??
    signalValues("job", "InstanceRemoved", signal);
  if (instance) {
    const ref = instanceRef(instance[0]);
    const type = signal.member === "InstanceAdded" ? "InstanceAdded" : "InstanceRemoved";
    return ref && { type, ...ref };
  }
  const ref = instanceRef(signal.path);
  if (!ref) return null;
  const goal = signalValues("instance", "GoalChanged", signal)?.[0];
  const goalValue = GOALS.find((g) => g === goal);
  if (goalValue) return { type: "GoalChanged", ...ref, goal: goalValue };
  const state = signalValues("instance", "StateChanged", signal)?.[0];
  const stateValue = STATES.find((s) => s === state);
  if (stateValue) return { type: "StateChanged", ...ref, state: stateValue };
  const failed = signalValues("instance", "Failed", signal);
  if (failed) return { type: "Failed", ...ref, status: failed[0] };
  return null;
}

/** Options of `system.watch()`. */
export interface WatchOptions {
  /** Only these event types (default: all). */
  readonly types?: readonly UpstartEventType[];
  /** Only events of this job (decoded name). */
  readonly job?: string;
  /**
   * Ends the stream when it aborts: it unsubscribes, and `next()` rejects with `signal.reason`.
   */
  readonly signal?: AbortSignal;
}

/**
 * The iterator `system.watch()` returns. It subscribes on first use (the first `next()`, or
 * reading `ready`): a stream never used holds nothing and does not keep the process alive.
 */
export interface EventStream extends AsyncIterableIterator<UpstartEvent>, AsyncDisposable {
  /** Subscribes (if not yet) and resolves once the subscription is active: events from then on are all seen. */
  readonly ready: Promise<void>;
}
