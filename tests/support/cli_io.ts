/**
 * A fake io for running the CLI's `main()` in-process: captured stdout and
 * stderr, a chosen environment, and an interrupt the test can trigger.
 *
 * @module
 */

import type { CliIo } from "../../src/cli/io.ts";
import { main } from "../../src/cli/main.ts";

/** A captured run. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** A fake io and what it captured. */
export interface FakeIo {
  readonly io: CliIo;
  out(): string;
  err(): string;
  interrupt(): void;
}

/** Which fake streams claim to be terminals (default: neither, as when piped). */
export interface Terminals {
  readonly stdout?: boolean;
  readonly stderr?: boolean;
}

/** Makes a fake io with the given environment and files (falling back to the real file system). */
export function fakeIo(
  env: Record<string, string> = {},
  files: Record<string, string> = {},
  terminals: Terminals = {},
): FakeIo {
  let out = "";
  let err = "";
  const controller = new AbortController();
  return {
    io: {
      stdout: (t) => void (out += t),
      stderr: (t) => void (err += t),
      readFile: (p) => p in files ? new TextEncoder().encode(files[p]) : Deno.readFileSync(p),
      env: (n) => env[n],
      stderrIsTerminal: () => terminals.stderr === true,
      stdoutIsTerminal: () => terminals.stdout === true,
      interrupt: controller.signal,
    },
    out: () => out,
    err: () => err,
    interrupt: () => controller.abort(),
  };
}

/** Runs `main(args)` in-process. */
export async function cli(
  args: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = {},
): Promise<CliRun> {
  const f = fakeIo(env, files);
  const code = await main(args, f.io);
  return { code, out: f.out(), err: f.err() };
}

/** Replaces pids with `PID`. */
export function maskPids(text: string): string {
  return text.replace(/process \d+/g, "process PID");
}

/** The permissions of `deno task cli`: what every command together needs. */
export const CLI_PERMISSIONS: readonly string[] = [
  "--allow-ffi",
  "--allow-env",
  "--allow-read",
  "--allow-write",
  "--allow-run",
];

/** Runs `cli.ts` (or `script`) as a real subprocess with the given permissions. */
export async function cliProcess(
  args: string[],
  env: Record<string, string> = {},
  permissions: readonly string[] = CLI_PERMISSIONS,
  script: string = new URL("../../cli.ts", import.meta.url).pathname,
): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, script, ...args],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout), err: d.decode(out.stderr) };
}

/** Whether `text` holds a control character other than its own newlines. */
export function hasControl(text: string): boolean {
  return [...text].some((c) => c !== "\n" && (c < " " || c === "\x7f"));
}
