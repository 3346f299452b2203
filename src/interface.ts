/**
 * Upstart's D-Bus interface, declared once: every method, property and signal of
 * `com.ubuntu.Upstart0_6`, `com.ubuntu.Upstart0_6.Job` and `com.ubuntu.Upstart0_6.Instance`,
 * with its argument names and types, the release that added it and the errors it can return.
 * The typed client calls through it (argument and reply types come from the signatures), the
 * version checks read `since` from it, and the sandbox exports and introspects it.
 *
 * Sources: Upstart's `dbus/com.ubuntu.Upstart*.xml` (names, types and order, as libnih's
 * introspection shows them), `init/control.c`, `init/job_class.c`, `init/job.c` and
 * `init/control.h` (the errors each handler raises), and for `since` the XML compared at each
 * release commit of ubports/upstart (0.6.5 bfae97b5, 0.6.7 5f66d4d8, 1.3 88748d8f, 1.5 17ed1643,
 * 1.6.1 a5ea3abc, 1.7 f0e036ab, 1.10 08ad2696, 1.11 8fb66f93, 1.13 0ea889cc). `since: "0.6.5"`
 * means "in every release in use" (RHEL 6's 0.6.5 is the oldest; the names date from 0.6.0).
 *
 * @module
 */

import type { Variant } from "../ffi/mod.ts";

const E = "com.ubuntu.Upstart0_6.Error.";
const PERMISSION_DENIED = `${E}PermissionDenied`;
const UNKNOWN_JOB = `${E}UnknownJob`;
/** `control_get_job` (init/control.h): a job_details instance that does not exist. */
const UNKNOWN_JOB_INSTANCE = `${E}UnknownJobInstance`;
const UNKNOWN_INSTANCE = `${E}UnknownInstance`;
const ALREADY_STARTED = `${E}AlreadyStarted`;
const ALREADY_STOPPED = `${E}AlreadyStopped`;
const NOT_RUNNING = `${E}NotRunning`;
const JOB_FAILED = `${E}JobFailed`;
const EVENT_FAILED = `${E}EventFailed`;
const CGROUP_MANAGER = `${E}CGroupManagerNotAvailable`;
const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
const NO_MEMORY = "org.freedesktop.DBus.Error.NoMemory";

/** The errors of the methods that read or change an environment (`control_get_job` + checks). */
const ENV_ERRORS = [PERMISSION_DENIED, INVALID_ARGS, UNKNOWN_JOB, UNKNOWN_JOB_INSTANCE] as const;

/** One argument of a method or signal: its name (as Upstart's XML has it) and D-Bus type. */
export type ArgDecl = readonly [name: string, type: string];

/** A method of {@linkcode UPSTART_API}. */
export interface MethodDecl {
  /** The arguments, in order. */
  readonly in: readonly ArgDecl[];
  /** The reply's values, in order. */
  readonly out: readonly ArgDecl[];
  /** The first release that has it. */
  readonly since: string;
  /** For members added after 0.6.5: the commit(s) and `NEWS` entry that say so. */
  readonly source?: string;
  /** The D-Bus error names its handler can reply with (besides libdbus's own). */
  readonly errors: readonly string[];
  /** Upstart never replies (`Restart` re-executes the daemon). */
  readonly noReply?: boolean;
}

/** A property of {@linkcode UPSTART_API}. */
export interface PropertyDecl {
  /** Its D-Bus type. */
  readonly type: string;
  /** `read` or `readwrite`. */
  readonly access: "read" | "readwrite";
  /** The first release that has it. */
  readonly since: string;
  /** For members added after 0.6.5: where that comes from. */
  readonly source?: string;
  /** The errors a `Set` of it can reply with. */
  readonly errors?: readonly string[];
}

/** A signal of {@linkcode UPSTART_API}. */
export interface SignalDecl {
  /** Its values, in order. */
  readonly args: readonly ArgDecl[];
  /** The first release that sends it. */
  readonly since: string;
  /** For members added after 0.6.5: where that comes from. */
  readonly source?: string;
}

/** One of Upstart's three interfaces. */
export interface InterfaceDecl {
  /** The D-Bus interface name. */
  readonly name: string;
  /** Its methods, in the XML's order. */
  readonly methods: Readonly<Record<string, MethodDecl>>;
  /** Its properties, in the XML's order. */
  readonly properties: Readonly<Record<string, PropertyDecl>>;
  /** Its signals, in the XML's order. */
  readonly signals: Readonly<Record<string, SignalDecl>>;
}

/**
 * Upstart's D-Bus interface as of 1.13 (the last release), keyed by object kind: `manager`
 * (`/com/ubuntu/Upstart`), `job` (`…/jobs/JOB`) and `instance` (`…/jobs/JOB/INSTANCE`).
 *
 * @example The release that added a method, and its signature
 * ```ts
 * import assert from "node:assert/strict";
 * import { inSignature, UPSTART_API } from "@upstart/upstart";
 * assert.equal(UPSTART_API.manager.methods.GetEnv.since, "1.7");
 * assert.equal(inSignature(UPSTART_API.job.methods.Start), "asb");
 * ```
 */
export const UPSTART_API = {
  manager: {
    name: "com.ubuntu.Upstart0_6",
    methods: {
      ReloadConfiguration: { in: [], out: [], since: "0.6.5", errors: [PERMISSION_DENIED] },
      GetJobByName: {
        in: [["name", "s"]],
        out: [["job", "o"]],
        since: "0.6.5",
        errors: [INVALID_ARGS, UNKNOWN_JOB],
      },
      GetAllJobs: { in: [], out: [["jobs", "ao"]], since: "0.6.5", errors: [] },
      GetState: {
        in: [],
        out: [["state", "s"]],
        since: "1.6.1",
        source: "332db8b1 (NEWS 1.6.1)",
        errors: [PERMISSION_DENIED, NO_MEMORY],
      },
      Restart: {
        in: [],
        out: [],
        since: "1.6.1",
        source: "3388f497 (NEWS 1.6.1)",
        errors: [PERMISSION_DENIED],
        noReply: true,
      },
      GetEnv: {
        in: [["job_details", "as"], ["name", "s"]],
        out: [["value", "s"]],
        since: "1.7",
        source: "68094551, 60c09bdc (NEWS 1.7)",
        errors: ENV_ERRORS,
      },
      SetEnv: {
        in: [["job_details", "as"], ["var", "s"], ["replace", "b"]],
        out: [],
        since: "1.7",
        source: "68094551, 60c09bdc (NEWS 1.7)",
        errors: ENV_ERRORS,
      },
      SetEnvList: {
        in: [["job_details", "as"], ["vars", "as"], ["replace", "b"]],
        out: [],
        since: "1.13",
        source: "af6f3575, 7157e39a",
        errors: ENV_ERRORS,
      },
      UnsetEnv: {
        in: [["job_details", "as"], ["name", "s"]],
        out: [],
        since: "1.7",
        source: "47143d07, 60c09bdc (NEWS 1.7)",
        errors: ENV_ERRORS,
      },
      UnsetEnvList: {
        in: [["job_details", "as"], ["name", "as"]],
        out: [],
        since: "1.13",
        source: "af6f3575, 7157e39a",
        errors: ENV_ERRORS,
      },
      ListEnv: {
        in: [["job_details", "as"]],
        out: [["env", "as"]],
        since: "1.7",
        source: "db1893f5, 60c09bdc (NEWS 1.7)",
        errors: ENV_ERRORS,
      },
      ResetEnv: {
        in: [["job_details", "as"]],
        out: [],
        since: "1.7",
        source: "47143d07, 60c09bdc (NEWS 1.7)",
        errors: ENV_ERRORS,
      },
      EmitEvent: {
        in: [["name", "s"], ["env", "as"], ["wait", "b"]],
        out: [],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, INVALID_ARGS, EVENT_FAILED],
      },
      EmitEventWithFile: {
        in: [["name", "s"], ["env", "as"], ["wait", "b"], ["file", "h"]],
        out: [],
        since: "1.3",
        source: "e36718b1",
        errors: [PERMISSION_DENIED, INVALID_ARGS, EVENT_FAILED],
      },
      NotifyDiskWriteable: {
        in: [],
        out: [],
        since: "1.5",
        source: "efaa97e0 (NEWS 1.5)",
        errors: [PERMISSION_DENIED],
      },
      NotifyDBusAddress: {
        in: [["address", "s"]],
        out: [],
        since: "1.11",
        source: "b9c6b3b4 (NEWS 1.11)",
        errors: [PERMISSION_DENIED, NO_MEMORY],
      },
      NotifyCGroupManagerAddress: {
        in: [["address", "s"]],
        out: [],
        since: "1.13",
        source: "8383e4b5 (NEWS 1.13)",
        errors: [PERMISSION_DENIED, NO_MEMORY],
      },
      EndSession: {
        in: [],
        out: [],
        since: "1.7",
        source: "11da1af5 (NEWS 1.7)",
        errors: [PERMISSION_DENIED],
      },
    },
    properties: {
      version: { type: "s", access: "read", since: "0.6.5" },
      log_priority: {
        type: "s",
        access: "readwrite",
        since: "0.6.5",
        errors: [PERMISSION_DENIED, INVALID_ARGS],
      },
    },
    signals: {
      JobAdded: { args: [["job", "o"]], since: "0.6.5" },
      JobRemoved: { args: [["job", "o"]], since: "0.6.5" },
      EventEmitted: {
        args: [["name", "s"], ["env", "as"]],
        since: "1.7",
        source: "0efc23a7 (NEWS 1.7)",
      },
      Restarted: { args: [], since: "1.7", source: "eec1439a (NEWS 1.7)" },
    },
  },
  job: {
    name: "com.ubuntu.Upstart0_6.Job",
    methods: {
      GetInstance: {
        in: [["env", "as"]],
        out: [["instance", "o"]],
        since: "0.6.5",
        errors: [INVALID_ARGS, UNKNOWN_INSTANCE],
      },
      GetInstanceByName: {
        in: [["name", "s"]],
        out: [["instance", "o"]],
        since: "0.6.5",
        errors: [UNKNOWN_INSTANCE],
      },
      GetAllInstances: { in: [], out: [["instances", "ao"]], since: "0.6.5", errors: [] },
      Start: {
        in: [["env", "as"], ["wait", "b"]],
        out: [["instance", "o"]],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, INVALID_ARGS, ALREADY_STARTED, CGROUP_MANAGER, JOB_FAILED],
      },
      Stop: {
        in: [["env", "as"], ["wait", "b"]],
        out: [],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, INVALID_ARGS, UNKNOWN_INSTANCE, ALREADY_STOPPED, JOB_FAILED],
      },
      Restart: {
        in: [["env", "as"], ["wait", "b"]],
        out: [["instance", "o"]],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, INVALID_ARGS, UNKNOWN_INSTANCE, ALREADY_STOPPED, JOB_FAILED],
      },
    },
    properties: {
      name: { type: "s", access: "read", since: "0.6.5" },
      description: { type: "s", access: "read", since: "0.6.5" },
      author: { type: "s", access: "read", since: "0.6.5" },
      version: { type: "s", access: "read", since: "0.6.5" },
      usage: { type: "s", access: "read", since: "1.5", source: "fe50645a (NEWS 1.5)" },
      start_on: { type: "aas", access: "read", since: "0.6.7", source: "da28a632 (NEWS 0.6.7)" },
      stop_on: { type: "aas", access: "read", since: "0.6.7", source: "da28a632 (NEWS 0.6.7)" },
      emits: { type: "as", access: "read", since: "0.6.7", source: "da28a632 (NEWS 0.6.7)" },
    },
    signals: {
      InstanceAdded: { args: [["instance", "o"]], since: "0.6.5" },
      InstanceRemoved: { args: [["instance", "o"]], since: "0.6.5" },
    },
  },
  instance: {
    name: "com.ubuntu.Upstart0_6.Instance",
    methods: {
      Start: {
        in: [["wait", "b"]],
        out: [],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, ALREADY_STARTED, CGROUP_MANAGER, JOB_FAILED],
      },
      Stop: {
        in: [["wait", "b"]],
        out: [],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, ALREADY_STOPPED, JOB_FAILED],
      },
      Restart: {
        in: [["wait", "b"]],
        out: [],
        since: "0.6.5",
        errors: [PERMISSION_DENIED, ALREADY_STOPPED, JOB_FAILED],
      },
      Reload: {
        in: [],
        out: [],
        since: "1.10",
        source: "7fcc30a0 (NEWS 1.10)",
        errors: [PERMISSION_DENIED, NOT_RUNNING],
      },
    },
    properties: {
      name: { type: "s", access: "read", since: "0.6.5" },
      goal: { type: "s", access: "read", since: "0.6.5" },
      state: { type: "s", access: "read", since: "0.6.5" },
      processes: { type: "a(si)", access: "read", since: "0.6.5" },
    },
    signals: {
      GoalChanged: { args: [["goal", "s"]], since: "0.6.7", source: "e2d8fac3 (NEWS 0.6.7)" },
      StateChanged: { args: [["state", "s"]], since: "0.6.7", source: "8ed1c1e6 (NEWS 0.6.7)" },
      Failed: { args: [["status", "i"]], since: "0.6.7", source: "874aab1c (NEWS 0.6.7)" },
    },
  },
} as const satisfies Readonly<Record<string, InterfaceDecl>>;

/** The declaration's object kinds: `manager`, `job`, `instance`. */
export type UpstartObject = keyof typeof UPSTART_API;

/** The declaration with its literal types widened, for lookups by a name known only at run time. */
export const INTERFACES: Readonly<Record<UpstartObject, InterfaceDecl>> = UPSTART_API;

/** The method names of an object kind. */
export type MethodName<O extends UpstartObject> = keyof (typeof UPSTART_API)[O]["methods"] & string;
/** The property names of an object kind. */
export type PropertyName<O extends UpstartObject> =
  & keyof (typeof UPSTART_API)[O]["properties"]
  & string;
/** The signal names of an object kind. */
export type SignalName<O extends UpstartObject> = keyof (typeof UPSTART_API)[O]["signals"] & string;

type Method<O extends UpstartObject, M extends MethodName<O>> =
  (typeof UPSTART_API)[O]["methods"][M];
type Property<O extends UpstartObject, P extends PropertyName<O>> =
  (typeof UPSTART_API)[O]["properties"][P];
type Signal<O extends UpstartObject, S extends SignalName<O>> =
  (typeof UPSTART_API)[O]["signals"][S];
type InOf<T> = T extends { readonly in: infer A extends readonly ArgDecl[] } ? A : never;
type OutOf<T> = T extends { readonly out: infer A extends readonly ArgDecl[] } ? A : never;
type ArgsOf<T> = T extends { readonly args: infer A extends readonly ArgDecl[] } ? A : never;
type TypeOf<T> = T extends { readonly type: infer S extends string } ? S : never;

/** What each basic type code reads as (ffi/marshal.ts `readValue`). */
interface BasicValues {
  y: number;
  b: boolean;
  n: number;
  q: number;
  i: number;
  u: number;
  x: bigint;
  t: bigint;
  d: number;
  s: string;
  o: string;
  g: string;
  h: number;
}

/**
 * The JavaScript value libdbus's reader gives for one complete D-Bus type: arrays and structs
 * are arrays, dicts are `Map`s, `v` a {@linkcode Variant}, 64-bit integers `bigint`s.
 */
export type DBusValue<S extends string> = S extends keyof BasicValues ? BasicValues[S]
  : S extends "v" ? Variant
  : S extends `a{${infer K}${infer V}}` ? Map<DBusValue<K>, DBusValue<V>>
  : S extends `a${infer T}` ? DBusValue<T>[]
  : S extends `(${infer F})` ? StructValue<F>
  : unknown;

/** A struct of basic types (Upstart's only struct is `(si)`); anything else is `unknown[]`. */
type StructValue<F extends string> = F extends "" ? []
  : F extends `${infer C}${infer R}`
    ? C extends keyof BasicValues ? [BasicValues[C], ...StructValue<R>] : unknown[]
  : never;

/** What the writer takes for one complete type: also read-only arrays, and objects for dicts. */
export type DBusArgument<S extends string> = S extends keyof BasicValues ? BasicValues[S]
  : S extends "v" ? Variant
  : S extends `a{${infer K}${infer V}}` ? ReadonlyMap<DBusValue<K>, DBusArgument<V>>
  : S extends `a${infer T}` ? readonly DBusArgument<T>[]
  : S extends `(${infer F})` ? StructValue<F>
  : unknown;

type Values<A extends readonly ArgDecl[]> = {
  -readonly [K in keyof A]: A[K] extends readonly [string, infer S extends string] ? DBusValue<S>
    : never;
};
type Arguments<A extends readonly ArgDecl[]> = {
  -readonly [K in keyof A]: A[K] extends readonly [string, infer S extends string] ? DBusArgument<S>
    : never;
};

/** The argument tuple of a method: `MethodArgs<"job", "Start">` is `[readonly string[], boolean]`. */
export type MethodArgs<O extends UpstartObject, M extends MethodName<O>> = Arguments<
  InOf<Method<O, M>>
>;
/** The reply tuple of a method: `MethodReply<"job", "Start">` is `[string]`. */
export type MethodReply<O extends UpstartObject, M extends MethodName<O>> = Values<
  OutOf<Method<O, M>>
>;
/** The value of a property: `PropertyValue<"job", "start_on">` is `string[][]`. */
export type PropertyValue<O extends UpstartObject, P extends PropertyName<O>> = DBusValue<
  TypeOf<Property<O, P>>
>;
/** Every property of an object kind, as `GetAll` gives them (any may be absent on an old daemon). */
export type Properties<O extends UpstartObject> = {
  readonly [P in PropertyName<O>]?: PropertyValue<O, P>;
};
/** The values of a signal: `SignalValues<"instance", "Failed">` is `[number]`. */
export type SignalValues<O extends UpstartObject, S extends SignalName<O>> = Values<
  ArgsOf<Signal<O, S>>
>;

/**
 * The signature of a method's arguments.
 *
 * @param method A method of {@linkcode UPSTART_API}.
 * @returns Its types, concatenated.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inSignature, UPSTART_API } from "@upstart/upstart";
 * assert.equal(inSignature(UPSTART_API.manager.methods.GetEnv), "ass");
 * ```
 */
export function inSignature(method: Pick<MethodDecl, "in">): string {
  return argsSignature(method.in);
}

/**
 * The signature of a method's reply.
 *
 * @param method A method of {@linkcode UPSTART_API}.
 * @returns Its types, concatenated (`""` for none).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outSignature, UPSTART_API } from "@upstart/upstart";
 * assert.equal(outSignature(UPSTART_API.job.methods.GetAllInstances), "ao");
 * ```
 */
export function outSignature(method: Pick<MethodDecl, "out">): string {
  return argsSignature(method.out);
}

/**
 * The signature of a list of arguments (a signal's, or a method's).
 *
 * @param args Name and type pairs.
 * @returns The types, concatenated.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argsSignature, UPSTART_API } from "@upstart/upstart";
 * assert.equal(argsSignature(UPSTART_API.manager.signals.EventEmitted.args), "sas");
 * ```
 */
export function argsSignature(args: readonly ArgDecl[]): string {
  return args.map(([, type]) => type).join("");
}

/** The values a server receives for a method's arguments (as read): `[string[], boolean]`. */
export type MethodValues<O extends UpstartObject, M extends MethodName<O>> = Values<
  InOf<Method<O, M>>
>;
/** What a server replies to a method (as written): `MethodResult<"job", "Start">` is `[string]`. */
export type MethodResult<O extends UpstartObject, M extends MethodName<O>> = Arguments<
  OutOf<Method<O, M>>
>;
