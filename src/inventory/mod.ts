/**
 * Ansible inventories: read INI, YAML and JSON (`ansible-inventory --list`)
 * inventories as Ansible does, select hosts with `--limit` patterns, and get
 * for each what ssh needs (`host`, `sshArgs`, `sudo`: the `RemoteOptions` of
 * `System.connect()`).
 *
 * @example Pick the web servers of an inventory, each with what ssh needs
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInventory, selectHosts } from "@upstart/upstart";
 * const inventory = await parseInventory(
 *   "[web]\nweb[1:3] ansible_port=2222\n\n[all:vars]\nansible_user=deploy\n",
 *   { format: "ini" },
 * );
 * const hosts = selectHosts(inventory, "web:!web3");
 * assert.deepEqual(hosts.map((h) => [h.name, h.host, h.sshArgs]), [
 *   ["web1", "deploy@web1", ["-p", "2222"]],
 *   ["web2", "deploy@web2", ["-p", "2222"]],
 * ]);
 * ```
 *
 * @example Connect to each (needs the hosts)
 * ```ts ignore
 * import { readInventory, selectHosts, System } from "@upstart/upstart";
 * for (const { host, sshArgs, sudo } of selectHosts(await readInventory("hosts.ini"), "web")) {
 *   await using system = await System.connect({ host, sshArgs, sudo });
 *   console.log(host, (await system.statusAll()).length);
 * }
 * ```
 *
 * @module
 */

export { detectFormat, MAX_INVENTORY_BYTES, parseInventory, readInventory } from "./read.ts";
export type { InventoryOptions, ParseInventoryOptions } from "./read.ts";
export { hostVars, selectHosts } from "./select.ts";
export { matchLimit, splitHostPattern } from "./limit.ts";
export { MAX_RANGE_HOSTS } from "./ranges.ts";
export { MAX_INVENTORY_HOSTS } from "./_builder.ts";
export { CONNECTION_VARIABLES } from "./connection.ts";
export { InventoryError } from "./errors.ts";
export type {
  Inventory,
  InventoryFormat,
  InventoryGroup,
  InventoryHost,
  InventoryHostEntry,
} from "./types.ts";
