/**
 * Building and reading whole messages: the one place that turns call options
 * into a `DBusMessage*` and a received `DBusMessage*` into plain data.
 *
 * @module
 */

import type { DBusLib } from "./symbols.ts";
import { cstr, readCString } from "./library.ts";
import { appendBody, readBody } from "./marshal.ts";
import { assertBusName, assertInterfaceName, assertMemberName, assertObjectPath } from "./names.ts";

/** Message type codes (`DBUS_MESSAGE_TYPE_*`). */
export const MessageType = {
  METHOD_CALL: 1,
  METHOD_RETURN: 2,
  ERROR: 3,
  SIGNAL: 4,
} as const;

/** The header fields of a received message that routing needs. */
export interface MessageHeader {
  readonly type: number;
  readonly serial: number;
  readonly replySerial: number;
  readonly sender: string | null;
  readonly destination: string | null;
  readonly path: string | null;
  readonly interface: string | null;
  readonly member: string | null;
  readonly errorName: string | null;
  readonly signature: string;
  readonly noReply: boolean;
}

/** Reads the routing fields of `msg`. */
export function readHeader(
  lib: DBusLib,
  msg: Deno.PointerObject,
  type: number = lib.dbus_message_get_type(msg),
): MessageHeader {
  if (type === MessageType.METHOD_RETURN || type === MessageType.ERROR) {
    // Replies are routed by serial alone: skip the fields nobody reads (the hot path).
    return {
      type,
      serial: 0,
      replySerial: lib.dbus_message_get_reply_serial(msg),
      sender: null,
      destination: null,
      path: null,
      interface: null,
      member: null,
      errorName: type === MessageType.ERROR
        ? readCString(lib.dbus_message_get_error_name(msg))
        : null,
      signature: "",
      noReply: false,
    };
  }
  return {
    type,
    serial: lib.dbus_message_get_serial(msg),
    replySerial: 0,
    sender: readCString(lib.dbus_message_get_sender(msg)),
    destination: readCString(lib.dbus_message_get_destination(msg)),
    path: readCString(lib.dbus_message_get_path(msg)),
    interface: readCString(lib.dbus_message_get_interface(msg)),
    member: readCString(lib.dbus_message_get_member(msg)),
    errorName: null,
    signature: readCString(lib.dbus_message_get_signature(msg)) ?? "",
    noReply: type === MessageType.METHOD_CALL && lib.dbus_message_get_no_reply(msg) !== 0,
  };
}

/** C copies of names already validated: calls repeat the same few, and validating is not free. */
const checkedNames = new Map<string, Uint8Array<ArrayBuffer>>();

function checkedName(value: string, check: (s: string, what: string) => void, what: string) {
  const key = what[0] + value;
  let bytes = checkedNames.get(key);
  if (bytes === undefined) {
    check(value, what);
    bytes = cstr(value);
    if (checkedNames.size > 1024) checkedNames.clear();
    checkedNames.set(key, bytes);
  }
  return bytes;
}

/** What a method call is made of. */
export interface MethodCall {
  /** The bus name to send to; omit on peer-to-peer connections. */
  readonly destination?: string;
  /** The object path. */
  readonly path: string;
  /** The interface; optional in D-Bus, but set it unless you know better. */
  readonly interface?: string;
  /** The method name. */
  readonly member: string;
  /** The body's signature (default: empty). */
  readonly signature?: string;
  /** The arguments, one per complete type of `signature`. */
  readonly body?: readonly unknown[];
}

/** The fields of a signal to emit. */
export interface SignalEmission {
  /** The object path the signal comes from. */
  readonly path: string;
  /** The interface of the signal. */
  readonly interface: string;
  /** The signal name. */
  readonly member: string;
  /** The body's signature (default: empty). */
  readonly signature?: string;
  /** The values, one per complete type of `signature`. */
  readonly body?: readonly unknown[];
  /** A unicast destination; omit to broadcast. */
  readonly destination?: string;
}

/**
 * Makes a method call message; validates every name first (libdbus aborts on
 * invalid ones). The caller owns the returned message.
 */
export function newMethodCall(lib: DBusLib, call: MethodCall): Deno.PointerObject {
  const msg = lib.dbus_message_new_method_call(
    call.destination === undefined
      ? null
      : checkedName(call.destination, assertBusName, "destination"),
    checkedName(call.path, assertObjectPath, "path"),
    call.interface === undefined
      ? null
      : checkedName(call.interface, assertInterfaceName, "interface"),
    checkedName(call.member, assertMemberName, "member"),
  );
  return withBody(lib, nonNull(msg), call.signature ?? "", call.body ?? []);
}

/** Makes a signal message; validates every name first. The caller owns it. */
export function newSignal(lib: DBusLib, signal: SignalEmission): Deno.PointerObject {
  assertObjectPath(signal.path, "path");
  assertInterfaceName(signal.interface, "interface");
  assertMemberName(signal.member, "member");
  if (signal.destination !== undefined) assertBusName(signal.destination, "destination");
  const msg = nonNull(
    lib.dbus_message_new_signal(cstr(signal.path), cstr(signal.interface), cstr(signal.member)),
  );
  if (signal.destination !== undefined) {
    lib.dbus_message_set_destination(msg, cstr(signal.destination));
  }
  return withBody(lib, msg, signal.signature ?? "", signal.body ?? []);
}

/** Appends `body` to `msg`, unref'ing the message if the body is invalid. */
export function withBody(
  lib: DBusLib,
  msg: Deno.PointerObject,
  signature: string,
  body: readonly unknown[],
): Deno.PointerObject {
  try {
    appendBody(lib, msg, signature, body);
    return msg;
  } catch (e) {
    lib.dbus_message_unref(msg);
    throw e;
  }
}

/** Reads a message's body (re-exported so callers need only this module). */
export { readBody };

/** libdbus returns NULL only when out of memory. */
export function nonNull<T>(ptr: T | null): T {
  if (ptr === null) throw new RangeError("libdbus is out of memory");
  return ptr;
}
