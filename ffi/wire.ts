/**
 * Reading a received message from its wire form: one `dbus_message_marshal`
 * call copies the whole message out of libdbus, and its header and body are
 * decoded here, as the D-Bus specification lays them out. Reading through
 * `DBusMessageIter` costs several FFI calls per value (and a symbol binding
 * for each function a short-lived process first uses); this costs one call
 * per message. A body holding Unix file descriptors (`h`) is read through the
 * iterators instead: the wire form carries only their indices.
 *
 * @module
 */

import { parseSignature, type TypeNode } from "./signature.ts";
import { Variant } from "./variant.ts";

/** The header fields of a message, as `dbus_message_marshal` wrote them. */
export interface WireMessage {
  readonly type: number;
  readonly flags: number;
  readonly serial: number;
  readonly replySerial: number;
  readonly path: string | null;
  readonly interface: string | null;
  readonly member: string | null;
  readonly errorName: string | null;
  readonly destination: string | null;
  readonly sender: string | null;
  readonly signature: string;
  /** How many Unix file descriptors travel with the message (their indices are in the body). */
  readonly unixFds: number;
  /** Where the body starts in `bytes`. */
  readonly bodyOffset: number;
  readonly littleEndian: boolean;
  readonly bytes: Uint8Array;
}

const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * UTF-8 to a string. Names, paths and most values are short and ASCII: building those directly
 * skips TextDecoder's fixed cost, most of the cost of reading a small reply.
 */
function decodeString(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (bytes[i] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
    }
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** A cursor over the bytes of one message (alignment is relative to its start). */
class Reader {
  readonly view: DataView;
  readonly bytes: Uint8Array;
  readonly le: boolean;
  pos: number;

  constructor(bytes: Uint8Array, pos: number, le: boolean) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = le;
    this.pos = pos;
  }

  align(n: number): void {
    this.pos = (this.pos + n - 1) & ~(n - 1);
  }

  u8(): number {
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.align(4);
    const v = this.view.getUint32(this.pos, this.le);
    this.pos += 4;
    return v;
  }

  string(length: number): string {
    const s = decodeString(this.bytes, this.pos, this.pos + length);
    this.pos += length + 1; // and its NUL
    return s;
  }

  signature(): string {
    return this.string(this.u8());
  }
}

const ALIGN: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  v: 1,
};

function alignOf(node: TypeNode): number {
  switch (node.kind) {
    case "basic":
      return ALIGN[node.code];
    case "variant":
      return 1;
    case "array":
      return 4;
    case "dict":
    case "struct":
      return 8;
  }
}

/**
 * Parses the header of a marshalled message.
 *
 * @param bytes The whole message, as `dbus_message_marshal` gives it (libdbus validated it).
 * @returns Its header fields and where its body starts.
 */
export function parseWireMessage(bytes: Uint8Array): WireMessage {
  const le = bytes[0] === 0x6c; // 'l'
  const r = new Reader(bytes, 4, le);
  r.u32(); // body length
  const serial = r.u32();
  const fieldsEnd = r.u32() + 16;
  const fields: (string | number | null)[] = new Array(10).fill(null); // codes 1 to 9
  while (r.pos < fieldsEnd) {
    r.align(8);
    const code = r.u8();
    const sig = r.signature();
    const value = readValue(r, parseSignature(sig)[0], 0);
    if (code < fields.length) fields[code] = value as string | number;
  }
  r.pos = fieldsEnd;
  r.align(8);
  return {
    type: bytes[1],
    flags: bytes[2],
    serial,
    replySerial: (fields[5] as number | null) ?? 0,
    path: fields[1] as string | null,
    interface: fields[2] as string | null,
    member: fields[3] as string | null,
    errorName: fields[4] as string | null,
    destination: fields[6] as string | null,
    sender: fields[7] as string | null,
    signature: (fields[8] as string | null) ?? "",
    unixFds: (fields[9] as number | null) ?? 0,
    bodyOffset: r.pos,
    littleEndian: le,
    bytes,
  };
}

/**
 * Decodes a marshalled message's body with the binding's mapping (`y n q i u d` number, `x t`
 * bigint, `b` boolean, `s o g` string, arrays arrays, dicts `Map`, structs arrays, variants
 * `Variant`).
 *
 * @param message The parsed message (its signature holds no `h`).
 * @returns The values.
 */
export function decodeWireBody(message: WireMessage): unknown[] {
  const r = new Reader(message.bytes, message.bodyOffset, message.littleEndian);
  return parseSignature(message.signature).map((node) => readValue(r, node, 0));
}

function readValue(r: Reader, node: TypeNode, depth: number): unknown {
  switch (node.kind) {
    case "basic":
      return readBasic(r, node.code);
    case "variant": {
      const sig = r.signature();
      const inner = parseSignature(sig)[0];
      return new Variant(sig, readValue(r, inner, depth + 1));
    }
    case "array": {
      const length = r.u32();
      r.align(alignOf(node.element));
      const end = r.pos + length;
      const out: unknown[] = [];
      while (r.pos < end) out.push(readValue(r, node.element, depth + 1));
      return out;
    }
    case "dict": {
      const length = r.u32();
      r.align(8);
      const end = r.pos + length;
      const map = new Map<unknown, unknown>();
      while (r.pos < end) {
        r.align(8);
        const key = readValue(r, node.key, depth + 1);
        map.set(key, readValue(r, node.value, depth + 1));
      }
      return map;
    }
    case "struct": {
      r.align(8);
      return node.fields.map((f) => readValue(r, f, depth + 1));
    }
  }
}

function readBasic(r: Reader, code: string): unknown {
  const { view, le } = r;
  switch (code) {
    case "y":
      return r.u8();
    case "b":
      return r.u32() !== 0;
    case "n":
    case "q": {
      r.align(2);
      const v = code === "n" ? view.getInt16(r.pos, le) : view.getUint16(r.pos, le);
      r.pos += 2;
      return v;
    }
    case "i":
    case "h": {
      r.align(4);
      const v = view.getInt32(r.pos, le);
      r.pos += 4;
      return v;
    }
    case "u":
      return r.u32();
    case "x":
    case "t":
    case "d": {
      r.align(8);
      const v = code === "x"
        ? view.getBigInt64(r.pos, le)
        : code === "t"
        ? view.getBigUint64(r.pos, le)
        : view.getFloat64(r.pos, le);
      r.pos += 8;
      return v;
    }
    case "s":
    case "o":
      return r.string(r.u32());
    case "g":
      return r.signature();
  }
  throw new TypeError(`Unknown D-Bus type code "${code}" in a received message`);
}
