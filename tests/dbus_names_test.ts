/**
 * Our name, path and signature validators agree with libdbus's own: libdbus aborts the process
 * on an invalid one, so ours must never accept what it rejects. (For unique bus names ours
 * follows the specification, which wants two elements, where libdbus also takes `:a`.)
 */
import assert from "node:assert/strict";
import { cstr, loadDBus } from "../ffi/library.ts";
import {
  isValidBusName,
  isValidInterfaceName,
  isValidMemberName,
  isValidObjectPath,
  parseSignature,
} from "../ffi/mod.ts";

// A small seeded generator over the characters that matter to these grammars.
function* strings(count: number, alphabet: string, maxLength: number): Generator<string> {
  let seed = 0x2545f491;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    let s = "";
    const n = Math.floor(next() * maxLength);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(next() * alphabet.length)];
    yield s;
  }
}

function validSignature(s: string): boolean {
  try {
    parseSignature(s);
    return true;
  } catch {
    return false;
  }
}

Deno.test("validators agree with libdbus on 20,000 generated strings each", () => {
  const lib = loadDBus();
  type Case = [string, (s: string) => boolean, (p: Uint8Array<ArrayBuffer>) => number, string];
  const cases: Case[] = [
    ["path", isValidObjectPath, (p) => lib.dbus_validate_path(p, null), "/a_1./"],
    ["interface", isValidInterfaceName, (p) => lib.dbus_validate_interface(p, null), "ab_1.-"],
    ["member", isValidMemberName, (p) => lib.dbus_validate_member(p, null), "ab_1.-"],
    ["bus name", isValidBusName, (p) => lib.dbus_validate_bus_name(p, null), "ab_1.-:"],
    ["signature", validSignature, (p) => lib.dbus_signature_validate(p, null), "ybsavi(){}xh"],
  ];
  for (const [what, ours, theirs, alphabet] of cases) {
    for (const s of strings(20_000, alphabet, 14)) {
      const [a, b] = [ours(s), theirs(cstr(s)) === 1];
      if (what === "bus name" && s.startsWith(":")) assert.ok(!a || b, `${what} ${s}`);
      else assert.equal(a, b, `${what} ${JSON.stringify(s)}`);
    }
  }
});
