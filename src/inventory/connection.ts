/**
 * From a host's variables to what ssh needs: the destination (`user@addr`),
 * the arguments before it (`-p`, `-i`, `ansible_ssh_common_args`,
 * `ansible_ssh_extra_args`), and whether to use sudo (`ansible_become`).
 *
 * The variables are checked where they are set (so an error names the line):
 * nothing that would reach ssh as an option, no control characters, no
 * templates (`{{ }}` is not evaluated here), ports in range.
 *
 * @module
 */

import { fail, q, type Where } from "./errors.ts";
import { shlexSplit } from "./_shlex.ts";

/** What ssh needs to reach one host (the fields of `RemoteOptions` they feed). */
export interface SshTarget {
  /** The ssh destination: `addr` or `user@addr`. */
  readonly host: string;
  /** The arguments before the destination. */
  readonly sshArgs: readonly string[];
  /** Whether the far side runs through `sudo -n` (`ansible_become`). */
  readonly sudo: boolean;
}

// For each setting, the variables that give it, the last defined one winning, as in the option
// table of Ansible's ssh connection plugin (so `ansible_ssh_host` beats `ansible_host`).
const SETTINGS = {
  addr: ["ansible_host", "ansible_ssh_host"],
  port: ["ansible_port", "ansible_ssh_port"],
  user: ["ansible_user", "ansible_ssh_user"],
  key: ["ansible_private_key_file", "ansible_ssh_private_key_file"],
  common: ["ansible_ssh_common_args"],
  extra: ["ansible_ssh_extra_args"],
  become: ["ansible_become"],
} as const;
type Setting = keyof typeof SETTINGS;

const SETTING_OF = new Map<string, Setting>(
  Object.entries(SETTINGS).flatMap(([s, names]) => names.map((n) => [n, s as Setting])),
);

const TRUE = new Set(["y", "yes", "on", "1", "true", "t"]);
const FALSE = new Set(["n", "no", "off", "0", "false", "f"]);
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * The variables that make a host's ssh options (the rest are passed through in `vars`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CONNECTION_VARIABLES } from "./mod.ts";
 * assert.ok(CONNECTION_VARIABLES.includes("ansible_ssh_common_args"));
 * ```
 */
export const CONNECTION_VARIABLES: readonly string[] = [...SETTING_OF.keys()];

function toBoolean(value: unknown): boolean | null {
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
  }
  return null;
}

function toPort(value: unknown): number | null {
  const n = typeof value === "string" && /^\s*[0-9]+\s*$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : null;
}

/**
 * Checks a variable as it is set: ssh-facing variables must be usable and
 * harmless. Others pass unchanged; `null` (a YAML `~`) always passes, as
 * Ansible treats it as unset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkVariable } from "./connection.ts";
 * assert.throws(() => checkVariable("ansible_host", "-oProxyCommand=x", { path: "hosts", line: 3 }));
 * checkVariable("ansible_port", "2222", { path: "hosts", line: 3 });
 * ```
 * @throws {InventoryError} at `where`, naming the variable and the value.
 */
export function checkVariable(key: string, value: unknown, where: Where): void {
  const setting = SETTING_OF.get(key);
  if (setting === undefined || value === null || value === undefined) return;
  const bad = (why: string) => fail(where, `Invalid ${key} ${q(value)}: ${why}`);
  if (setting === "port") {
    if (toPort(value) === null) bad("expected a port number from 1 to 65535");
    return;
  }
  if (setting === "become") {
    if (toBoolean(value) === null) bad("expected a boolean (true/false, yes/no, on/off, 1/0)");
    return;
  }
  if (typeof value !== "string") bad("expected a string");
  const text = value as string;
  if (CONTROL.test(text)) bad("control characters are not allowed");
  if (/\{\{|\{%/.test(text)) bad("templates are not evaluated here");
  if (setting === "addr" || setting === "user") {
    if (text === "" || /\s/.test(text)) bad("expected a non-empty word");
    if (text.startsWith("-")) bad('a leading "-" would be read by ssh as an option');
    if (setting === "user" && text.includes("@")) bad('a user name cannot contain "@"');
  } else if (setting === "key") {
    if (text === "") bad("expected a file name");
  } else {
    try {
      shlexSplit(text);
    } catch (e) {
      bad((e as Error).message);
    }
  }
}

/**
 * What ssh needs for a host, from its merged variables (checked already by
 * {@linkcode checkVariable}).
 *
 * @param name The inventory host name (the address when no `ansible_host`).
 * @param vars The host's variables, group variables merged in.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sshTarget } from "./connection.ts";
 * assert.deepEqual(sshTarget("web1", { ansible_user: "root", ansible_port: 2222 }), {
 *   host: "root@web1",
 *   sshArgs: ["-p", "2222"],
 *   sudo: false,
 * });
 * ```
 * @returns The destination, the arguments before it, and sudo.
 */
export function sshTarget(name: string, vars: Readonly<Record<string, unknown>>): SshTarget {
  const get = (setting: Setting): unknown => {
    let value: unknown = undefined;
    for (const n of SETTINGS[setting]) {
      if (vars[n] !== undefined && vars[n] !== null) value = vars[n];
    }
    return value;
  };
  const addr = (get("addr") as string | undefined) ?? name;
  const user = get("user") as string | undefined;
  const port = get("port");
  const key = get("key") as string | undefined;
  const sshArgs: string[] = [];
  if (port !== undefined) sshArgs.push("-p", String(toPort(port)));
  if (key !== undefined) sshArgs.push("-i", key);
  for (const setting of ["common", "extra"] as const) {
    const args = get(setting) as string | undefined;
    // As Ansible's ssh plugin: shell words, each stripped, empty ones dropped.
    if (args !== undefined) sshArgs.push(...shlexSplit(args).map((a) => a.trim()).filter((a) => a));
  }
  const become = get("become");
  return {
    host: user === undefined ? addr : `${user}@${addr}`,
    sshArgs,
    sudo: become === undefined ? false : toBoolean(become) === true,
  };
}

/**
 * Why a host or group name is refused, or `null` when it is fine.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nameProblem } from "./connection.ts";
 * assert.equal(nameProblem("host", "web1"), null);
 * assert.match(nameProblem("host", "-x")!, /option/);
 * ```
 */
export function nameProblem(kind: "host" | "group", name: string): string | null {
  if (name === "") return `empty ${kind} name`;
  if (CONTROL.test(name)) return `control characters are not allowed in ${kind} names`;
  if (/\s/.test(name)) return `white space is not allowed in ${kind} names`;
  if (kind === "host" && name.startsWith("-")) {
    return 'a host name cannot start with "-" (ssh would read it as an option)';
  }
  return null;
}
