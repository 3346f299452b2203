/**
 * Reading an inventory file in any of Ansible's static formats, the format
 * told by the file name's extension or else by the content, unless given.
 *
 * @module
 */

import { readAtMost } from "../host_files.ts";
import { fail, InventoryError } from "./errors.ts";
import { parseIni } from "./ini.ts";
import { parseJson } from "./json.ts";
import { parseYaml } from "./yaml.ts";
import type { Inventory, InventoryFormat } from "./types.ts";

/**
 * The largest inventory file read (64 MiB).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MAX_INVENTORY_BYTES } from "./mod.ts";
 * assert.equal(MAX_INVENTORY_BYTES, 64 * 1024 * 1024);
 * ```
 */
export const MAX_INVENTORY_BYTES = 64 * 1024 * 1024;

/** The name {@linkcode parseInventory} reports when given no path. */
const DEFAULT_PATH = "<inventory>";

/** Options of {@linkcode parseInventory} and {@linkcode readInventory}. */
export interface InventoryOptions {
  /** The format; by default told by the extension, else by the content ({@linkcode detectFormat}). */
  readonly format?: InventoryFormat;
}

/** Options of {@linkcode parseInventory}. */
export interface ParseInventoryOptions extends InventoryOptions {
  /** The file name to report in errors and to tell the format by (default `<inventory>`). */
  readonly path?: string;
}

/**
 * The format of an inventory: by the extension (`.ini`, `.yml`/`.yaml`,
 * `.json`), else by the content: a `{` opens JSON, a `---` or a first line
 * like `all:` is YAML, anything else is INI (like Ansible's `hosts` file).
 *
 * @param text The inventory's text.
 * @param path Its file name, if any.
 * @returns The format.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectFormat } from "./mod.ts";
 * assert.equal(detectFormat("[web]\nweb1\n"), "ini");
 * assert.equal(detectFormat("all:\n  hosts:\n    web1:\n"), "yaml");
 * assert.equal(detectFormat('{"_meta": {"hostvars": {}}}'), "json");
 * assert.equal(detectFormat("", "hosts.yml"), "yaml");
 * ```
 */
export function detectFormat(text: string, path?: string): InventoryFormat {
  const ext = /\.([A-Za-z]+)$/.exec(path ?? "")?.[1].toLowerCase();
  if (ext === "json") return "json";
  if (ext === "yml" || ext === "yaml") return "yaml";
  if (ext === "ini") return "ini";
  for (const raw of text.replace(/^\uFEFF/, "").split("\n")) {
    const line = raw.trim();
    if (!line || line[0] === "#" || line[0] === ";") continue;
    if (line[0] === "{") return "json";
    // A YAML key (`all:`, `web: {...}`), not an INI host with a port (`web1:2222`) or variables.
    if (line === "---" || line.startsWith("%YAML") || /^[^\s=[][^=]*:(\s|$)/.test(line)) {
      return "yaml";
    }
    return "ini";
  }
  return "ini";
}

/**
 * Parses an inventory's text: INI, YAML, or JSON (`ansible-inventory --list`
 * output, or the YAML shape written as JSON), as Ansible reads each.
 *
 * @param text The inventory's text.
 * @param options The format (default: detected) and the file name for errors.
 * @returns The inventory.
 * @throws {InventoryError} saying what is wrong and where.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInventory } from "./mod.ts";
 * const inv = await parseInventory("all:\n  children:\n    web:\n      hosts:\n        web[1:2]:\n");
 * assert.deepEqual([...inv.hosts.keys()], ["web1", "web2"]);
 * assert.deepEqual(inv.groups.get("web")?.hosts, ["web1", "web2"]);
 * ```
 */
export function parseInventory(
  text: string,
  options: ParseInventoryOptions = {},
): Promise<Inventory> {
  const path = options.path ?? DEFAULT_PATH;
  try {
    // deno-lint-ignore no-control-regex
    const nul = /\x00/.exec(text);
    if (nul) {
      fail(
        { path, line: text.slice(0, nul.index).split("\n").length },
        "NUL byte: not a text file",
      );
    }
    const format = options.format ?? detectFormat(text, options.path);
    if (format === "yaml") return parseYaml(text, path);
    if (format === "json") return Promise.resolve(parseJson(text, path));
    if (format === "ini") return Promise.resolve(parseIni(text, path));
    throw new TypeError(
      `Invalid inventory format ${JSON.stringify(format)}: expected "ini", "yaml" or "json"`,
    );
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Reads an inventory file (a regular file, or a symbolic link to one, of at
 * most {@linkcode MAX_INVENTORY_BYTES}) and parses it.
 *
 * @param path The file.
 * @param options The format (default: by extension, else by content).
 * @returns The inventory.
 * @throws {InventoryError} for a file that cannot be read or parsed.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readInventory, selectHosts } from "./mod.ts";
 * const file = await Deno.makeTempFile({ suffix: ".ini" });
 * await Deno.writeTextFile(file, "[db]\ndb[01:02] ansible_user=root\n");
 * const hosts = selectHosts(await readInventory(file), "db");
 * assert.deepEqual(hosts.map((h) => h.host), ["root@db01", "root@db02"]);
 * await Deno.remove(file);
 * ```
 */
export async function readInventory(
  path: string,
  options: InventoryOptions = {},
): Promise<Inventory> {
  const where = { path, line: null };
  let bytes: Uint8Array;
  try {
    // Checked before opening: opening a FIFO would block until a writer came.
    const info = await Deno.stat(path);
    if (info.isDirectory) fail(where, "Is a directory: inventory directories are not supported");
    if (!info.isFile) fail(where, "Not a regular file");
    using file = await Deno.open(path);
    const opened = await file.stat();
    if (!opened.isFile) fail(where, "Not a regular file");
    if (opened.size > MAX_INVENTORY_BYTES) {
      fail(where, `The file is too large: ${opened.size} bytes, at most ${MAX_INVENTORY_BYTES}`);
    }
    // The file may have grown since fstat.
    bytes = await readAtMost(file.readable, MAX_INVENTORY_BYTES).catch((e) => {
      if (e instanceof RangeError) {
        fail(where, `The file is larger than ${MAX_INVENTORY_BYTES} bytes`);
      }
      throw e;
    });
  } catch (e) {
    if (e instanceof InventoryError) throw e;
    throw new InventoryError(path, null, `Cannot read the inventory: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    fail(where, "Not valid UTF-8 text");
  }
  return parseInventory(text, { path, format: options.format });
}
