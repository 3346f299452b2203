/**
 * A private bus and an Upstart sandbox on a temp job directory, for tests: everything (bus,
 * sandbox, every job process) goes away on `close()`.
 *
 * @module
 */

import { Connection, type SignalMessage } from "../../ffi/mod.ts";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/mod.ts";
import type { PrivateBus } from "../../src/sandbox/mod.ts";
import { startBus } from "./bus.ts";

/** A running test sandbox. */
export interface TestSandbox extends AsyncDisposable {
  /** The bus address. */
  readonly address: string;
  /** The job directory. */
  readonly jobDir: string;
  /** The sandbox. */
  readonly sandbox: Sandbox;
  /** A client connection to the bus (closed with the sandbox). */
  readonly client: Connection;
  /** Writes `<jobDir>/<name>.conf` (or the exact file name when it has an extension). */
  writeJob(name: string, text: string): Promise<void>;
  /** Removes a job file. */
  removeJob(name: string): Promise<void>;
  /** Calls a method of Upstart's manager (or a job/instance with `path`). */
  call(
    member: string,
    signature?: string,
    body?: unknown[],
    path?: string,
    iface?: string,
  ): Promise<unknown[]>;
  /** Records every signal the sandbox sends from now on. */
  record(): Promise<SignalRecorder>;
  /** Tears everything down. */
  close(): Promise<void>;
}

/** Signals seen since `record()`. */
export interface SignalRecorder extends AsyncDisposable {
  /** Every signal so far, in order. */
  readonly seen: SignalMessage[];
  /** Waits until `pred` holds for some signal seen (default 10 s). */
  until(pred: (m: SignalMessage) => boolean, timeoutMs?: number): Promise<SignalMessage>;
  /** `"member(arg)"` strings, for order checks: `StateChanged(running)`, `EventEmitted(started)`. */
  summary(): string[];
  /** Stops recording. */
  stop(): Promise<void>;
}

/** Options of {@linkcode startSandbox}. */
export interface TestSandboxOptions extends Partial<Omit<SandboxOptions, "jobDir" | "address">> {
  /** Job files to write first: name (without `.conf`, or with an extension) → text. */
  readonly jobs?: Record<string, string>;
}

function fileName(name: string): string {
  return /\.(conf|override)$/.test(name) ? name : `${name}.conf`;
}

/** Starts a bus and a sandbox on a fresh job directory. */
export async function startSandbox(options: TestSandboxOptions = {}): Promise<TestSandbox> {
  const jobDir = await Deno.makeTempDir({ prefix: "upstart-sandbox-jobs-" });
  const logDir = options.logDir ?? `${jobDir}.log`;
  for (const [name, text] of Object.entries(options.jobs ?? {})) {
    const path = `${jobDir}/${fileName(name)}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
  let bus: PrivateBus | null = null;
  let sandbox: Sandbox | null = null;
  let client: Connection | null = null;
  try {
    bus = await startBus();
    sandbox = await Sandbox.start({ ...options, jobDir, address: bus.address, logDir });
    client = await Connection.open(bus.address);
  } catch (e) {
    await sandbox?.close();
    await bus?.close();
    throw e;
  }
  const recorders = new Set<SignalRecorder>();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    for (const r of recorders) await r.stop();
    await client!.close();
    await sandbox!.close();
    await bus!.close();
    await Deno.remove(jobDir, { recursive: true }).catch(() => {});
    if (!options.logDir) await Deno.remove(logDir, { recursive: true }).catch(() => {});
  };
  const c = client, sb = sandbox;
  return {
    address: bus.address,
    jobDir,
    sandbox: sb,
    client: c,
    async writeJob(name, text) {
      const path = `${jobDir}/${fileName(name)}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(path, text);
    },
    async removeJob(name) {
      await Deno.remove(`${jobDir}/${fileName(name)}`);
    },
    call(member, signature = "", body = [], path = "/com/ubuntu/Upstart", iface) {
      return c.call({
        destination: "com.ubuntu.Upstart",
        path,
        interface: iface ??
          (path === "/com/ubuntu/Upstart"
            ? "com.ubuntu.Upstart0_6"
            : path.split("/").length === 6
            ? "com.ubuntu.Upstart0_6.Job"
            : "com.ubuntu.Upstart0_6.Instance"),
        member,
        signature,
        body,
      });
    },
    async record() {
      const seen: SignalMessage[] = [];
      const waiters = new Set<() => void>();
      const sub = await c.subscribe({ sender: "com.ubuntu.Upstart" }, (m) => {
        seen.push(m);
        for (const w of [...waiters]) w();
      });
      const rec: SignalRecorder = {
        seen,
        until(pred, timeoutMs = 10000) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const m = seen.find(pred);
              if (!m) return false;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(m);
              return true;
            };
            const timer = setTimeout(() => {
              waiters.delete(check);
              reject(
                new Error(`Signal not seen in ${timeoutMs} ms; seen: ${rec.summary().join(", ")}`),
              );
            }, timeoutMs);
            waiters.add(check);
            check();
          });
        },
        summary() {
          return seen.map((m) =>
            `${m.member}(${m.member === "EventEmitted" ? m.body[0] : m.body.map(String).join(",")})`
          );
        },
        async stop() {
          if (!recorders.delete(rec)) return;
          await sub.unsubscribe().catch(() => {});
        },
        [Symbol.asyncDispose]() {
          return rec.stop();
        },
      };
      recorders.add(rec);
      return rec;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
