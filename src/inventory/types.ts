/**
 * The shapes of a parsed inventory and of a selected host.
 *
 * @module
 */

/** An inventory's format: Ansible INI, YAML, or JSON (`ansible-inventory --list`, or the YAML shape). */
export type InventoryFormat = "ini" | "yaml" | "json";

/** A group as the inventory defines it. */
export interface InventoryGroup {
  /** The group name (`all` and `ungrouped` always exist). */
  readonly name: string;
  /** The hosts listed directly in the group, in inventory order. */
  readonly hosts: readonly string[];
  /** The direct child groups, in inventory order. */
  readonly children: readonly string[];
  /** The group's own variables. */
  readonly vars: Readonly<Record<string, unknown>>;
  /** `ansible_group_priority` (default 1): among groups of one depth, a higher one's variables win. */
  readonly priority: number;
}

/** A host as the inventory defines it. */
export interface InventoryHostEntry {
  /** The inventory host name. */
  readonly name: string;
  /** The groups that list the host directly, in inventory order. */
  readonly groups: readonly string[];
  /** The host's own variables (group variables not merged in). */
  readonly vars: Readonly<Record<string, unknown>>;
}

/** A parsed inventory: groups and hosts in Ansible's order. */
export interface Inventory {
  /** The file it was read from (or the name given to the parser). */
  readonly path: string;
  /** The format it was read as. */
  readonly format: InventoryFormat;
  /** Every group by name, `all` and `ungrouped` first. */
  readonly groups: ReadonlyMap<string, InventoryGroup>;
  /** Every host by name, in the order the inventory first names them. */
  readonly hosts: ReadonlyMap<string, InventoryHostEntry>;
}

/**
 * A selected host, ready for `System.connect()`: `host`, `sshArgs` and `sudo`
 * are the `RemoteOptions` fields of the same names.
 */
export interface InventoryHost {
  /** The inventory host name (`inventory_hostname`). */
  readonly name: string;
  /** The ssh destination: `ansible_host` (else the name), as `ansible_user@...` when set. */
  readonly host: string;
  /** ssh arguments before the destination: `-p PORT`, `-i KEY`, then the common and extra args. */
  readonly sshArgs: readonly string[];
  /** `ansible_become`: run the far side through `sudo -n`. */
  readonly sudo: boolean;
  /** Every group the host belongs to, directly or through children (sorted, without `all`). */
  readonly groups: readonly string[];
  /** The host's variables with its groups' merged in (all < parent < child < host). */
  readonly vars: Readonly<Record<string, unknown>>;
}
