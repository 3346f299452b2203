/**
 * What one connection over ssh leaves behind, read back: the ssh wrapper (see `remote.ts`)
 * records its standard error while the connection is being set up, its own pid, ssh's pid and
 * ssh's exit status in files under a private directory. A failure is then explained from ssh's
 * and the bridge's own words and sorted into a kind; every wrapper is reaped once it exits
 * (libdbus forks it and never waits); a hung ssh can be stopped.
 *
 * @module
 */

import { reapChild, signalProcess } from "../ffi/mod.ts";

/** Why a host could not be used, for people and for programs. */
export type HostFailureKind =
  /** ssh itself failed: name resolution, connection refused, authentication, host key. */
  | "ssh"
  /** ssh worked but the far-side bridge did not: no socat or python there, socket missing. */
  | "bridge"
  /** Connected, but Upstart is not answering there. */
  | "upstart"
  /** Not allowed: sudo wants a password, the socket or Upstart refuses us. */
  | "permission"
  /** The host took longer than its time limit. */
  | "timeout"
  /** Upstart answered, and the command itself failed (unknown job, ...). */
  | "command";

let directory: string | undefined;
let counter = 0;

function captureDirectory(): string {
  if (directory === undefined) {
    directory = Deno.makeTempDirSync({ prefix: "upstart-remote-" }); // mode 0700
    const dir = directory;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch { /* already gone */ }
    });
  }
  return directory;
}

/** Children still to collect, and what to do once each is collected. */
const waiting = new Map<number, () => void>();
let reaper: ReturnType<typeof setInterval> | undefined;

/** Collects `pid` once it exits, polling without keeping the process alive; then `done()`. */
function reapLater(pid: number, done: () => void): void {
  if (reapChild(pid) !== "running") return done();
  waiting.set(pid, done);
  if (reaper !== undefined) return;
  const timer = setInterval(() => {
    for (const [p, then] of waiting) {
      if (reapChild(p) === "running") continue;
      waiting.delete(p);
      then();
    }
    if (waiting.size === 0) {
      clearInterval(reaper);
      reaper = undefined;
    }
  }, 200);
  Deno.unrefTimer(timer);
  reaper = timer;
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

function readInt(path: string): number | null {
  const text = readText(path)?.trim();
  return text && /^\d+$/.test(text) ? Number(text) : null;
}

/**
 * Lines that say nothing about a failure (ssh ends its own with CR LF), nor need saying after a
 * success: a host-key note, and connections racing to become a host's shared master.
 */
const NOISE =
  /^(Warning: Permanently added|Pseudo-terminal will not|debug\d?:|ControlSocket .* already exists, disabling multiplexing|\s*$)/;

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/g;

/** A line made safe and short for a one-line message. */
function tidy(line: string): string {
  const safe = line.trimEnd().replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
  return safe.length > 160 ? safe.slice(0, 157) + "..." : safe;
}

/**
 * The last line of ssh's or a far-side command's standard error that says something (not a
 * host-key note, not blank), made safe and short for a one-line message.
 *
 * @param lines The lines.
 * @returns The line, or `undefined` when none says anything.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lastMeaningfulLine } from "./remote_attempt.ts";
 * assert.equal(lastMeaningfulLine(["cat: x: No such file\x1b[31m\r", ""]), "cat: x: No such file\\x1b[31m");
 * ```
 */
export function lastMeaningfulLine(lines: readonly string[]): string | undefined {
  const last = lines.filter((l) => !NOISE.test(l)).at(-1);
  return last === undefined ? undefined : tidy(last);
}

/**
 * Sorts a failed connection over ssh into a kind and the words that explain it, from what ssh
 * and the bridge wrote and how ssh exited.
 *
 * @param lines The standard-error lines captured while connecting.
 * @param exitStatus ssh's exit status (`255` is ssh's own failure), or `null` when it had not
 *   exited.
 * @param local What failed here (libdbus's message: an authentication that ran out of time),
 *   said when ssh and the bridge said nothing and ssh is still running.
 * @returns The kind, and the reason in words (at most a couple of hundred characters).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifyRemoteFailure } from "./remote_attempt.ts";
 * const said = "ssh: Could not resolve hostname x: Name or service not known";
 * assert.deepEqual(classifyRemoteFailure([said], 255), { kind: "ssh", why: said });
 * ```
 */
export function classifyRemoteFailure(
  lines: readonly string[],
  exitStatus: number | null,
  local?: string,
): { kind: Exclude<HostFailureKind, "timeout" | "command">; why: string } {
  const meaningful = lines.filter((l) => !NOISE.test(l));
  const last = meaningful.at(-1);
  const why = last === undefined
    ? exitStatus === null
      ? tidy(local ?? "the connection closed during authentication")
      : `ssh exited with status ${exitStatus} and said nothing`
    : tidy(last);
  if (exitStatus === 255) return { kind: "ssh", why };
  if (meaningful.some((l) => /^sudo: /.test(l))) return { kind: "permission", why };
  const bridge = meaningful.find((l) => /^upstart bridge: /.test(l) || /socat\[\d+\] E /.test(l));
  if (bridge !== undefined) {
    const denied = /Permission denied|Errno 13|EACCES/.test(bridge);
    // socat's own line is a log entry (date, pid, the raw connect call): say it in words.
    const socat = bridge.match(/socat\[\d+\] E connect\([^"]*"([^"]*)"[^)]*\): (.*)$/);
    const words = socat ? `socat: cannot connect to ${socat[1]}: ${socat[2]}` : bridge;
    return { kind: denied ? "permission" : "bridge", why: tidy(words) };
  }
  if (exitStatus === 127) return { kind: "bridge", why };
  return { kind: exitStatus === null || exitStatus === 0 ? "upstart" : "bridge", why };
}

/**
 * The records of one connection attempt over ssh (see the module doc): create it, put
 * {@linkcode RemoteAttempt.capture} in the address, then call exactly one of
 * {@linkcode RemoteAttempt.succeeded} or {@linkcode RemoteAttempt.failed}.
 */
export class RemoteAttempt {
  /** The path prefix given to the wrapper. */
  readonly capture: string;

  private constructor(capture: string) {
    this.capture = capture;
  }

  /**
   * Starts the records of a new attempt (the capture file exists, so the wrapper writes there).
   *
   * @returns The attempt, or `null` when files cannot be written (no `--allow-write`).
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RemoteAttempt } from "./remote_attempt.ts";
   * const attempt = RemoteAttempt.create()!; // null only without --allow-write
   * // What ssh says while connecting, as the ssh wrapper records it:
   * Deno.writeTextFileSync(attempt.capture, "Warning: remote host identification changed\n");
   * const said: string[] = [];
   * attempt.succeeded((line) => said.push(line));
   * assert.deepEqual(said, ["Warning: remote host identification changed"]);
   * ```
   */
  static create(): RemoteAttempt | null {
    try {
      const capture = `${captureDirectory()}/${++counter}`;
      Deno.writeFileSync(capture, new Uint8Array(), { mode: 0o600 });
      return new RemoteAttempt(capture);
    } catch (e) {
      // Without --allow-write there are no records: ssh's words go straight to stderr.
      if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
        return null;
      }
      throw e;
    }
  }

  /** The captured lines so far. */
  private lines(): string[] {
    const text = readText(this.capture) ?? "";
    return text.split("\n").filter((l, i, all) => l !== "" || i < all.length - 1);
  }

  /** Stops ssh (a host that hangs): its pid is known once it started. */
  stop(): void {
    const pid = readInt(`${this.capture}.ssh`);
    if (pid !== null) signalProcess(pid, 15);
  }

  /**
   * Ends the records and returns what they hold: `.done` first, so that a line the wrapper
   * writes from then on goes to our stderr (none is lost), then the captured lines; the files go
   * once the wrapper has exited and been collected, so that nothing it writes late recreates
   * them.
   */
  private release(): string[] {
    try {
      Deno.writeFileSync(`${this.capture}.done`, new Uint8Array());
    } catch { /* the directory is gone: the process is ending */ }
    const lines = this.lines();
    const remove = () => {
      for (const suffix of ["", ".pid", ".ssh", ".exit", ".done"]) {
        try {
          Deno.removeSync(this.capture + suffix);
        } catch { /* not written */ }
      }
    };
    const pid = readInt(`${this.capture}.pid`);
    if (pid === null) remove();
    else reapLater(pid, remove);
    return lines;
  }

  /**
   * The connection worked: passes on what ssh said meanwhile (a host-key warning) and ends the
   * records.
   *
   * @param forward Receives each captured line.
   */
  succeeded(forward: (line: string) => void): void {
    for (const l of this.release()) if (!NOISE.test(l)) forward(l);
  }

  /**
   * The connection failed: waits briefly for ssh's exit status (it is exiting: the socket
   * closed), then explains the failure and ends the records.
   *
   * @param waitMs How long to wait for the exit status.
   * @param local What failed here, for when the far side said nothing.
   * @returns The kind and the reason.
   */
  async failed(
    waitMs = 2000,
    local?: string,
  ): Promise<ReturnType<typeof classifyRemoteFailure>> {
    const deadline = Date.now() + waitMs;
    let status = readInt(`${this.capture}.exit`);
    while (status === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      status = readInt(`${this.capture}.exit`);
    }
    return classifyRemoteFailure(this.release(), status, local);
  }
}
