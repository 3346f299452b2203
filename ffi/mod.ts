/**
 * A thin, complete D-Bus binding over libdbus-1 through `Deno.dlopen`:
 * connections to buses and peers, method calls, properties, signals and
 * serving objects, with the whole D-Bus type system marshalled from
 * signature strings. libdbus is loaded on the first connection.
 *
 * @example Call a method, read a property, subscribe to a signal
 * ```ts
 * import assert from "node:assert/strict";
 * import { Connection } from "@upstart/upstart/dbus";
 *
 * await using bus = await Connection.session();
 * const [id] = await bus.call({
 *   destination: "org.freedesktop.DBus",
 *   path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus",
 *   member: "GetId",
 * });
 * const features = await bus.getProperty({
 *   destination: "org.freedesktop.DBus",
 *   path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus",
 *   name: "Features",
 * });
 * await using sub = await bus.subscribe({ member: "NameOwnerChanged" }, (s) => console.log(s.body));
 * assert.equal(typeof id, "string");
 * assert.ok(Array.isArray(features));
 * ```
 *
 * @module
 */

export { Connection } from "./connection.ts";
export type { CallOptions, OpenOptions, PropertyAddress, RequestNameReply } from "./connection.ts";
export type { MethodCall, SignalEmission } from "./message.ts";
export type {
  MatchRule,
  SignalHandler,
  SignalMessage,
  StreamOptions,
  Subscription,
} from "./signals.ts";
export { DEFAULT_MAX_QUEUED, matchRuleString } from "./signals.ts";
export type {
  ExportedObject,
  IncomingCall,
  InterfaceDef,
  MethodDef,
  PropertyDef,
  SignalDef,
  SubtreeResolver,
} from "./serve.ts";
export { interfaceXml } from "./serve.ts";
export { Variant } from "./variant.ts";
export {
  ConnectionClosedError,
  DBusError,
  DisconnectedError,
  LibraryLoadError,
  SignalOverflowError,
  TimeoutError,
} from "./errors.ts";
export * from "./names.ts";
export * from "./signature.ts";
export { LIBDBUS_ENV } from "./library.ts";
export { closeFileDescriptor, processUid, reapChild, signalProcess } from "./process.ts";
export { closeUnixFds } from "./marshal.ts";
