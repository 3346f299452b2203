/**
 * What the sandbox cannot do as an ordinary user, found once per job at load time: the stanzas
 * it loads and publishes but does not enforce.
 *
 * @module
 */

import type { JobConfig, LimitResource, LimitValue } from "../jobfile/mod.ts";

const PROC_NAMES: Record<string, LimitResource> = {
  "Max cpu time": "cpu",
  "Max file size": "fsize",
  "Max data size": "data",
  "Max stack size": "stack",
  "Max core file size": "core",
  "Max resident set": "rss",
  "Max processes": "nproc",
  "Max open files": "nofile",
  "Max locked memory": "memlock",
  "Max address space": "as",
  "Max pending signals": "sigpending",
  "Max msgqueue size": "msgqueue",
  "Max nice priority": "nice",
  "Max realtime priority": "rtprio",
};

/** Our own hard limits (`/proc/self/limits`), `Infinity` for unlimited. */
export function ownHardLimits(): Map<LimitResource, number> {
  const out = new Map<LimitResource, number>();
  let text = "";
  try {
    text = Deno.readTextFileSync("/proc/self/limits");
  } catch {
    return out;
  }
  for (const line of text.split("\n").slice(1)) {
    const name = Object.keys(PROC_NAMES).find((n) => line.startsWith(n));
    if (!name) continue;
    const hard = line.slice(26).trim().split(/\s+/)[1];
    out.set(PROC_NAMES[name], hard === "unlimited" ? Infinity : Number(hard));
  }
  return out;
}

/** Whether this process runs as root (so it may raise limits and priorities). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

const num = (v: LimitValue) => v === "unlimited" ? Infinity : v;

/** The result of checking a job against what the sandbox can do. */
export interface Enforcement {
  /** The `limit` resources that will be applied. */
  readonly allowedLimits: ReadonlySet<LimitResource>;
  /** Whether a negative `nice` is applied. */
  readonly canRaisePriority: boolean;
  /** One line per stanza that is loaded and published but not enforced. */
  readonly notEnforced: readonly string[];
}

/** Checks a job's configuration against the sandbox's powers. */
export function checkEnforcement(
  c: JobConfig,
  hard: ReadonlyMap<LimitResource, number> = ownHardLimits(),
  root = isRoot(),
): Enforcement {
  const notEnforced: string[] = [];
  if (c.expect !== "none") {
    notEnforced.push(`expect ${c.expect} (the first process started is tracked as main)`);
  }
  if (c.setuid !== null) notEnforced.push(`setuid ${c.setuid} (runs as the sandbox's user)`);
  if (c.setgid !== null) notEnforced.push(`setgid ${c.setgid} (runs as the sandbox's group)`);
  if (c.chroot !== null) notEnforced.push(`chroot ${c.chroot}`);
  if (c.apparmorLoad !== null) notEnforced.push(`apparmor load ${c.apparmorLoad}`);
  if (c.apparmorSwitch !== null) notEnforced.push(`apparmor switch ${c.apparmorSwitch}`);
  for (const g of c.cgroups) {
    notEnforced.push(
      `cgroup ${[g.controller, g.name, g.key, g.value].filter((x) => x !== null).join(" ")}`,
    );
  }
  const allowed = new Set<LimitResource>();
  for (
    const [r, v] of Object.entries(c.limits) as [
      LimitResource,
      { soft: LimitValue; hard: LimitValue },
    ][]
  ) {
    const own = hard.get(r) ?? Infinity;
    if (root || (num(v.soft) <= own && num(v.hard) <= own)) allowed.add(r);
    else notEnforced.push(`limit ${r} ${v.soft} ${v.hard} (above this user's hard limit)`);
  }
  if (c.nice !== null && c.nice < 0 && !root) notEnforced.push(`nice ${c.nice} (needs root)`);
  if (c.oomScore !== null) notEnforced.push(`oom score ${c.oomScore}`);
  if (c.console === "owner") notEnforced.push("console owner (treated as console output)");
  return { allowedLimits: allowed, canRaisePriority: root, notEnforced };
}
