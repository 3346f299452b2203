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

/** Makes a fake io with the given environment and files (falling back to the real file system). */
export function fakeIo(
  env: Record<string, string> = {},
  files: Record<string, string> = {},
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
      stderrIsTerminal: () => false,
      stdoutIsTerminal: () => false,
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

/** Runs `cli.ts` as a real subprocess. */
export async function cliProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-ffi",
      "--allow-env",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-sys=uid", // the typed API reads the uid when connecting
      new URL("../../cli.ts", import.meta.url).pathname,
      ...args,
    ],
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, out: d.decode(out.stdout), err: d.decode(out.stderr) };
}
