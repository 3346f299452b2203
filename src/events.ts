/**
 * Upstart's signals as typed events, like `upstart-monitor` shows them, and
 * the options and stream type of `system.watch()` (the stream itself is made
 * in `_watch.ts`).
 *
 * @module
 */

import type { SignalMessage } from "../ffi/mod.ts";
import type { Goal, State } from "./states.ts";
import {
  INSTANCE_INTERFACE,
  JOB_INTERFACE,
  splitUpstartPath,
  unescapePathElement,
  UPSTART_INTERFACE,
  UPSTART_PATH,
} from "./names.ts";

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
 * import { EVENT_TYPES } from "@upstart/upstart";
 * console.assert(EVENT_TYPES.includes("StateChanged"));
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
 * import { toUpstartEvent } from "./events.ts";
 * const ev = toUpstartEvent({
 *   sender: null, path: "/com/ubuntu/Upstart/jobs/my_2djob/_", interface: "com.ubuntu.Upstart0_6.Instance",
 *   member: "StateChanged", signature: "s", body: ["running"],
 * });
 * console.assert(ev?.type === "StateChanged" && ev.job === "my-job" && ev.state === "running");
 * ```
 */
export function toUpstartEvent(signal: SignalMessage): UpstartEvent | null {
  const { interface: iface, member, body, path } = signal;
  if (iface === UPSTART_INTERFACE && path === UPSTART_PATH) {
    if (member === "JobAdded" || member === "JobRemoved") {
      const ref = jobRef(body[0] as string);
      return ref && { type: member, ...ref };
    }
    if (member === "EventEmitted") {
      return { type: "EventEmitted", name: body[0] as string, env: body[1] as string[] };
    }
    if (member === "Restarted") return { type: "Restarted" };
    return null;
  }
  if (iface === JOB_INTERFACE && (member === "InstanceAdded" || member === "InstanceRemoved")) {
    const ref = instanceRef(body[0] as string);
    return ref && { type: member, ...ref };
  }
  if (iface === INSTANCE_INTERFACE) {
    const ref = instanceRef(path);
    if (!ref) return null;
    if (member === "GoalChanged") return { type: member, ...ref, goal: body[0] as Goal };
    if (member === "StateChanged") return { type: member, ...ref, state: body[0] as State };
    if (member === "Failed") return { type: member, ...ref, status: body[0] as number };
  }
  return null;
}

/** Options of `system.watch()`. */
export interface WatchOptions {
  /** Only these event types (default: all). */
  readonly types?: readonly UpstartEventType[];
  /** Only events of this job (decoded name). */
  readonly job?: string;
}

/** The iterator `system.watch()` returns. */
export interface EventStream extends AsyncIterableIterator<UpstartEvent>, AsyncDisposable {
  /** Resolves once the subscription is active: events from then on are all seen. */
  readonly ready: Promise<void>;
}
