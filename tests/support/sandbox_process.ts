/**
 * The sandbox as a real process (`deno task sandbox`, the CLI's `sandbox` command, a bundle or
 * modules served over HTTP), its output read line by line.
 */
import { until } from "./poll.ts";

/** A stream read line by line as it comes. */
export interface Lines {
  /** Every line so far. */
  readonly all: string[];
  /** Settles when the stream has ended. */
  readonly done: Promise<void>;
  /** Waits for a line matching `re` and returns it. */
  find(re: RegExp): Promise<string>;
}

/** Reads lines from a stream until one matches; returns it (the rest keeps flowing into `all`). */
export function lines(stream: ReadableStream<Uint8Array>): Lines {
  const all: string[] = [];
  const waiters = new Set<() => void>();
  const done = (async () => {
    let pending = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (pending + chunk).split("\n");
      pending = parts.pop()!;
      all.push(...parts);
      for (const w of [...waiters]) w();
    }
    if (pending) all.push(pending);
    for (const w of [...waiters]) w();
  })();
  return {
    all,
    done,
    async find(re: RegExp): Promise<string> {
      await until(() => all.some((l) => re.test(l)), `a line matching ${re}: ${all.join("|")}`);
      return all.find((l) => re.test(l))!;
    },
  };
}

/** A sandbox process. */
export interface SandboxProcess {
  readonly child: Deno.ChildProcess;
  readonly out: Lines;
  readonly err: Lines;
  /** Waits for the `DBUS_SESSION_BUS_ADDRESS=` line and returns the address. */
  address(): Promise<string>;
}

/** Runs `deno ARGS...` (e.g. `run --allow-all src/sandbox/main.ts DIR`) as a real process. */
export function spawnSandbox(args: readonly string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1", ...env },
  }).spawn();
  const out = lines(child.stdout);
  const err = lines(child.stderr);
  return {
    child,
    out,
    err,
    async address() {
      const line = await out.find(/^DBUS_SESSION_BUS_ADDRESS=/);
      return line.slice("DBUS_SESSION_BUS_ADDRESS=".length);
    },
  } satisfies SandboxProcess;
}
