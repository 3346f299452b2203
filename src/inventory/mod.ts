/**
 * Ansible inventories: read INI, YAML and JSON (`ansible-inventory --list`)
 * inventories as Ansible does, select hosts with `--limit` patterns, and get
 * for each what ssh needs (`host`, `sshArgs`, `sudo`: the `RemoteOptions` of
 * `System.connect()`).
 *
 * @example Connect to every web server of an inventory
 * ```ts no-eval
 * import { readInventory, selectHosts, System } from "@upstart/upstart";
 * const inventory = await readInventory("hosts.ini");
 * for (const { name, host, sshArgs, sudo } of selectHosts(inventory, "web:!web3")) {
 *   await using system = await System.connect({ host, sshArgs, sudo });
 *   console.log(name, (await system.statusAll()).length);
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
