/**
 * The D-Bus face of the sandbox: Upstart 1.13's objects, interfaces, properties (with libnih's
 * Properties quirks), errors and signals, served from an {@linkcode Engine}.
 *
 * @module
 */

import {
  closeFileDescriptor,
  type Connection,
  DBusError,
  type InterfaceDef,
  Variant,
} from "../../ffi/mod.ts";
import { toUpstartConditions } from "../jobfile/condition.ts";
import { LOG_PRIORITIES } from "../states.ts";
import {
  escapePathElement,
  INSTANCE_INTERFACE,
  isLossyPathElement,
  JOB_INTERFACE,
  JOBS_PATH,
  unescapePathElement,
  UPSTART_INTERFACE,
  UPSTART_PATH,
} from "../names.ts";
import type { Engine, Outcome } from "./engine.ts";
import { SandboxError } from "./errors.ts";
import { introspectable } from "./introspect.ts";
import type { JobInstance } from "./job.ts";
import type { JobClass } from "./job_class.ts";

const PROPERTIES = "org.freedesktop.DBus.Properties";
const UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod";

/** The object path of a job class. */
export function classPath(cls: JobClass): string {
  return `${JOBS_PATH}/${escapePathElement(cls.name)}`;
}

/** The object path of an instance. */
export function jobInstancePath(job: JobInstance): string {
  return `${classPath(job.cls)}/${escapePathElement(job.name)}`;
}

/** What the manager object needs besides the engine. */
export interface ManagerHost {
  /** The `version` property. */
  readonly version: string;
  /** The `log_priority` property. */
  logPriority: string;
  /** `ReloadConfiguration`. */
  reload(): void;
  /** `Restart`: Upstart re-execs itself, keeping its jobs, and then sends `Restarted`. */
  restart(): void;
  /** `GetState`: a JSON dump of the state. */
  state(): string;
}

function rethrow(e: unknown): never {
  if (e instanceof SandboxError) throw new DBusError(e.dbusName, e.message);
  throw e;
}

/** Runs an engine call, turning its errors into D-Bus error replies. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    rethrow(e);
  }
}

/** Waits for `done` (replying with its error), or replies at once when there is nothing to wait for. */
function settle(done: Promise<void> | null): Promise<void> | undefined {
  return done ? waitFor(done) : undefined;
}

/** Replies with the instance's path, once `done` settles when the caller asked to wait. */
function replyPath({ job, done }: Outcome): unknown[] | Promise<unknown[]> {
  const reply = [jobInstancePath(job)];
  return done ? waitFor(done).then(() => reply) : reply;
}

async function waitFor(done: Promise<void>): Promise<void> {
  try {
    await done;
  } catch (e) {
    rethrow(e);
  }
}

/** libnih's reply to a known method called with the wrong arguments (observed on Upstart 1.13.2). */
function wrongSignature(call: { member: string }): DBusError {
  return new DBusError(
    "org.freedesktop.DBus.Error.InvalidArgs",
    `Invalid arguments to ${call.member} method`,
  );
}

/** Argument names of Upstart's XML (`dbus/com.ubuntu.Upstart*.xml`), for `Introspect`. */
const ARG_NAMES: Record<string, Record<string, [readonly string[], readonly string[]]>> = {
  [UPSTART_INTERFACE]: {
    GetJobByName: [["name"], ["job"]],
    GetAllJobs: [[], ["jobs"]],
    GetState: [[], ["state"]],
    GetEnv: [["job_details", "name"], ["value"]],
    SetEnv: [["job_details", "var", "replace"], []],
    SetEnvList: [["job_details", "vars", "replace"], []],
    UnsetEnv: [["job_details", "name"], []],
    UnsetEnvList: [["job_details", "name"], []],
    ListEnv: [["job_details"], ["env"]],
    ResetEnv: [["job_details"], []],
    EmitEvent: [["name", "env", "wait"], []],
    EmitEventWithFile: [["name", "env", "wait", "file"], []],
    NotifyDBusAddress: [["address"], []],
    NotifyCGroupManagerAddress: [["address"], []],
    JobAdded: [["job"], []],
    JobRemoved: [["job"], []],
    EventEmitted: [["name", "env"], []],
  },
  [JOB_INTERFACE]: {
    GetInstance: [["env"], ["instance"]],
    GetInstanceByName: [["name"], ["instance"]],
    GetAllInstances: [[], ["instances"]],
    Start: [["env", "wait"], ["instance"]],
    Stop: [["env", "wait"], []],
    Restart: [["env", "wait"], ["instance"]],
    InstanceAdded: [["instance"], []],
    InstanceRemoved: [["instance"], []],
  },
  [INSTANCE_INTERFACE]: {
    Start: [["wait"], []],
    Stop: [["wait"], []],
    Restart: [["wait"], []],
    GoalChanged: [["goal"], []],
    StateChanged: [["state"], []],
    Failed: [["status"], []],
  },
};

/** Adds Upstart's argument names to an interface's methods and signals. */
function named(def: InterfaceDef): InterfaceDef {
  const names = ARG_NAMES[def.name] ?? {};
  const methods = Object.fromEntries(
    Object.entries(def.methods ?? {}).map(([k, m]) => [
      k,
      names[k] ? { ...m, inNames: names[k][0], outNames: names[k][1] } : m,
    ]),
  );
  const signals = Object.fromEntries(
    Object.entries(def.signals ?? {}).map(([k, sig]) => [
      k,
      names[k] ? { ...sig, names: names[k][0] } : sig,
    ]),
  );
  return { ...def, methods, signals };
}

type PropMap = Record<string, { signature: string; get(): unknown; set?(v: unknown): void }>;

/** libnih's `org.freedesktop.DBus.Properties` for one Upstart object. */
function propertiesInterface(iface: string, props: PropMap): InterfaceDef {
  const unknown = (member: string, sig: string) =>
    new DBusError(
      UNKNOWN_METHOD,
      `Method "${member}" with signature "${sig}" on interface "${PROPERTIES}" doesn't exist\n`,
    );
  const known = (i: string) => i === "" || i === iface;
  return {
    name: PROPERTIES,
    methods: {
      Get: {
        in: "ss",
        out: "v",
        handler: ([i, name]) => {
          const p = known(i as string) ? props[name as string] : undefined;
          if (!p) throw unknown("Get", "ss");
          return [new Variant(p.signature, p.get())];
        },
      },
      GetAll: {
        in: "s",
        out: "a{sv}",
        handler: ([i]) => {
          const all = new Map<string, Variant>();
          if (known(i as string)) {
            for (const [k, p] of Object.entries(props)) {
              all.set(k, new Variant(p.signature, p.get()));
            }
          }
          return [all];
        },
      },
      Set: {
        in: "ssv",
        handler: ([i, name, value]) => {
          const p = known(i as string) ? props[name as string] : undefined;
          if (!p) throw unknown("Set", "ssv");
          if (!p.set) {
            throw new DBusError(
              "org.freedesktop.DBus.Error.AccessDenied",
              `The ${name} property is read-only`,
            );
          }
          const v = value as Variant;
          if (v.signature !== p.signature) {
            throw new DBusError(
              "org.freedesktop.DBus.Error.InvalidArgs",
              `Invalid arguments to ${name} property`,
            );
          }
          p.set(v.value);
        },
      },
    },
  };
}

/** The manager object's interfaces. */
export function managerInterfaces(engine: Engine, host: ManagerHost): InterfaceDef[] {
  const env = (details: unknown) => details as string[];
  const upstart: InterfaceDef = {
    name: UPSTART_INTERFACE,
    wrongSignature,
    methods: {
      ReloadConfiguration: { handler: () => guard(() => host.reload()) },
      GetJobByName: {
        in: "s",
        out: "o",
        handler: ([name]) =>
          guard(() => {
            if (name === "") {
              throw new DBusError(
                "org.freedesktop.DBus.Error.InvalidArgs",
                "Name may not be empty string",
              );
            }
            const cls = engine.getClass(name as string);
            if (!cls) {
              throw new DBusError(
                "com.ubuntu.Upstart0_6.Error.UnknownJob",
                `Unknown job: ${name}`,
              );
            }
            return [classPath(cls)];
          }),
      },
      GetAllJobs: { out: "ao", handler: () => [engine.classes.map(classPath)] },
      GetState: { out: "s", handler: () => [host.state()] },
      Restart: { handler: () => guard(() => host.restart()) },
      GetEnv: {
        in: "ass",
        out: "s",
        handler: ([d, name]) => guard(() => [engine.getEnv(env(d), name as string)]),
      },
      SetEnv: {
        in: "assb",
        handler: ([d, v, r]) => guard(() => engine.setEnv(env(d), [v as string], r as boolean)),
      },
      SetEnvList: {
        in: "asasb",
        handler: ([d, v, r]) => guard(() => engine.setEnv(env(d), v as string[], r as boolean)),
      },
      UnsetEnv: {
        in: "ass",
        handler: ([d, n]) => guard(() => engine.unsetEnv(env(d), [n as string])),
      },
      UnsetEnvList: {
        in: "asas",
        handler: ([d, n]) => guard(() => engine.unsetEnv(env(d), n as string[])),
      },
      ListEnv: { in: "as", out: "as", handler: ([d]) => guard(() => [engine.listEnv(env(d))]) },
      ResetEnv: { in: "as", handler: ([d]) => guard(() => engine.resetEnv(env(d))) },
      EmitEvent: {
        in: "sasb",
        handler: ([name, e, wait]) =>
          settle(guard(() => engine.emitEvent(name as string, e as string[], wait as boolean))),
      },
      EmitEventWithFile: {
        in: "sasbh",
        handler: ([name, e, wait, fd]) => {
          // The fd is ours (libdbus hands over a duplicate); jobs do not get it in the sandbox.
          closeFileDescriptor(fd as number);
          return settle(
            guard(() => engine.emitEvent(name as string, e as string[], wait as boolean)),
          );
        },
      },
      NotifyDiskWriteable: { handler: () => {} },
      NotifyDBusAddress: { in: "s", handler: () => {} },
      NotifyCGroupManagerAddress: { in: "s", handler: () => {} },
      EndSession: { handler: () => {} },
    },
    signals: {
      JobAdded: { signature: "o" },
      JobRemoved: { signature: "o" },
      EventEmitted: { signature: "sas" },
      Restarted: {},
    },
    properties: {
      version: { signature: "s", get: () => host.version },
      log_priority: { signature: "s", access: "readwrite", get: () => host.logPriority },
    },
  };
  const props: PropMap = {
    version: { signature: "s", get: () => host.version },
    log_priority: {
      signature: "s",
      get: () => host.logPriority,
      set: (v) => {
        if (!(LOG_PRIORITIES as readonly string[]).includes(v as string)) {
          throw new DBusError(
            "org.freedesktop.DBus.Error.InvalidArgs",
            "The log priority given was not recognised",
          );
        }
        host.logPriority = v as string;
      },
    },
  };
  const own = named(upstart);
  return [
    own,
    propertiesInterface(UPSTART_INTERFACE, props),
    introspectable(UPSTART_PATH, [own], () => engine.classes.length > 0 ? ["jobs"] : []),
  ];
}

/** A job class object's interfaces. */
export function classInterfaces(engine: Engine, cls: JobClass): InterfaceDef[] {
  const c = cls.config;
  const path = (job: JobInstance) => jobInstancePath(job);
  const props: PropMap = {
    name: { signature: "s", get: () => cls.name },
    description: { signature: "s", get: () => c.description ?? "" },
    author: { signature: "s", get: () => c.author ?? "" },
    version: { signature: "s", get: () => c.version ?? "" },
    usage: { signature: "s", get: () => c.usage ?? "" },
    start_on: { signature: "aas", get: () => toUpstartConditions(c.startOn) },
    stop_on: { signature: "aas", get: () => toUpstartConditions(c.stopOn) },
    emits: { signature: "as", get: () => [...c.emits] },
  };
  const job: InterfaceDef = {
    name: JOB_INTERFACE,
    wrongSignature,
    methods: {
      GetInstance: {
        in: "as",
        out: "o",
        handler: ([e]) => guard(() => [path(engine.getInstance(cls, e as string[]))]),
      },
      GetInstanceByName: {
        in: "s",
        out: "o",
        handler: ([name]) => {
          const j = cls.instances.get(name as string);
          if (!j) {
            throw new DBusError(
              "com.ubuntu.Upstart0_6.Error.UnknownInstance",
              `Unknown instance: ${name}`,
            );
          }
          return [path(j)];
        },
      },
      // In Upstart's hash-table order, as it answers.
      GetAllInstances: { out: "ao", handler: () => [cls.orderedInstances().map(path)] },
      Start: {
        in: "asb",
        out: "o",
        handler: ([e, wait]) =>
          replyPath(guard(() => engine.startJob(cls, e as string[], wait as boolean))),
      },
      Stop: {
        in: "asb",
        handler: ([e, wait]) =>
          settle(guard(() => engine.stopJob(cls, e as string[], wait as boolean)).done),
      },
      Restart: {
        in: "asb",
        out: "o",
        handler: ([e, wait]) =>
          replyPath(guard(() => engine.restartJob(cls, e as string[], wait as boolean))),
      },
    },
    signals: { InstanceAdded: { signature: "o" }, InstanceRemoved: { signature: "o" } },
    properties: Object.fromEntries(
      Object.entries(props).map(([k, p]) => [k, { signature: p.signature, get: p.get }]),
    ),
  };
  const own = named(job);
  return [
    own,
    propertiesInterface(JOB_INTERFACE, props),
    introspectable(
      classPath(cls),
      [own],
      () => [...cls.instances.values()].map((j) => escapePathElement(j.name)),
    ),
  ];
}

/** An instance object's interfaces. */
export function instanceInterfaces(engine: Engine, job: JobInstance): InterfaceDef[] {
  const props: PropMap = {
    name: { signature: "s", get: () => job.name },
    goal: { signature: "s", get: () => job.goal },
    state: { signature: "s", get: () => job.state },
    processes: { signature: "a(si)", get: () => job.processes() },
  };
  const syncOrWait = (f: () => { done: Promise<void> | null }) => {
    return settle(guard(f).done);
  };
  const inst: InterfaceDef = {
    name: INSTANCE_INTERFACE,
    wrongSignature,
    methods: {
      Start: {
        in: "b",
        handler: ([w]) => syncOrWait(() => engine.startInstance(job, w as boolean)),
      },
      Stop: { in: "b", handler: ([w]) => syncOrWait(() => engine.stopInstance(job, w as boolean)) },
      Restart: {
        in: "b",
        handler: ([w]) => syncOrWait(() => engine.restartInstance(job, w as boolean)),
      },
      Reload: { handler: () => guard(() => engine.reloadInstance(job)) },
    },
    signals: {
      GoalChanged: { signature: "s" },
      StateChanged: { signature: "s" },
      Failed: { signature: "i" },
    },
    properties: Object.fromEntries(
      Object.entries(props).map(([k, p]) => [k, { signature: p.signature, get: p.get }]),
    ),
  };
  const own = named(inst);
  return [
    own,
    propertiesInterface(INSTANCE_INTERFACE, props),
    introspectable(jobInstancePath(job), [own], () => []),
  ];
}

/**
 * The first of `all` (in order) whose escaped name is `el`, found in constant time: the engine
 * already keeps classes and instances in maps by name, so the element is unescaped and looked
 * up there (and the match must escape back to `el` exactly, as a scan comparing escaped names
 * would require). Only a lossy element (`_ff`: distinct non-ASCII names share it) needs the scan.
 */
function byElement<T extends { readonly name: string }>(
  el: string,
  get: (name: string) => T | undefined,
  all: () => Iterable<T>,
): T | undefined {
  if (isLossyPathElement(el)) {
    for (const x of all()) if (escapePathElement(x.name) === el) return x;
    return undefined;
  }
  let name: string;
  try {
    name = unescapePathElement(el);
  } catch {
    return undefined; // not something nih_dbus_path makes: no object has it
  }
  const x = get(name);
  return x && escapePathElement(x.name) === el ? x : undefined;
}

/** Serves the manager, job and instance objects on `conn`; returns a function that unexports. */
export function serveUpstart(conn: Connection, engine: Engine, host: ManagerHost): () => void {
  const manager = conn.export(UPSTART_PATH, managerInterfaces(engine, host));
  const cache = new WeakMap<object, InterfaceDef[]>();
  const cached = (key: object, make: () => InterfaceDef[]) => {
    let defs = cache.get(key);
    if (!defs) cache.set(key, defs = make());
    return defs;
  };
  // Every method call on a job or instance resolves its path here (`list` makes about a
  // thousand), so neither lookup may walk all the jobs.
  const findClass = (el: string) => byElement(el, (n) => engine.getClass(n), () => engine.classes);
  const findJob = (cls: JobClass, el: string) =>
    byElement(el, (n) => cls.instances.get(n), () => cls.orderedInstances());
  const tree = conn.exportSubtree(JOBS_PATH, (p) => {
    const rest = p.slice(JOBS_PATH.length + 1).split("/");
    if (p === JOBS_PATH || rest.length > 2) return null;
    const cls = findClass(rest[0]);
    if (!cls) return null;
    if (rest.length === 1) return cached(cls, () => classInterfaces(engine, cls));
    const job = findJob(cls, rest[1]);
    return job ? cached(job, () => instanceInterfaces(engine, job)) : null;
  }, (p) => {
    if (p === JOBS_PATH) return engine.classes.map((c) => escapePathElement(c.name));
    const rest = p.slice(JOBS_PATH.length + 1).split("/");
    const cls = rest.length === 1 ? findClass(rest[0]) : undefined;
    return cls ? cls.orderedInstances().map((j) => escapePathElement(j.name)) : [];
  });
  return () => {
    tree.unexport();
    manager.unexport();
  };
}
