/**
 * The D-Bus variant (`v`): a value with its own signature.
 *
 * @module
 */

import { parseSignature } from "./signature.ts";

/**
 * A value together with its D-Bus type, for `v` arguments.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Variant } from "@upstart/upstart/dbus";
 * const port = new Variant("q", 8080);
 * assert.equal(port.signature, "q");
 * assert.equal(port.value, 8080);
 * ```
 */
export class Variant<T = unknown> {
  /** The value's signature: exactly one complete type. */
  readonly signature: string;
  /** The value. */
  readonly value: T;

  /**
   * Makes a variant.
   *
   * @param signature One complete D-Bus type, e.g. `s`, `a{sv}`.
   * @param value The value, as for that type.
   */
  constructor(signature: string, value: T) {
    if (parseSignature(signature).length !== 1) {
      throw new TypeError(`A variant holds exactly one complete type, not "${signature}"`);
    }
    this.signature = signature;
    this.value = value;
  }
}
