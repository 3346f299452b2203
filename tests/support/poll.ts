/**
 * Waiting in tests without asserting timings: poll a condition until it holds (a liveness bound
 * only), and ask whether a process still exists.
 *
 * @module
 */

/** Polls `cond` until it holds; throws `Timed out waiting for WHAT` after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  ms = 10_000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether process `pid` exists (a zombie still counts: it has not been reaped). */
export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}
