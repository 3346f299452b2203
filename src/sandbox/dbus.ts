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
  type IncomingCall,
  type InterfaceDef,
  type MethodDef,
  type PropertyDef,
  type SignalDef,
  Variant,
} from "../../ffi/mod.ts";
import {
  argsSignature,
  inSignature,
  INTERFACES,
  type MethodName,
  type MethodResult,
  type MethodValues,
  outSignature,
  type PropertyName,
  type UpstartObject,
} from "../interface.ts";
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
function replyPath({ job, done }: Outcome): [string] | Promise<[string]> {
  const reply: [string] = [jobInstancePath(job)];
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

/** A handler for each method `O` declares, given the arguments typed as declared. */
type Handlers<O extends UpstartObject> = {
  readonly [M in MethodName<O>]: (
    args: MethodValues<O, M>,
    call: IncomingCall,
  ) => MethodResult<O, M> | void | Promise<MethodResult<O, M> | void>;
};

/** Reading (and, for a writable property, writing) each property `O` declares. */
type Accessors<O extends UpstartObject> = {
  readonly [P in PropertyName<O>]: { get(): unknown; set?(v: unknown): void };
};

/**
 * Upstart's interface for `object` as the declaration has it (names, signatures, argument
 * names, order: what `Introspect` shows), answered by `handlers` and `props`.
 */
function served<O extends UpstartObject>(
  object: O,
  handlers: Handlers<O>,
  props: Accessors<O>,
): InterfaceDef {
  const decl = INTERFACES[object];
  const methods: Record<string, MethodDef> = {};
  for (const [name, m] of Object.entries(decl.methods)) {
    // The binding refuses a call whose signature is not `in`: the values are as declared.
    const handler = handlers[name as MethodName<O>] as MethodDef["handler"];
    methods[name] = {
      in: inSignature(m),
      out: outSignature(m),
      inNames: m.in.map(([n]) => n),
      outNames: m.out.map(([n]) => n),
      handler,
    };
  }
  const signals: Record<string, SignalDef> = {};
  for (const [name, sig] of Object.entries(decl.signals)) {
    signals[name] = { signature: argsSignature(sig.args), names: sig.args.map(([n]) => n) };
  }
  const properties: Record<string, PropertyDef> = {};
  for (const [name, p] of Object.entries(decl.properties)) {
    properties[name] = {
      signature: p.type,
      access: p.access,
      get: props[name as PropertyName<O>].get,
    };
  }
  return { name: decl.name, wrongSignature, methods, signals, properties };
}

/** The declared properties of `object` with their accessors, for libnih's Properties. */
function propMap<O extends UpstartObject>(object: O, props: Accessors<O>): PropMap {
  const decl = INTERFACES[object];
  return Object.fromEntries(
    Object.keys(decl.properties).map((name) => [
      name,
      { signature: decl.properties[name].type, ...props[name as PropertyName<O>] },
    ]),
  );
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
  const props: Accessors<"manager"> = {
    version: { get: () => host.version },
    log_priority: {
      get: () => host.logPriority,
      set: (v) => {
        const priority = LOG_PRIORITIES.find((p) => p === v);
        if (priority === undefined) {
          throw new DBusError(
            "org.freedesktop.DBus.Error.InvalidArgs",
            "The log priority given was not recognised",
          );
        }
        host.logPriority = priority;
      },
    },
  };
  const own = served("manager", {
    ReloadConfiguration: () => guard(() => host.reload()),
    GetJobByName: ([name]) =>
      guard(() => {
        if (name === "") {
          throw new DBusError(
            "org.freedesktop.DBus.Error.InvalidArgs",
            "Name may not be empty string",
          );
        }
        const cls = engine.getClass(name);
        if (!cls) {
          throw new DBusError("com.ubuntu.Upstart0_6.Error.UnknownJob", `Unknown job: ${name}`);
        }
        return [classPath(cls)];
      }),
    GetAllJobs: () => [engine.classes.map(classPath)],
    GetState: () => [host.state()],
    Restart: () => guard(() => host.restart()),
    GetEnv: ([d, name]) => guard(() => [engine.getEnv(d, name)]),
    SetEnv: ([d, v, r]) => guard(() => engine.setEnv(d, [v], r)),
    SetEnvList: ([d, v, r]) => guard(() => engine.setEnv(d, v, r)),
    UnsetEnv: ([d, n]) => guard(() => engine.unsetEnv(d, [n])),
    UnsetEnvList: ([d, n]) => guard(() => engine.unsetEnv(d, n)),
    ListEnv: ([d]) => guard(() => [engine.listEnv(d)]),
    ResetEnv: ([d]) => guard(() => engine.resetEnv(d)),
    EmitEvent: ([name, e, wait]) => settle(guard(() => engine.emitEvent(name, e, wait))),
    EmitEventWithFile: ([name, e, wait, fd]) => {
      // The fd is ours (libdbus hands over a duplicate); jobs do not get it in the sandbox.
      closeFileDescriptor(fd);
      return settle(guard(() => engine.emitEvent(name, e, wait)));
    },
    NotifyDiskWriteable: () => {},
    NotifyDBusAddress: () => {},
    NotifyCGroupManagerAddress: () => {},
    EndSession: () => {},
  }, props);
  return [
    own,
    propertiesInterface(UPSTART_INTERFACE, propMap("manager", props)),
    introspectable(UPSTART_PATH, [own], () => engine.classes.length > 0 ? ["jobs"] : []),
  ];
}

/** A job class object's interfaces. */
export function classInterfaces(engine: Engine, cls: JobClass): InterfaceDef[] {
  const c = cls.config;
  const path = (job: JobInstance) => jobInstancePath(job);
  const props: Accessors<"job"> = {
    name: { get: () => cls.name },
    description: { get: () => c.description ?? "" },
    author: { get: () => c.author ?? "" },
    version: { get: () => c.version ?? "" },
    usage: { get: () => c.usage ?? "" },
    start_on: { get: () => toUpstartConditions(c.startOn) },
    stop_on: { get: () => toUpstartConditions(c.stopOn) },
    emits: { get: () => [...c.emits] },
  };
  const own = served("job", {
    GetInstance: ([e]) => guard(() => [path(engine.getInstance(cls, e))]),
    GetInstanceByName: ([name]) => {
      const j = cls.instances.get(name);
      if (!j) {
        throw new DBusError(
          "com.ubuntu.Upstart0_6.Error.UnknownInstance",
          `Unknown instance: ${name}`,
        );
      }
      return [path(j)];
    },
    // In Upstart's hash-table order, as it answers.
    GetAllInstances: () => [cls.orderedInstances().map(path)],
    Start: ([e, wait]) => replyPath(guard(() => engine.startJob(cls, e, wait))),
    Stop: ([e, wait]) => settle(guard(() => engine.stopJob(cls, e, wait)).done),
    Restart: ([e, wait]) => replyPath(guard(() => engine.restartJob(cls, e, wait))),
  }, props);
  return [
    own,
    propertiesInterface(JOB_INTERFACE, propMap("job", props)),
    introspectable(
      classPath(cls),
      [own],
      () => [...cls.instances.values()].map((j) => escapePathElement(j.name)),
    ),
  ];
}

/** An instance object's interfaces. */
export function instanceInterfaces(engine: Engine, job: JobInstance): InterfaceDef[] {
  const props: Accessors<"instance"> = {
    name: { get: () => job.name },
    goal: { get: () => job.goal },
    state: { get: () => job.state },
    processes: { get: () => job.processes() },
  };
  const syncOrWait = (f: () => { done: Promise<void> | null }) => settle(guard(f).done);
  const own = served("instance", {
    Start: ([w]) => syncOrWait(() => engine.startInstance(job, w)),
    Stop: ([w]) => syncOrWait(() => engine.stopInstance(job, w)),
    Restart: ([w]) => syncOrWait(() => engine.restartInstance(job, w)),
    Reload: () => guard(() => engine.reloadInstance(job)),
  }, props);
  return [
    own,
    propertiesInterface(INSTANCE_INTERFACE, propMap("instance", props)),
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
