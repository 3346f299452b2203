/**
 * Linux signal numbers and the names Upstart uses for them (`nih_signal_to_name`).
 *
 * @module
 */

const NAMES: readonly (string | undefined)[] = [
  undefined,
  "HUP",
  "INT",
  "QUIT",
  "ILL",
  "TRAP",
  "ABRT",
  "BUS",
  "FPE",
  "KILL",
  "USR1",
  "SEGV",
  "USR2",
  "PIPE",
  "ALRM",
  "TERM",
  "STKFLT",
  "CHLD",
  "CONT",
  "STOP",
  "TSTP",
  "TTIN",
  "TTOU",
  "URG",
  "XCPU",
  "XFSZ",
  "VTALRM",
  "PROF",
  "WINCH",
  "IO",
  "PWR",
  "SYS",
];

/** The name without `SIG` (`15` → `TERM`), or `null` for a number with no name. */
export function signalName(n: number): string | null {
  return NAMES[n] ?? null;
}

/** The number of a Deno signal name (`SIGTERM` → 15), or `null`. */
export function signalNumber(name: string): number | null {
  const i = NAMES.indexOf(name.replace(/^SIG/, ""));
  return i > 0 ? i : null;
}

/**
 * Sends signal `n` to the process group `pgid` (Upstart's `system_kill`); returns `false` when
 * the group no longer exists.
 */
export function signalGroup(pgid: number, n: number): boolean {
  return sendSignal(-pgid, n);
}

/**
 * Sends signal `n` to the process `pid` alone (Upstart's `kill (pid, signal)`); returns `false`
 * when it no longer exists.
 */
export function signalPid(pid: number, n: number): boolean {
  return sendSignal(pid, n);
}

/** `kill(2)`: a negative `target` is a process group. */
function sendSignal(target: number, n: number): boolean {
  const name = signalName(n);
  try {
    if (name !== null && name !== "STKFLT") {
      Deno.kill(target, `SIG${name}` as Deno.Signal);
    } else {
      // Deno names only the classic signals; real-time ones go through kill(1).
      return new Deno.Command("kill", {
        args: ["-s", String(n), "--", String(target)],
        stdout: "null",
        stderr: "null",
      }).outputSync().success;
    }
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    if (e instanceof Error && /ESRCH|No such process/.test(e.message)) return false;
    throw e;
  }
}
