/**
 * Facts of Upstart 1.13's job-file grammar that several modules need: the flag stanzas, the
 * `limit` resources, the line that ends a script block, and which stanzas override each other.
 *
 * @module
 */

import type { StanzaNode } from "./cst.ts";
import type { LimitResource } from "./types.ts";

/** Stanzas that take no argument. */
export const FLAG_STANZAS: ReadonlySet<string> = new Set(["task", "respawn", "manual", "debug"]);

/** The resources `limit` accepts (`parse_job.c`'s table). */
export const LIMIT_RESOURCES: readonly LimitResource[] = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "sigpending",
  "stack",
];

/** A line that ends a `script` block (what a body must never contain). */
export const SCRIPT_TERMINATOR = /^[ \t\r]*end[ \t\r]+script[ \t\r]*(#.*)?$/;

/** Stanzas whose repeats accumulate; `set` replaces all of them. */
export const ACCUMULATE = new Set(["export", "emits", "normal", "cgroup", "env"]);

/**
 * The slot a stanza writes: stanzas in the same slot override each other (`exec` and `script`
 * share the main process; `env` is per variable; `limit` per resource).
 */
export function slotOf(n: StanzaNode): string {
  const a0 = n.args[0];
  switch (n.keyword) {
    case "exec":
    case "script":
      return "main";
    case "start":
    case "stop":
      return n.keyword + " on";
    case "kill":
    case "reload":
    case "apparmor":
    case "normal":
    case "limit":
      return `${n.keyword} ${a0}`;
    case "respawn":
      return a0 === "limit" ? "respawn limit" : "respawn";
    case "env": {
      const eq = a0.indexOf("=");
      return "env " + (eq < 0 ? a0 : a0.slice(0, eq));
    }
    default:
      return n.keyword;
  }
}
