/**
 * The wire reader on its own: a big-endian message (libdbus on this machine only writes
 * little-endian ones, which every round-trip test covers) decodes to the same values.
 */
import assert from "node:assert/strict";
import { decodeWireBody, parseWireMessage } from "../ffi/wire.ts";
import { Variant } from "../ffi/mod.ts";

/** A minimal big-endian writer, aligned from the start of the message as the spec requires. */
class BigEndian {
  bytes: number[] = [];
  pad(n: number) {
    while (this.bytes.length % n) this.bytes.push(0);
  }
  y(v: number) {
    this.bytes.push(v);
  }
  q(v: number) {
    this.pad(2);
    this.bytes.push(v >> 8, v & 0xff);
  }
  u(v: number) {
    this.pad(4);
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  x(v: bigint) {
    this.pad(8);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, v, false);
    this.bytes.push(...b);
  }
  s(v: string) {
    const b = new TextEncoder().encode(v);
    this.u(b.length);
    this.bytes.push(...b, 0);
  }
  g(v: string) {
    this.y(v.length);
    this.bytes.push(...new TextEncoder().encode(v), 0);
  }
}

Deno.test("a big-endian message decodes: header fields, alignment, dicts and variants", () => {
  const w = new BigEndian();
  // Fixed header: 'B', METHOD_RETURN, flags, version 1, body length (patched), serial 7.
  w.bytes.push(0x42, 2, 0, 1);
  w.u(0);
  w.u(7);
  const fields = new BigEndian();
  fields.bytes = new Array(16).fill(0); // fields are aligned from the message start
  fields.pad(8);
  fields.y(5); // REPLY_SERIAL
  fields.g("u");
  fields.u(42);
  fields.pad(8);
  fields.y(8); // SIGNATURE
  fields.g("g");
  fields.g("qsa{sv}x");
  const fieldBytes = fields.bytes.slice(16);
  w.u(fieldBytes.length);
  w.bytes.push(...fieldBytes);
  w.pad(8);
  const bodyStart = w.bytes.length;
  w.q(80);
  w.s("héllo");
  // a{sv}: length, then 8-aligned entries {s, v}
  w.u(0);
  const lengthAt = w.bytes.length - 4;
  w.pad(8);
  const entriesStart = w.bytes.length;
  w.pad(8);
  w.s("port");
  w.g("q");
  w.q(8080);
  w.pad(8);
  w.s("tags");
  w.g("as");
  w.u(0);
  const tagsAt = w.bytes.length - 4;
  const tagsStart = w.bytes.length;
  w.s("a");
  w.s("bc");
  const tagsLength = w.bytes.length - tagsStart;
  w.bytes.splice(tagsAt, 4, 0, 0, 0, tagsLength);
  const dictLength = w.bytes.length - entriesStart;
  w.bytes.splice(lengthAt, 4, 0, 0, (dictLength >> 8) & 0xff, dictLength & 0xff);
  w.x(-5n);
  const bodyLength = w.bytes.length - bodyStart;
  w.bytes.splice(4, 4, 0, 0, (bodyLength >> 8) & 0xff, bodyLength & 0xff);

  const message = parseWireMessage(new Uint8Array(w.bytes));
  assert.equal(message.littleEndian, false);
  assert.equal(message.type, 2);
  assert.equal(message.serial, 7);
  assert.equal(message.replySerial, 42);
  assert.equal(message.signature, "qsa{sv}x");
  const [port, text, dict, big] = decodeWireBody(message);
  assert.equal(port, 80);
  assert.equal(text, "héllo");
  assert.ok(dict instanceof Map);
  assert.deepEqual(dict.get("port"), new Variant("q", 8080));
  assert.deepEqual(dict.get("tags"), new Variant("as", ["a", "bc"]));
  assert.equal(big, -5n);
});
