/**
 * Children of a process, read from /proc: to prove that connections over ssh leave no zombie
 * (or live ssh) behind. Run it in a process of its own (see `fleetInProcess`): test files that
 * run in parallel share one process, and each other's children would show.
 *
 * @module
 */

import { startScript } from "./script.ts";

/** `PID COMM STATE` of each child of `pid` whose command is one of `comms`. */
export function childrenOf(pid: number, comms: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (Number(ppid) === pid && comms.includes(comm)) {
        found.push(`${entry.name} ${comm} ${state}`);
      }
    } catch { /* gone meanwhile */ }
  }
  return found;
}

/** What {@linkcode fleetInProcess} saw. */
export interface FleetRun {
  /** Per host: `ok`, or the failure's kind. */
  readonly results: string[];
  /** Its `sh`/`ssh` children still there (zombies included) 5 seconds after the last host. */
  readonly left: string[];
}

const FLEET = new URL("../../src/fleet.ts", import.meta.url).href;
const SELF = import.meta.url;

/** Runs `connectMany(hosts, version, options)` in a fresh process and reports its leftovers. */
export async function fleetInProcess(
  hosts: readonly string[],
  options: Record<string, unknown>,
): Promise<FleetRun> {
  await using script = await startScript(
    `import { connectMany } from "${FLEET}";
import { childrenOf } from "${SELF}";
const results = await connectMany(JSON.parse(Deno.args[0]), (s) => s.version(), JSON.parse(Deno.args[1]));
const deadline = Date.now() + 5000;
let left = childrenOf(Deno.pid, ["sh", "ssh"]);
while (left.length > 0 && Date.now() < deadline) {
  await new Promise((r) => setTimeout(r, 50));
  left = childrenOf(Deno.pid, ["sh", "ssh"]);
}
console.log(JSON.stringify({ results: results.map((r) => r.ok ? "ok" : r.failure.kind), left }));
`,
    [JSON.stringify(hosts), JSON.stringify(options)],
  );
  const out = await script.child.output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(`fleet script failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text);
}
