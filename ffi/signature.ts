/**
 * D-Bus signatures: parsed into type trees, validated as libdbus would.
 *
 * @module
 */

/** A parsed complete type. */
export type TypeNode =
  | { readonly kind: "basic"; readonly code: string }
  | { readonly kind: "array"; readonly element: TypeNode }
  | { readonly kind: "dict"; readonly key: TypeNode; readonly value: TypeNode }
  | { readonly kind: "struct"; readonly fields: readonly TypeNode[] }
  | { readonly kind: "variant" };

const BASIC = "ybnqiuxtdsogh";
const cache = new Map<string, readonly TypeNode[]>();

/**
 * Parses a signature into its complete types (cached).
 *
 * @param signature E.g. `"sa{sv}"`.
 * @returns One node per complete type.
 * @throws {TypeError} when the signature is invalid.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSignature } from "@upstart/upstart/dbus";
 * assert.equal(parseSignature("sa{sv}").length, 2);
 * ```
 */
export function parseSignature(signature: string): readonly TypeNode[] {
  const cached = cache.get(signature);
  if (cached) return cached;
  if (typeof signature !== "string") throw new TypeError("A signature must be a string");
  if (signature.length > 255) {
    throw new TypeError(`Invalid signature "${signature}": longer than 255 characters`);
  }
  const types: TypeNode[] = [];
  const state = { pos: 0, arrays: 0, structs: 0 };
  while (state.pos < signature.length) types.push(parseOne(signature, state));
  if (cache.size < 4096) cache.set(signature, types);
  return types;
}

/**
 * Parses a signature that must hold exactly one complete type.
 *
 * @param signature E.g. `"a{sv}"`.
 * @returns Its type node.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSingleType } from "@upstart/upstart/dbus";
 * assert.equal(parseSingleType("as").kind, "array");
 * ```
 */
export function parseSingleType(signature: string): TypeNode {
  const types = parseSignature(signature);
  if (types.length !== 1) {
    throw new TypeError(`Expected one complete type, not "${signature}"`);
  }
  return types[0];
}

/**
 * The signature text of a type node.
 *
 * @param node A parsed type.
 * @returns Its signature, e.g. `a{sv}`.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSingleType, signatureOf } from "@upstart/upstart/dbus";
 * assert.equal(signatureOf(parseSingleType("a(si)")), "a(si)");
 * ```
 */
export function signatureOf(node: TypeNode): string {
  switch (node.kind) {
    case "basic":
      return node.code;
    case "variant":
      return "v";
    case "array":
      return "a" + signatureOf(node.element);
    case "dict":
      return `a{${signatureOf(node.key)}${signatureOf(node.value)}}`;
    case "struct":
      return `(${node.fields.map(signatureOf).join("")})`;
  }
}

function parseOne(sig: string, st: { pos: number; arrays: number; structs: number }): TypeNode {
  const fail = (why: string): never => {
    throw new TypeError(`Invalid signature "${sig}": ${why}`);
  };
  const c = sig[st.pos++];
  if (c === undefined) return fail("incomplete type");
  if (BASIC.includes(c)) return { kind: "basic", code: c };
  if (c === "v") return { kind: "variant" };
  if (c === "a") {
    if (++st.arrays > 32) fail("arrays nested deeper than 32");
    let node: TypeNode;
    if (sig[st.pos] === "{") {
      st.pos++;
      const key = parseOne(sig, st);
      if (key.kind !== "basic") fail("a dict key must be a basic type");
      const value = parseOne(sig, st);
      if (sig[st.pos++] !== "}") fail("a dict entry holds exactly two types");
      node = { kind: "dict", key, value };
    } else {
      node = { kind: "array", element: parseOne(sig, st) };
    }
    st.arrays--;
    return node;
  }
  if (c === "(") {
    if (++st.structs > 32) fail("structs nested deeper than 32");
    const fields: TypeNode[] = [];
    while (sig[st.pos] !== ")") {
      if (st.pos >= sig.length) fail("unclosed struct");
      fields.push(parseOne(sig, st));
    }
    st.pos++;
    if (fields.length === 0) fail("empty struct");
    st.structs--;
    return { kind: "struct", fields };
  }
  return fail(`unexpected "${c}" at ${st.pos - 1}`);
}
