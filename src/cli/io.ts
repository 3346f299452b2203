/**
 * Where the CLI reads and writes: the real terminal and environment, or a
 * test's fakes. Commands touch the outside world only through this (and the
 * typed API), so tests run `main()` in-process.
 *
 * @module
 */

/** The CLI's view of its process. */
export interface CliIo {
  /** Writes to standard output. */
  stdout(text: string): void;
  /** Writes to standard error. */
  stderr(text: string): void;
  /** Reads a file's bytes (job files, hosts files). */
  readFile(path: string): Uint8Array;
  /** Reads an environment variable. */
  env(name: string): string | undefined;
  /** Whether standard error is a terminal (progress lines are shown only then). */
  stderrIsTerminal(): boolean;
  /** Whether standard output is a terminal (colours in `watch` are used only then). */
  stdoutIsTerminal(): boolean;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM: long-running commands end cleanly. */
  readonly interrupt: AbortSignal;
  /**
   * Asks a question on the terminal and resolves to the line answered; `null` when standard input
   * is not a terminal (or at its end), so that a command never waits on a pipe. Absent: no one to ask.
   */
  ask?(question: string): Promise<string | null>;
}

/** Reads one line from standard input, byte by byte (nothing after it is consumed). */
async function readLine(): Promise<string | null> {
  const bytes: number[] = [];
  const one = new Uint8Array(1);
  for (;;) {
    const n = await Deno.stdin.read(one);
    if (n === null) return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
    if (one[0] === 0x0a) return new TextDecoder().decode(new Uint8Array(bytes));
    if (bytes.length < 4096) bytes.push(one[0]);
  }
}

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  for (let done = 0; done < bytes.length;) done += file.writeSync(bytes.subarray(done));
}

/**
 * The real process: standard streams, environment, file system, and an
 * interrupt signal fed by SIGINT/SIGTERM (listened to only once a command
 * asks, so short commands never install handlers).
 *
 * @returns A fresh io.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoIo } from "./io.ts";
 * const io = denoIo();
 * io.stdout("hello\n"); // to the process's standard output
 * assert.equal(io.env("PATH"), Deno.env.get("PATH"));
 * ```
 */
export function denoIo(): CliIo {
  const controller = new AbortController();
  let listening = false;
  // The reason is the signal's name: a command ends with 128 + its number (130, 143).
  const onSignal = {
    SIGINT: () => controller.abort("SIGINT"),
    SIGTERM: () => controller.abort("SIGTERM"),
  };
  return {
    stdout: (t) => writeAll(Deno.stdout, t),
    stderr: (t) => writeAll(Deno.stderr, t),
    readFile: (p) => Deno.readFileSync(p),
    env: (n) => {
      try {
        return Deno.env.get(n);
      } catch {
        return undefined; // no --allow-env: behave as if unset
      }
    },
    stderrIsTerminal: () => Deno.stderr.isTerminal(),
    stdoutIsTerminal: () => Deno.stdout.isTerminal(),
    ask(question) {
      if (!Deno.stdin.isTerminal()) return Promise.resolve(null);
      writeAll(Deno.stderr, question);
      return readLine();
    },
    get interrupt() {
      if (!listening) {
        listening = true;
        for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, onSignal[s]);
        controller.signal.addEventListener("abort", () => {
          for (const s of ["SIGINT", "SIGTERM"] as const) {
            Deno.removeSignalListener(s, onSignal[s]);
          }
        });
      }
      return controller.signal;
    },
  };
}
