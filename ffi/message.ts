/**
 * Building and reading whole messages: the one place that turns call options
 * into a `DBusMessage*` and a received `DBusMessage*` into plain data.
 *
 * @module
 */

import type { DBusLib } from "./symbols.ts";
import { cstr } from "./library.ts";
import { appendBody, readBody as readBodyByIterator } from "./marshal.ts";
import { decodeWireBody, parseWireMessage, type WireMessage } from "./wire.ts";
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
  /** The message in wire form, for `readBody` (absent when descriptors travel with it). */
  readonly wire: WireMessage | null;
}

const NO_REPLY_EXPECTED = 0x1;
const marshalled = new BigUint64Array(1);
const marshalledLength = new Int32Array(1);

/**
 * Reads the header of `msg` from its wire form: one `dbus_message_marshal` call (the bytes are
 * copied out and libdbus's copy freed at once), then plain decoding.
 */
export function readHeader(lib: DBusLib, msg: Deno.PointerObject): MessageHeader {
  if (!lib.dbus_message_marshal(msg, marshalled, marshalledLength)) {
    throw new RangeError("libdbus is out of memory");
  }
  const data = Deno.UnsafePointer.create(marshalled[0])!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(data, marshalledLength[0]),
    ).slice();
  } finally {
    lib.dbus_free(data);
  }
  const wire = parseWireMessage(bytes);
  return {
    type: wire.type,
    serial: wire.serial,
    replySerial: wire.replySerial,
    sender: wire.sender,
    destination: wire.destination,
    path: wire.path,
    interface: wire.interface,
    member: wire.member,
    errorName: wire.errorName,
    signature: wire.signature,
    noReply: wire.type === MessageType.METHOD_CALL && (wire.flags & NO_REPLY_EXPECTED) !== 0,
    // Descriptors (even inside a variant) are handed out by libdbus's iterators only.
    wire: wire.unixFds > 0 || wire.signature.includes("h") ? null : wire,
  };
}

/**
 * Reads every value of a received message's body: from its wire form when the header carries
 * it, else (a body with Unix fds, whose duplicates libdbus hands out) through the iterators.
 */
export function readBody(lib: DBusLib, msg: Deno.PointerObject, header: MessageHeader): unknown[] {
  return header.wire ? decodeWireBody(header.wire) : readBodyByIterator(lib, msg);
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

/** libdbus returns NULL only when out of memory. */
export function nonNull<T>(ptr: T | null): T {
  if (ptr === null) throw new RangeError("libdbus is out of memory");
  return ptr;
}
