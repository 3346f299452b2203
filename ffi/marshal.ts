/**
 * Values to and from message bodies through libdbus's `DBusMessageIter`.
 * Everything is validated in TypeScript before libdbus sees it: libdbus
 * aborts the whole process on an invalid value.
 *
 * @module
 */

import type { DBusLib } from "./symbols.ts";
import { cstr, loadLibC, readCString } from "./library.ts";
import { parseSignature, signatureOf, type TypeNode } from "./signature.ts";
import { Variant } from "./variant.ts";
import { isSendableString, isValidObjectPath } from "./names.ts";

const ITER_SIZE = 128; // sizeof(DBusMessageIter) is 72 on LP64
const code = (c: string) => c.charCodeAt(0);

const INT_RANGES: Record<string, [number, number, string]> = {
  y: [0, 0xff, "byte"],
  n: [-0x8000, 0x7fff, "int16"],
  q: [0, 0xffff, "uint16"],
  i: [-0x80000000, 0x7fffffff, "int32"],
  u: [0, 0xffffffff, "uint32"],
  h: [0, 0x7fffffff, "fd"],
};
const BIG_RANGES: Record<string, [bigint, bigint, string]> = {
  x: [-(2n ** 63n), 2n ** 63n - 1n, "int64"],
  t: [0n, 2n ** 64n - 1n, "uint64"],
};

function describe(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v);
  if (typeof v === "bigint") return `${v}n`;
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return `a ${v.constructor?.name ?? "object"}`;
  return String(v);
}

function fail(where: string, why: string): never {
  throw new TypeError(`${where}: ${why}`);
}

/**
 * Validates `body` against `signature` without touching libdbus.
 *
 * @param signature The body's signature.
 * @param body One value per complete type.
 * @throws {TypeError} saying where and why a value does not fit.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkBody } from "./marshal.ts";
 * checkBody("sas", ["cron", ["A=1"]]);
 * assert.throws(() => checkBody("sas", ["cron", [1]]), TypeError);
 * ```
 */
export function checkBody(signature: string, body: readonly unknown[]): void {
  const types = parseSignature(signature);
  if (!Array.isArray(body)) throw new TypeError("body must be an array");
  if (body.length !== types.length) {
    throw new TypeError(
      `Signature "${signature}" needs ${types.length} value(s), got ${body.length}`,
    );
  }
  types.forEach((t, i) => checkValue(t, body[i], `arg ${i}: ${signatureOf(t)}`, 0));
}

function entriesOf(value: unknown, where: string): Iterable<[unknown, unknown]> {
  if (value instanceof Map) return value.entries();
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return Object.entries(value);
  }
  return fail(where, `expected a Map or a plain object, got ${describe(value)}`);
}

function keyFor(node: TypeNode, key: unknown, fromObject: boolean): unknown {
  if (!fromObject || node.kind !== "basic" || typeof key !== "string") return key;
  if ("ybnqiuhd".includes(node.code)) return Number(key);
  if (node.code === "x" || node.code === "t") {
    try {
      return BigInt(key);
    } catch {
      return key;
    }
  }
  if (node.code === "b") return key === "true" ? true : key === "false" ? false : key;
  return key;
}

function checkValue(node: TypeNode, value: unknown, where: string, depth: number): void {
  if (depth > 64) fail(where, "nested deeper than D-Bus allows (64)");
  switch (node.kind) {
    case "basic":
      return checkBasic(node.code, value, where);
    case "variant": {
      if (!(value instanceof Variant)) fail(where, `expected a Variant, got ${describe(value)}`);
      const inner = parseSignature(value.signature)[0];
      return checkValue(inner, value.value, `${where}<${value.signature}>`, depth + 1);
    }
    case "array": {
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
        fail(where, `expected an array, got ${describe(value)}`);
      }
      const items = value as ArrayLike<unknown>;
      for (let i = 0; i < items.length; i++) {
        checkValue(node.element, items[i], `${where}[${i}]`, depth + 1);
      }
      return;
    }
    case "dict": {
      const fromObject = !(value instanceof Map);
      for (const [k, v] of entriesOf(value, where)) {
        const key = keyFor(node.key, k, fromObject);
        checkValue(node.key, key, `${where} key ${describe(k)}`, depth + 1);
        checkValue(node.value, v, `${where}[${describe(k)}]`, depth + 1);
      }
      return;
    }
    case "struct": {
      if (!Array.isArray(value)) fail(where, `expected an array (struct), got ${describe(value)}`);
      if (value.length !== node.fields.length) {
        fail(where, `a struct of ${node.fields.length} field(s), got ${value.length}`);
      }
      node.fields.forEach((f, i) => checkValue(f, value[i], `${where}[${i}]`, depth + 1));
      return;
    }
  }
}

function checkBasic(c: string, value: unknown, where: string): void {
  const range = INT_RANGES[c];
  if (range) {
    if (typeof value !== "number" || !Number.isInteger(value)) {
      fail(where, `expected an integer, got ${describe(value)}`);
    }
    if (value < range[0] || value > range[1]) {
      throw new RangeError(`${where}: ${value} is out of range for ${c} (${range[2]})`);
    }
    return;
  }
  const big = BIG_RANGES[c];
  if (big) {
    let v: bigint;
    if (typeof value === "bigint") v = value;
    else if (typeof value === "number" && Number.isSafeInteger(value)) v = BigInt(value);
    else return fail(where, `expected a bigint, got ${describe(value)}`);
    if (v < big[0] || v > big[1]) {
      throw new RangeError(`${where}: ${v} is out of range for ${c} (${big[2]})`);
    }
    return;
  }
  switch (c) {
    case "b":
      if (typeof value !== "boolean") fail(where, `expected a boolean, got ${describe(value)}`);
      return;
    case "d":
      if (typeof value !== "number") fail(where, `expected a number, got ${describe(value)}`);
      return;
    case "s":
      if (typeof value !== "string") fail(where, `expected a string, got ${describe(value)}`);
      if (!isSendableString(value)) {
        fail(where, `${describe(value)} contains a NUL or invalid UTF-16 (lone surrogate)`);
      }
      return;
    case "o":
      if (!isValidObjectPath(value)) fail(where, `invalid object path ${describe(value)}`);
      return;
    case "g":
      if (typeof value !== "string") fail(where, `expected a signature, got ${describe(value)}`);
      try {
        parseSignature(value);
      } catch (e) {
        fail(where, (e as Error).message);
      }
      return;
  }
}

/** Scratch space reused for every basic value appended or read. */
const scratch = new Uint8Array(8);
const scratchView = new DataView(scratch.buffer);

/**
 * Validates `body`, then appends it to `msg`.
 *
 * @param lib libdbus.
 * @param msg The message being built.
 * @param signature The body's signature.
 * @param body One value per complete type.
 * @example A body written, then read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDBus } from "./library.ts";
 * import { appendBody, readBody } from "./marshal.ts";
 * import { newSignal } from "./message.ts";
 * const lib = loadDBus();
 * const msg = newSignal(lib, { path: "/a", interface: "org.example.A", member: "B" });
 * appendBody(lib, msg, "sb", ["cron", true]);
 * assert.deepEqual(readBody(lib, msg), ["cron", true]);
 * lib.dbus_message_unref(msg);
 * ```
 */
export function appendBody(
  lib: DBusLib,
  msg: Deno.PointerObject,
  signature: string,
  body: readonly unknown[],
): void {
  checkBody(signature, body);
  if (body.length === 0) return;
  const iter = new Uint8Array(ITER_SIZE);
  lib.dbus_message_iter_init_append(msg, iter);
  parseSignature(signature).forEach((t, i) => appendValue(lib, iter, t, body[i]));
}

function oom(): never {
  throw new RangeError("libdbus is out of memory");
}

function appendValue(lib: DBusLib, iter: Uint8Array, node: TypeNode, value: unknown): void {
  switch (node.kind) {
    case "basic":
      return appendBasic(lib, iter, node.code, value);
    case "variant": {
      const v = value as Variant;
      const sub = new Uint8Array(ITER_SIZE);
      if (!lib.dbus_message_iter_open_container(iter, code("v"), cstr(v.signature), sub)) oom();
      appendValue(lib, sub, parseSignature(v.signature)[0], v.value);
      if (!lib.dbus_message_iter_close_container(iter, sub)) oom();
      return;
    }
    case "array": {
      const sub = new Uint8Array(ITER_SIZE);
      const items = value as ArrayLike<unknown>;
      if (
        !lib.dbus_message_iter_open_container(iter, code("a"), cstr(signatureOf(node.element)), sub)
      ) oom();
      for (let i = 0; i < items.length; i++) appendValue(lib, sub, node.element, items[i]);
      if (!lib.dbus_message_iter_close_container(iter, sub)) oom();
      return;
    }
    case "dict": {
      const sub = new Uint8Array(ITER_SIZE);
      const entrySig = `{${signatureOf(node.key)}${signatureOf(node.value)}}`;
      if (!lib.dbus_message_iter_open_container(iter, code("a"), cstr(entrySig), sub)) oom();
      const fromObject = !(value instanceof Map);
      for (const [k, v] of entriesOf(value, "")) {
        const entry = new Uint8Array(ITER_SIZE);
        if (!lib.dbus_message_iter_open_container(sub, code("e"), null, entry)) oom();
        appendValue(lib, entry, node.key, keyFor(node.key, k, fromObject));
        appendValue(lib, entry, node.value, v);
        if (!lib.dbus_message_iter_close_container(sub, entry)) oom();
      }
      if (!lib.dbus_message_iter_close_container(iter, sub)) oom();
      return;
    }
    case "struct": {
      const sub = new Uint8Array(ITER_SIZE);
      if (!lib.dbus_message_iter_open_container(iter, code("r"), null, sub)) oom();
      node.fields.forEach((f, i) => appendValue(lib, sub, f, (value as unknown[])[i]));
      if (!lib.dbus_message_iter_close_container(iter, sub)) oom();
      return;
    }
  }
}

function appendBasic(lib: DBusLib, iter: Uint8Array, c: string, value: unknown): void {
  let keep: Uint8Array | undefined; // a C string libdbus reads during the call
  switch (c) {
    case "y":
      scratchView.setUint8(0, value as number);
      break;
    case "b":
      scratchView.setUint32(0, value ? 1 : 0, true);
      break;
    case "n":
      scratchView.setInt16(0, value as number, true);
      break;
    case "q":
      scratchView.setUint16(0, value as number, true);
      break;
    case "i":
    case "h":
      scratchView.setInt32(0, value as number, true);
      break;
    case "u":
      scratchView.setUint32(0, value as number, true);
      break;
    case "x":
      scratchView.setBigInt64(0, BigInt(value as bigint), true);
      break;
    case "t":
      scratchView.setBigUint64(0, BigInt(value as bigint), true);
      break;
    case "d":
      scratchView.setFloat64(0, value as number, true);
      break;
    default: // s o g: a pointer to a C string
      keep = cstr(value as string);
      scratchView.setBigUint64(
        0,
        BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(keep))),
        true,
      );
  }
  if (!lib.dbus_message_iter_append_basic(iter, code(c), scratch)) oom();
  keep = undefined;
}

/**
 * Reads every value of a message's body. Mapping: `y n q i u d h` number,
 * `x t` bigint, `b` boolean, `s o g` string, arrays (including `ay`) arrays,
 * dicts `Map`, structs arrays, variants {@linkcode Variant}.
 *
 * @param lib libdbus.
 * @param msg A received (or built) message.
 * @returns The values.
 * @example Dicts come back as a `Map`
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadDBus } from "./library.ts";
 * import { appendBody, readBody } from "./marshal.ts";
 * import { newSignal } from "./message.ts";
 * const lib = loadDBus();
 * const msg = newSignal(lib, { path: "/a", interface: "org.example.A", member: "B" });
 * appendBody(lib, msg, "a{su}", [{ web: 80 }]);
 * assert.deepEqual(readBody(lib, msg), [new Map([["web", 80]])]);
 * lib.dbus_message_unref(msg);
 * ```
 */
export function readBody(lib: DBusLib, msg: Deno.PointerObject): unknown[] {
  const iter = new Uint8Array(ITER_SIZE);
  if (!lib.dbus_message_iter_init(msg, iter)) return [];
  return readAll(lib, iter);
}

function readAll(lib: DBusLib, iter: Uint8Array): unknown[] {
  const out: unknown[] = [];
  for (;;) {
    const type = lib.dbus_message_iter_get_arg_type(iter);
    if (type === 0) return out;
    out.push(readValue(lib, iter, type));
    lib.dbus_message_iter_next(iter);
  }
}

function readValue(lib: DBusLib, iter: Uint8Array, type: number): unknown {
  const c = String.fromCharCode(type);
  switch (c) {
    case "a": {
      const sub = new Uint8Array(ITER_SIZE);
      const isDict = lib.dbus_message_iter_get_element_type(iter) === code("e");
      lib.dbus_message_iter_recurse(iter, sub);
      if (!isDict) return readAll(lib, sub);
      const map = new Map<unknown, unknown>();
      for (;;) {
        if (lib.dbus_message_iter_get_arg_type(sub) === 0) return map;
        const entry = new Uint8Array(ITER_SIZE);
        lib.dbus_message_iter_recurse(sub, entry);
        const [k, v] = readAll(lib, entry);
        map.set(k, v);
        lib.dbus_message_iter_next(sub);
      }
    }
    case "r":
    case "e": {
      const sub = new Uint8Array(ITER_SIZE);
      lib.dbus_message_iter_recurse(iter, sub);
      return readAll(lib, sub);
    }
    case "v": {
      const sub = new Uint8Array(ITER_SIZE);
      lib.dbus_message_iter_recurse(iter, sub);
      const sigPtr = lib.dbus_message_iter_get_signature(sub);
      const signature = readCString(sigPtr) ?? "";
      lib.dbus_free(sigPtr);
      return new Variant(signature, readValue(lib, sub, lib.dbus_message_iter_get_arg_type(sub)));
    }
  }
  scratchView.setBigUint64(0, 0n);
  lib.dbus_message_iter_get_basic(iter, scratch);
  switch (c) {
    case "y":
      return scratchView.getUint8(0);
    case "b":
      return scratchView.getUint32(0, true) !== 0;
    case "n":
      return scratchView.getInt16(0, true);
    case "q":
      return scratchView.getUint16(0, true);
    case "i":
    case "h":
      return scratchView.getInt32(0, true);
    case "u":
      return scratchView.getUint32(0, true);
    case "x":
      return scratchView.getBigInt64(0, true);
    case "t":
      return scratchView.getBigUint64(0, true);
    case "d":
      return scratchView.getFloat64(0, true);
    case "s":
    case "o":
    case "g":
      return readCString(Deno.UnsafePointer.create(scratchView.getBigUint64(0, true))) ?? "";
  }
  throw new TypeError(`Unknown D-Bus type code "${c}" in a received message`);
}

/**
 * Closes every Unix file descriptor (`h`) among `values` read with `signature`: each one read
 * from a message is a duplicate its reader owns, so one nobody keeps must be closed.
 *
 * @param signature The values' signature (a reply's or signal's).
 * @param values The values, as `readBody` returned them.
 * @returns How many descriptors were closed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closeUnixFds } from "@upstart/upstart/dbus";
 * assert.equal(closeUnixFds("s", ["no descriptors here"]), 0);
 * ```
 */
export function closeUnixFds(signature: string, values: readonly unknown[]): number {
  if (!signature.includes("h") && !signature.includes("v")) return 0;
  let closed = 0;
  const walk = (node: TypeNode, value: unknown): void => {
    switch (node.kind) {
      case "basic":
        if (node.code === "h" && typeof value === "number" && value >= 0) {
          loadLibC().close(value);
          closed++;
        }
        return;
      case "variant":
        if (value instanceof Variant) walk(parseSignature(value.signature)[0], value.value);
        return;
      case "array":
        if (Array.isArray(value)) { for (const item of value) walk(node.element, item); }
        return;
      case "dict":
        if (value instanceof Map) {
          for (const [k, v] of value) {
            walk(node.key, k);
            walk(node.value, v);
          }
        }
        return;
      case "struct":
        if (Array.isArray(value)) node.fields.forEach((f, i) => walk(f, value[i]));
        return;
    }
  };
  parseSignature(signature).forEach((node, i) => walk(node, values[i]));
  return closed;
}
