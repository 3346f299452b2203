/**
 * `Introspect` as a real Upstart answers it: libnih's `nih_dbus_object_introspect` writes
 * `<node name="PATH">`, the object's own interfaces, then `org.freedesktop.DBus.Properties` and
 * `org.freedesktop.DBus.Introspectable` with libnih's argument names (no `Peer`, which libdbus
 * answers itself), then the child nodes. Observed against Upstart 1.13.2 with
 * tests/support/compare_upstart.ts ("introspect").
 *
 * @module
 */

import { type InterfaceDef, interfaceXml } from "../../ffi/mod.ts";

const INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";

const HEAD = '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n' +
  '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n';

const TAIL = `  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
    <method name="Set">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="in"/>
    </method>
    <method name="GetAll">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="props" type="a{sv}" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="data" type="s" direction="out"/>
    </method>
  </interface>
`;

/**
 * libnih's introspection document of an object.
 *
 * @param path The object path (libnih names the node with it).
 * @param interfaces The object's own interfaces (Upstart's), without the standard ones.
 * @param children Names of the child nodes (sorted, as libdbus keeps them).
 * @returns The XML text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { libnihIntrospectXml } from "./introspect.ts";
 * const xml = libnihIntrospectXml("/com/ubuntu/Upstart", [], ["jobs"]);
 * assert.match(xml, /^<!DOCTYPE node .*\n.*\n<node name="\/com\/ubuntu\/Upstart">\n/);
 * assert.match(xml, /  <node name="jobs"\/>\n<\/node>\n$/);
 * ```
 */
export function libnihIntrospectXml(
  path: string,
  interfaces: readonly InterfaceDef[],
  children: readonly string[],
): string {
  // Object paths and their elements are [A-Za-z0-9_/]: nothing in them needs XML escaping.
  let xml = `${HEAD}<node name="${path}">\n`;
  for (const i of interfaces) xml += interfaceXml(i);
  xml += TAIL;
  for (const child of children) xml += `  <node name="${child}"/>\n`;
  return `${xml}</node>\n`;
}

/**
 * An `org.freedesktop.DBus.Introspectable` interface answering with
 * {@linkcode libnihIntrospectXml} (it takes precedence over the binding's generic one).
 *
 * @param path The object path.
 * @param own The object's Upstart interface(s).
 * @param children The child node names now (called on each `Introspect`).
 * @returns The interface definition to export with the object.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { introspectable } from "./introspect.ts";
 * const def = introspectable("/com/ubuntu/Upstart", [], () => ["jobs"]);
 * assert.equal(def.name, "org.freedesktop.DBus.Introspectable");
 * assert.deepEqual(Object.keys(def.methods ?? {}), ["Introspect"]);
 * ```
 */
export function introspectable(
  path: string,
  own: readonly InterfaceDef[],
  children: () => string[],
): InterfaceDef {
  return {
    name: INTROSPECTABLE,
    methods: {
      Introspect: {
        out: "s",
        outNames: ["data"],
        handler: () => [libnihIntrospectXml(path, own, [...children()].sort(byteOrder))],
      },
    },
  };
}

/** strcmp order (libdbus keeps an object's children sorted so). */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
