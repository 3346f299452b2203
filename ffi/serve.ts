/**
 * The serving side: exported objects answer method calls, with
 * `org.freedesktop.DBus.Introspectable`, `Properties` and `Peer` built in.
 *
 * @module
 */

import type { DBusLib } from "./symbols.ts";
import { cstr } from "./library.ts";
import { DBusError } from "./errors.ts";
import { type MessageHeader, nonNull, readBody, withBody } from "./message.ts";
import { assertInterfaceName, assertMemberName, assertObjectPath } from "./names.ts";
import { parseSignature, signatureOf } from "./signature.ts";
import { Variant } from "./variant.ts";
import { closeUnixFds } from "./marshal.ts";

/** Who called, and how: passed to method handlers. */
export interface IncomingCall {
  /** The caller's unique name (`null` on a peer-to-peer connection). */
  readonly sender: string | null;
  /** The object path called. */
  readonly path: string;
  /** The interface named by the caller (may be `null`). */
  readonly interface: string | null;
  /** The method name. */
  readonly member: string;
  /** The signature of the arguments. */
  readonly signature: string;
  /** The call's serial. */
  readonly serial: number;
  /** The caller asked for no reply. */
  readonly noReply: boolean;
}

/** A method of an exported interface. */
export interface MethodDef {
  /** The arguments' signature (default: none). A call with another signature is refused. */
  readonly in?: string;
  /** The reply's signature (default: none). */
  readonly out?: string;
  /** Argument names, for introspection. */
  readonly inNames?: readonly string[];
  /** Reply value names, for introspection. */
  readonly outNames?: readonly string[];
  /** Returns the reply's values (or nothing); throws `DBusError` to reply with that error. */
  handler(args: unknown[], call: IncomingCall): unknown[] | void | Promise<unknown[] | void>;
}

/** A property of an exported interface. */
export interface PropertyDef {
  /** Its type. */
  readonly signature: string;
  /** Default `"read"`. */
  readonly access?: "read" | "write" | "readwrite";
  /** Returns the current value. */
  get?(): unknown;
  /** Stores a new value; throws `DBusError` to refuse it. */
  set?(value: unknown): void | Promise<void>;
}

/** A signal of an exported interface (for introspection). */
export interface SignalDef {
  /** Its body's signature. */
  readonly signature?: string;
  /** Value names, for introspection. */
  readonly names?: readonly string[];
}

/** An interface an exported object implements. */
export interface InterfaceDef {
  /** The interface name. */
  readonly name: string;
  /** Its methods by name. */
  readonly methods?: Readonly<Record<string, MethodDef>>;
  /** Its properties by name. */
  readonly properties?: Readonly<Record<string, PropertyDef>>;
  /** Its signals by name. */
  readonly signals?: Readonly<Record<string, SignalDef>>;
  /**
   * The error for a call of one of its methods with the wrong signature (default: libdbus's
   * `UnknownMethod`; libnih-generated servers such as Upstart reply `InvalidArgs`).
   */
  readonly wrongSignature?: (call: IncomingCall) => DBusError;
}

/** A handle on something exported. */
export interface ExportedObject extends Disposable {
  /** Stops serving it (idempotent). */
  unexport(): void;
}

/** Resolves the interfaces of the object at `path` below a subtree, or `null` if none is there. */
export type SubtreeResolver = (path: string) => readonly InterfaceDef[] | null;

interface Host {
  sendOwned(msg: Deno.PointerObject): number;
  wantInput(): void;
}

interface Subtree {
  readonly prefix: string;
  readonly resolve: SubtreeResolver;
  readonly children?: (path: string) => string[];
}

const UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod";
const INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs";
const PROPERTIES = "org.freedesktop.DBus.Properties";
const INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";
const PEER = "org.freedesktop.DBus.Peer";

/** The objects one connection serves. */
export class ObjectRegistry {
  readonly #host: Host;
  readonly #lib: DBusLib;
  readonly #objects = new Map<string, readonly InterfaceDef[]>();
  readonly #subtrees: Subtree[] = [];

  constructor(host: Host, lib: DBusLib) {
    this.#host = host;
    this.#lib = lib;
  }

  /** Whether anything is exported (the reactor keeps reading while so). */
  get active(): boolean {
    return this.#objects.size > 0 || this.#subtrees.length > 0;
  }

  export(path: string, interfaces: readonly InterfaceDef[]): ExportedObject {
    assertObjectPath(path, "path");
    interfaces.forEach(validateInterface);
    if (this.#objects.has(path)) throw new TypeError(`An object is already exported at ${path}`);
    this.#objects.set(path, interfaces);
    const unexport = () => {
      if (this.#objects.get(path) === interfaces) this.#objects.delete(path);
      this.#host.wantInput();
    };
    return { unexport, [Symbol.dispose]: unexport };
  }

  exportSubtree(
    prefix: string,
    resolve: SubtreeResolver,
    children?: (path: string) => string[],
  ): ExportedObject {
    assertObjectPath(prefix, "prefix");
    const subtree: Subtree = { prefix, resolve, children };
    this.#subtrees.push(subtree);
    // Longest prefix first, so the most specific subtree answers.
    this.#subtrees.sort((a, b) => b.prefix.length - a.prefix.length);
    const unexport = () => {
      const i = this.#subtrees.indexOf(subtree);
      if (i >= 0) this.#subtrees.splice(i, 1);
      this.#host.wantInput();
    };
    return { unexport, [Symbol.dispose]: unexport };
  }

  clear(): void {
    this.#objects.clear();
    this.#subtrees.length = 0;
  }

  /** Answers one method call. */
  dispatch(header: MessageHeader, msg: Deno.PointerObject): void {
    const call: IncomingCall = {
      sender: header.sender,
      path: header.path ?? "/",
      interface: header.interface,
      member: header.member ?? "",
      signature: header.signature,
      serial: header.serial,
      noReply: header.noReply,
    };
    let outcome: Outcome;
    try {
      outcome = this.#route(call, msg, header);
    } catch (e) {
      outcome = { error: e };
    }
    if ("pending" in outcome) {
      // Keep the call message alive until its reply is built.
      this.#lib.dbus_message_ref(msg);
      outcome.pending.then(
        (result) => this.#reply(msg, call, result),
        (error) => this.#reply(msg, call, { error }),
      ).finally(() => this.#lib.dbus_message_unref(msg));
    } else {
      this.#reply(msg, call, outcome);
    }
  }

  #route(call: IncomingCall, msg: Deno.PointerObject, header: MessageHeader): Outcome {
    if (call.interface === PEER || (call.interface === null && call.member === "Ping")) {
      return this.#peer(call);
    }
    const interfaces = this.#lookup(call.path);
    if (interfaces === null) {
      if (
        call.interface === INTROSPECTABLE && call.member === "Introspect" && call.signature === ""
      ) {
        // As libdbus's object tree: any path introspects, as an empty node if nothing is there.
        return value("s", [introspectXml([], this.#childrenOf(call.path))]);
      }
      throw unknownMethod(call);
    }
    const own = call.interface === null
      ? interfaces.find((i) => i.methods?.[call.member])
      : interfaces.find((i) => i.name === call.interface);
    const method = own?.methods?.[call.member];
    if (method) {
      if ((method.in ?? "") !== call.signature) {
        throw own!.wrongSignature?.(call) ?? unknownMethod(call);
      }
      const result = method.handler(readBody(this.#lib, msg, header), call);
      const out = method.out ?? "";
      if (result instanceof Promise) {
        return { pending: result.then((values) => ({ signature: out, values: values ?? [] })) };
      }
      return value(out, result ?? []);
    }
    if (
      call.interface === INTROSPECTABLE && call.member === "Introspect" && call.signature === ""
    ) {
      return value("s", [introspectXml(interfaces, this.#childrenOf(call.path))]);
    }
    if (call.interface === PROPERTIES) {
      const args = readBody(this.#lib, msg, header);
      try {
        return this.#properties(call, interfaces, args);
      } catch (e) {
        // Refused before any setter took the value: a descriptor in it is ours to close.
        closeUnixFds(call.signature, args);
        throw e;
      }
    }
    throw unknownMethod(call);
  }

  #lookup(path: string): readonly InterfaceDef[] | null {
    const exact = this.#objects.get(path);
    if (exact) return exact;
    for (const subtree of this.#subtrees) {
      if (
        path === subtree.prefix ||
        path.startsWith(subtree.prefix === "/" ? "/" : subtree.prefix + "/")
      ) {
        const found = subtree.resolve(path);
        if (found) return found;
      }
    }
    return null;
  }

  #childrenOf(path: string): string[] {
    const prefix = path === "/" ? "/" : path + "/";
    const names = new Set<string>();
    for (const objectPath of this.#objects.keys()) {
      if (objectPath.startsWith(prefix) && objectPath !== path) {
        names.add(objectPath.slice(prefix.length).split("/")[0]);
      }
    }
    for (const subtree of this.#subtrees) {
      if (subtree.prefix.startsWith(prefix) && subtree.prefix !== path) {
        names.add(subtree.prefix.slice(prefix.length).split("/")[0]);
      } else if (
        subtree.children && (path === subtree.prefix || path.startsWith(subtree.prefix + "/"))
      ) {
        for (const child of subtree.children(path)) names.add(child);
      }
    }
    return [...names].sort();
  }

  #peer(call: IncomingCall): Outcome {
    if (call.member === "Ping" && call.signature === "") return value("", []);
    if (call.member === "GetMachineId" && call.signature === "") {
      let id = "";
      try {
        id = Deno.readTextFileSync("/etc/machine-id").trim();
      } catch {
        throw new DBusError("org.freedesktop.DBus.Error.Failed", "Cannot read /etc/machine-id");
      }
      return value("s", [id]);
    }
    throw unknownMethod(call);
  }

  #properties(call: IncomingCall, interfaces: readonly InterfaceDef[], args: unknown[]): Outcome {
    const find = (iface: string, name: string) => {
      for (const i of interfaces) {
        if ((iface === "" || i.name === iface) && i.properties?.[name]) {
          return i.properties[name];
        }
      }
      throw new DBusError(
        "org.freedesktop.DBus.Error.UnknownProperty",
        `No such property "${name}" on interface "${iface}"`,
      );
    };
    if (call.member === "Get" && call.signature === "ss") {
      const [iface, name] = args as [string, string];
      const prop = find(iface, name);
      if ((prop.access ?? "read") === "write" || !prop.get) {
        throw new DBusError(
          "org.freedesktop.DBus.Error.AccessDenied",
          `Property "${name}" is not readable`,
        );
      }
      return value("v", [new Variant(prop.signature, prop.get())]);
    }
    if (call.member === "GetAll" && call.signature === "s") {
      const [iface] = args as [string];
      const all = new Map<string, Variant>();
      for (const i of interfaces) {
        if (iface !== "" && i.name !== iface) continue;
        for (const [name, prop] of Object.entries(i.properties ?? {})) {
          if ((prop.access ?? "read") !== "write" && prop.get) {
            all.set(name, new Variant(prop.signature, prop.get()));
          }
        }
      }
      return value("a{sv}", [all]);
    }
    if (call.member === "Set" && call.signature === "ssv") {
      const [iface, name, v] = args as [string, string, Variant];
      const prop = find(iface, name);
      if ((prop.access ?? "read") === "read" || !prop.set) {
        throw new DBusError(
          "org.freedesktop.DBus.Error.PropertyReadOnly",
          `Property "${name}" is read-only`,
        );
      }
      if (v.signature !== prop.signature) {
        throw new DBusError(
          INVALID_ARGS,
          `Property "${name}" has type "${prop.signature}", not "${v.signature}"`,
        );
      }
      const done = prop.set(v.value);
      return done instanceof Promise
        ? { pending: done.then(() => ({ signature: "", values: [] })) }
        : value("", []);
    }
    throw unknownMethod(call);
  }

  #reply(msg: Deno.PointerObject, call: IncomingCall, outcome: Settled): void {
    if (call.noReply) return;
    let reply: Deno.PointerObject;
    if ("error" in outcome) {
      reply = this.#errorReply(msg, outcome.error);
    } else {
      try {
        reply = withBody(
          this.#lib,
          nonNull(this.#lib.dbus_message_new_method_return(msg)),
          outcome.signature,
          outcome.values,
        );
      } catch (e) {
        // The handler returned values that do not fit its signature: a bug on our side, said plainly.
        reply = this.#errorReply(
          msg,
          new DBusError(
            "org.freedesktop.DBus.Error.Failed",
            `${call.member} returned an invalid reply: ${(e as Error).message}`,
          ),
        );
      }
    }
    try {
      this.#host.sendOwned(reply);
    } catch {
      // The connection is gone: nobody is waiting for this reply any more.
    }
  }

  #errorReply(msg: Deno.PointerObject, error: unknown): Deno.PointerObject {
    const e = error instanceof DBusError ? error : new DBusError(
      "org.freedesktop.DBus.Error.Failed",
      String((error as Error)?.message ?? error),
    );
    const name = isErrorName(e.name) ? e.name : "org.freedesktop.DBus.Error.Failed";
    const text = e.message.isWellFormed() && !e.message.includes("\0")
      ? e.message
      : e.message.toWellFormed().replaceAll("\0", "\uFFFD");
    return nonNull(this.#lib.dbus_message_new_error(msg, cstr(name), cstr(text)));
  }
}

type Settled = { signature: string; values: readonly unknown[] } | { error: unknown };
type Outcome = Settled | { pending: Promise<{ signature: string; values: readonly unknown[] }> };

function value(signature: string, values: readonly unknown[]): Settled {
  return { signature, values };
}

/** libdbus's own text for an unhandled call, kept exactly (clients such as Upstart's compare it). */
function unknownMethod(call: IncomingCall): DBusError {
  return new DBusError(
    UNKNOWN_METHOD,
    `Method "${call.member}" with signature "${call.signature}" on interface "${
      call.interface ?? "(null)"
    }" doesn't exist\n`,
  );
}

function isErrorName(name: string): boolean {
  try {
    assertInterfaceName(name, "error name");
    return true;
  } catch {
    return false;
  }
}

function validateInterface(def: InterfaceDef): void {
  assertInterfaceName(def.name, "interface name");
  for (const [name, method] of Object.entries(def.methods ?? {})) {
    assertMemberName(name, `method of ${def.name}`);
    parseSignature(method.in ?? "");
    parseSignature(method.out ?? "");
    if (typeof method.handler !== "function") {
      throw new TypeError(`${def.name}.${name}: handler must be a function`);
    }
  }
  for (const [name, prop] of Object.entries(def.properties ?? {})) {
    assertMemberName(name, `property of ${def.name}`);
    if (parseSignature(prop.signature).length !== 1) {
      throw new TypeError(
        `${def.name}.${name}: a property has exactly one type, not "${prop.signature}"`,
      );
    }
  }
  for (const [name, signal] of Object.entries(def.signals ?? {})) {
    assertMemberName(name, `signal of ${def.name}`);
    parseSignature(signal.signature ?? "");
  }
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};

function attr(s: string): string {
  return s.replace(/[&<>"]/g, (c) => XML_ESCAPES[c]);
}

function args(signature: string, names: readonly string[] | undefined, direction?: string): string {
  return parseSignature(signature).map((type, i) => {
    const name = names?.[i] ? ` name="${attr(names[i])}"` : "";
    const dir = direction ? ` direction="${direction}"` : "";
    return `      <arg${name} type="${attr(signatureOf(type))}"${dir}/>\n`;
  }).join("");
}

const STANDARD: InterfaceDef[] = [
  {
    name: INTROSPECTABLE,
    methods: { Introspect: { out: "s", outNames: ["xml_data"], handler: () => [] } },
  },
  {
    name: PROPERTIES,
    methods: {
      Get: {
        in: "ss",
        out: "v",
        inNames: ["interface", "property"],
        outNames: ["value"],
        handler: () => [],
      },
      GetAll: {
        in: "s",
        out: "a{sv}",
        inNames: ["interface"],
        outNames: ["props"],
        handler: () => [],
      },
      Set: { in: "ssv", inNames: ["interface", "property", "value"], handler: () => [] },
    },
    signals: { PropertiesChanged: { signature: "sa{sv}as" } },
  },
  {
    name: PEER,
    methods: {
      Ping: { handler: () => [] },
      GetMachineId: { out: "s", outNames: ["machine_uuid"], handler: () => [] },
    },
  },
];

/**
 * One interface as an introspection document lists it (`<interface>` with its methods, signals
 * and properties, argument names where given), indented for a `<node>`.
 *
 * @param def The interface.
 * @returns The XML fragment.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interfaceXml } from "@upstart/upstart/dbus";
 * const xml = interfaceXml({
 *   name: "org.example.Demo",
 *   methods: { Echo: { in: "s", out: "s", inNames: ["text"], handler: ([t]) => [t] } },
 * });
 * assert.ok(xml.includes('<arg name="text" type="s" direction="in"/>'));
 * ```
 */
export function interfaceXml(def: InterfaceDef): string {
  let xml = `  <interface name="${attr(def.name)}">\n`;
  for (const [name, m] of Object.entries(def.methods ?? {})) {
    xml += `    <method name="${attr(name)}">\n${args(m.in ?? "", m.inNames, "in")}${
      args(m.out ?? "", m.outNames, "out")
    }    </method>\n`;
  }
  for (const [name, sig] of Object.entries(def.signals ?? {})) {
    xml += `    <signal name="${attr(name)}">\n${
      args(sig.signature ?? "", sig.names)
    }    </signal>\n`;
  }
  for (const [name, p] of Object.entries(def.properties ?? {})) {
    xml += `    <property name="${attr(name)}" type="${attr(p.signature)}" access="${
      p.access ?? "read"
    }"/>\n`;
  }
  return xml + "  </interface>\n";
}

/** The introspection document of an object. */
export function introspectXml(
  interfaces: readonly InterfaceDef[],
  children: readonly string[],
): string {
  const own = new Set(interfaces.map((i) => i.name));
  const all = [...STANDARD.filter((i) => !own.has(i.name)), ...interfaces];
  let xml = '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
    '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n<node>\n';
  for (const i of interfaces.length > 0 ? all : []) xml += interfaceXml(i);
  for (const child of children) xml += `  <node name="${attr(child)}"/>\n`;
  return xml + "</node>\n";
}
