/**
 * Running a command on many hosts at once (`-H a,b,c`, `--hosts-file`): a
 * bounded number at a time, each line of output prefixed with its host as
 * pdsh does (or one JSON document for all), one failing host never stopping
 * the others.
 *
 * @module
 */

import { failureOf, type FleetHost, forEachHost, type HostFailure } from "../fleet.ts";
import { HostUnreachableError } from "../host_errors.ts";
import { readInventory, selectHosts } from "../inventory/mod.ts";
import type { SystemOptions } from "../system.ts";
import { REMOTE_BRIDGES, type RemoteBridge } from "../remote.ts";
import type { CliIo } from "./io.ts";
import { type OptionValues, UsageError } from "./options.ts";

/** The hosts to run on, and whether output must name them. */
export interface HostList extends Array<FleetHost> {
  /** Prefix output with the host (more than one host, or a hosts file). */
  prefixed?: boolean;
}

/**
 * The hosts of `-H/--host` (comma-separated, repeatable), `--hosts-file` (one per line, `#`
 * comments) and `--inventory` (an Ansible inventory, narrowed by `--limit`), de-duplicated, in
 * order. Hosts from an inventory bring their own ssh settings (port, user, key, `become`).
 *
 * @param io For reading the hosts file and the inventory.
 * @param values The parsed options.
 * @returns The hosts (empty when no option names any).
 * @throws {UsageError} for an empty or option-like host name, an unreadable file, `--limit`
 *   without `--inventory`, or a limit that leaves no host.
 * @throws {InventoryError} for an inventory Ansible would not read (its file and line).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readHosts } from "./hosts.ts";
 * import { denoIo } from "./io.ts";
 * const hosts = await readHosts(denoIo(), { host: ["a,root@b", "a"] });
 * assert.deepEqual([...hosts], [{ host: "a" }, { host: "root@b" }]);
 * assert.equal(hosts.prefixed, true); // output lines name their host
 * ```
 */
export async function readHosts(io: CliIo, values: OptionValues): Promise<HostList> {
  const names: string[] = [];
  for (const list of (values.host ?? []) as string[]) names.push(...list.split(","));
  const file = values["hosts-file"] as string | undefined;
  if (file !== undefined) {
    for (const line of readText(io, file, "hosts file").split("\n")) {
      const name = line.replace(/#.*/, "").trim();
      if (name) names.push(name);
    }
  }
  const hosts: HostList = [];
  for (const raw of names) {
    const host = checkHost(raw.trim(), raw);
    if (!hosts.some((h) => (h.name ?? h.host) === host)) hosts.push({ host });
  }
  const inventory = values.inventory as string | undefined;
  const limit = values.limit as string[] | undefined;
  if (limit !== undefined && inventory === undefined) {
    throw new UsageError("--limit selects hosts of an --inventory: give one");
  }
  if (inventory !== undefined) {
    // The library's reader: a regular file, bounded, UTF-8 (not /dev/zero, a FIFO, binary).
    const parsed = await readInventory(inventory);
    const selected = selectHosts(parsed, limit);
    if (selected.length === 0) {
      throw new UsageError(`no host of ${inventory} matches --limit ${limit?.join(" --limit ")}`);
    }
    for (const h of selected) {
      if (hosts.some((known) => (known.name ?? known.host) === h.name)) continue;
      const host = checkHost(h.host, `${h.host} (${h.name} in ${inventory})`);
      hosts.push({ name: h.name, host, sshArgs: h.sshArgs, sudo: h.sudo || undefined });
    }
  }
  hosts.prefixed = hosts.length > 1 || file !== undefined || inventory !== undefined;
  return hosts;
}

/** A hosts file is short: more than this is not one. */
const MAX_HOSTS_FILE_BYTES = 4 << 20;

/**
 * `host` or `user@host`, as every way of naming hosts must give it: a leading "-" would reach ssh
 * as an option, a control character the terminal, a second "@" a user nobody meant.
 */
function checkHost(host: string, shown: string): string {
  // deno-lint-ignore no-control-regex
  if (!/^[^\s@-][^\s@]*(@[^\s@-][^\s@]*)?$/.test(host) || /[\x00-\x1f\x7f]/.test(host)) {
    throw new UsageError(`invalid host: ${JSON.stringify(shown).replace(/[\x7f]/g, "\\u007f")}`);
  }
  return host;
}

function readText(io: CliIo, path: string, what: string): string {
  try {
    const info = Deno.statSync(path);
    if (info.isDirectory) throw new Error("a directory");
    let bytes: Uint8Array;
    if (info.isFile) {
      if (info.size > MAX_HOSTS_FILE_BYTES) throw new Error(`over ${MAX_HOSTS_FILE_BYTES} bytes`);
      bytes = io.readFile(path);
    } else {
      // A pipe (<(grep web hosts), /dev/stdin): read, but never more than a hosts file may be
      // (/dev/zero would never end).
      using file = Deno.openSync(path);
      const buf = new Uint8Array(MAX_HOSTS_FILE_BYTES + 1);
      let total = 0;
      for (let n; total < buf.length && (n = file.readSync(buf.subarray(total))) !== null;) {
        total += n;
      }
      if (total > MAX_HOSTS_FILE_BYTES) throw new Error(`over ${MAX_HOSTS_FILE_BYTES} bytes`);
      bytes = buf.subarray(0, total);
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new Error("not UTF-8 text");
    }
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Splits written text into whole lines, keeping a partial last line for later. */
function lineWriter(write: (line: string) => void) {
  let pending = "";
  return {
    write(text: string) {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const l of lines) write(l);
    },
    flush() {
      if (pending) write(pending);
      pending = "";
    },
  };
}

/** What a command run on one host gives back. */
export interface HostRun {
  /** Its exit status. */
  readonly code: number;
  /** The error it ended with, if any (already printed unless it is a connection failure). */
  readonly error?: unknown;
}

/** Runs a command with an io and connect options; `signal` aborts it (a host's time is up). */
export type RunCommand = (
  io: CliIo,
  extra: SystemOptions,
  signal: AbortSignal,
) => Promise<HostRun>;

/** A connection failure is reported by the fleet runner, in one line: the command must not. */
export function isHostFailure(e: unknown): boolean {
  return e instanceof HostUnreachableError;
}

function positive(values: OptionValues, name: string, integer: boolean): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0) || (integer && !Number.isInteger(n)) || !Number.isFinite(n)) {
    throw new UsageError(
      `invalid --${name} value: ${raw}: expected a positive ${integer ? "integer" : "number"}`,
    );
  }
  return n;
}

/** The connect options of one host, from the command line and the host's own settings. */
function remoteOptions(values: OptionValues, host: FleetHost): SystemOptions {
  const bridge = values.bridge;
  if (bridge !== undefined && !REMOTE_BRIDGES.includes(bridge as RemoteBridge)) {
    throw new UsageError(
      `invalid --bridge value: ${bridge}: expected auto, socat, python3 or python`,
    );
  }
  const sshArgs = [...(values["ssh-arg"] as string[] | undefined ?? []), ...(host.sshArgs ?? [])];
  return {
    host: host.host,
    label: host.name,
    sshCommand: values["ssh-command"] as string | undefined ?? host.sshCommand,
    sshArgs: sshArgs.length ? sshArgs : undefined,
    bridge: (values.bridge as RemoteBridge | undefined) ?? host.bridge,
    remoteSocket: values["remote-socket"] as string | undefined ?? host.remoteSocket,
    sudo: values.sudo === true || host.sudo === true ? true : undefined,
    reuse: values["ssh-reuse"] === true ? true : undefined,
    controlPersist: positive(values, "ssh-persist", true),
    dest: values.dest as string | undefined,
  };
}

/** A status line on a terminal's stderr, erased before other output and redrawn after it. */
function progressLine(io: CliIo, enabled: boolean) {
  let shown = "";
  const erase = () => {
    if (shown) io.stderr(`\r${" ".repeat(shown.length)}\r`);
  };
  return {
    around(write: () => void) {
      erase();
      write();
      if (shown) io.stderr(shown);
    },
    show(text: string) {
      if (!enabled) return;
      erase();
      shown = text;
      io.stderr(text);
    },
    clear() {
      erase();
      shown = "";
    },
  };
}

/** The end-of-run line: `200 hosts: 198 ok, 2 failed (db3, web17)`. */
function summaryLine(total: number, failedNames: readonly string[]): string {
  const failed = failedNames.length;
  const names = failedNames.slice(0, 10).join(", ") +
    (failed > 10 ? `, and ${failed - 10} more` : "");
  return `${total} hosts: ${total - failed} ok, ${failed} failed${failed ? ` (${names})` : ""}`;
}

/**
 * Runs a command on each host (see the module doc) and returns the combined
 * exit status: 0 when every host succeeded, else the first failure's status
 * (124 for a host that ran out of time).
 *
 * A connection failure is one line, `HOST: what was tried: why`; on a terminal a progress
 * line (`[37/200] 35 ok, 2 failed`) is kept on stderr, and a summary line ends a run on more
 * than one host. With `--json`, one document: `{"hosts": {HOST: {ok, exitCode, result?,
 * error?: {kind, message}}}, "summary": {...}}`.
 *
 * @param io The real io.
 * @param prog The program name (stripped from error texts in JSON).
 * @param hosts The hosts.
 * @param values The parsed options (`parallel`, `host-timeout`, `json`, ssh settings).
 * @param run Runs the command with an io, extra connect options and an abort signal.
 * @param streaming The command prints JSON lines as it goes (`watch`): with
 *   `--json`, each line is passed on at once with a `host` field added,
 *   instead of one document at the end.
 * @returns The exit status.
 * @throws {UsageError} for bad options, or when the command finds its arguments wrong.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readHosts, runOnHosts } from "./hosts.ts";
 * import type { CliIo } from "./io.ts";
 * let out = "", err = "";
 * const io: CliIo = {
 *   stdout: (text) => void (out += text),
 *   stderr: (text) => void (err += text),
 *   readFile: (path) => Deno.readFileSync(path),
 *   env: (name) => Deno.env.get(name),
 *   stdoutIsTerminal: () => false,
 *   stderrIsTerminal: () => false,
 *   interrupt: new AbortController().signal,
 * };
 * const values = { host: ["web1,web2"] };
 * const status = await runOnHosts(io, "initctl", await readHosts(io, values), values, (hostIo) => {
 *   hostIo.stdout("hello\n"); // a command's output, on one host
 *   return Promise.resolve({ code: 0 });
 * });
 * assert.equal(status, 0);
 * assert.equal(out, "web1: hello\nweb2: hello\n");
 * ```
 */
export async function runOnHosts(
  io: CliIo,
  prog: string,
  hosts: HostList,
  values: OptionValues,
  run: RunCommand,
  streaming = false,
): Promise<number> {
  const parallel = positive(values, "parallel", true) ?? 16;
  const seconds = positive(values, "host-timeout", false);
  const hostTimeout = seconds === undefined ? undefined : seconds * 1000;
  for (const host of hosts) remoteOptions(values, host); // bad options: one usage error, up front
  const quiet = values.quiet === true;
  if (!hosts.prefixed) {
    const [result] = await forEachHost(
      hosts,
      (host, signal) => run(io, remoteOptions(values, host), signal),
      // Ctrl-C is the command's to handle (watch exits 130): io.interrupt is not read here,
      // so that a command that does not read it is simply ended by the signal, as before.
      { hostTimeout },
    );
    if (result.ok) {
      const { code, error } = result.value;
      if (error !== undefined && isHostFailure(error)) {
        io.stderr(`${prog}: ${(error as Error).message}\n`);
      }
      return code;
    }
    if (result.failure.error instanceof UsageError) throw result.failure.error;
    io.stderr(`${prog}: ${result.name}: ${result.failure.message}\n`);
    return result.failure.kind === "timeout" ? 124 : 1;
  }

  const json = values.json === true && !streaming;
  const jsonLines = values.json === true && streaming;
  const progress = progressLine(io, io.stderrIsTerminal() && !quiet && !values.json);
  const results: Record<string, unknown> = {};
  const failedNames: string[] = [];
  let status = 0;
  // A usage error is the command line's, not a host's: reported once, after the
  // hosts already running have finished, and no further host is started.
  let usageError: UsageError | null = null;
  const stopAll = new AbortController();
  const outputs = new Map<string, { out: string; err: string; muted: boolean }>();
  const fleet = await forEachHost(hosts, async (host, signal) => {
    const name = host.name ?? host.host;
    const buffers = { out: "", err: "", muted: false };
    let interrupt: AbortSignal | undefined;
    outputs.set(name, buffers);
    signal.addEventListener("abort", () => buffers.muted = true, { once: true });
    const emit = (write: () => void) => {
      if (!buffers.muted) progress.around(write);
    };
    const stdout = lineWriter((l) => {
      if (!jsonLines) return emit(() => io.stdout(`${name}: ${l}\n`));
      let doc: unknown;
      try {
        doc = JSON.parse(l);
      } catch {
        doc = { line: l };
      }
      // The host last, so the command's own "host" field cannot hide it; a line that is not an
      // object is kept whole.
      const fields = doc !== null && typeof doc === "object" && !Array.isArray(doc)
        ? doc
        : { value: doc };
      emit(() => io.stdout(JSON.stringify({ ...fields, host: name }) + "\n"));
    });
    const stderr = lineWriter((l) => emit(() => io.stderr(`${name}: ${l}\n`)));
    const hostIo: CliIo = {
      stdout: (t) => json ? buffers.out += t : stdout.write(t),
      stderr: (t) => json ? buffers.err += t : stderr.write(t),
      readFile: (p) => io.readFile(p),
      env: (n) => io.env(n),
      stderrIsTerminal: () => false, // progress lines would interleave
      stdoutIsTerminal: () => false,
      // Ctrl-C (read only by a command that handles it), or this host's time being up.
      get interrupt() {
        return interrupt ??= AbortSignal.any([io.interrupt, signal]);
      },
    };
    try {
      const result = await run(hostIo, remoteOptions(values, host), signal);
      if (result.error !== undefined && isHostFailure(result.error)) throw result.error;
      return result;
    } catch (e) {
      if (e instanceof UsageError) {
        usageError ??= e;
        stopAll.abort(e);
      }
      throw e;
    } finally {
      stdout.flush();
      stderr.flush();
    }
  }, {
    parallel,
    hostTimeout,
    signal: stopAll.signal,
    onResult(result, p) {
      const name = result.name;
      const buffers = outputs.get(name)!;
      const code = result.ok ? result.value.code : result.failure.kind === "timeout" ? 124 : 1;
      if (code !== 0) failedNames.push(name);
      if (code !== 0 && status === 0) status = code;
      if (!result.ok && !(result.failure.error instanceof UsageError) && !json) {
        progress.around(() => io.stderr(`${name}: ${result.failure.message}\n`));
      }
      if (json) {
        results[name] = hostDocument(
          prog,
          buffers,
          code,
          result.ok ? result.value : null,
          result.ok ? null : result.failure,
        );
      }
      progress.show(`[${p.done}/${p.total}] ${p.ok} ok, ${p.failed} failed`);
    },
  }).catch((e) => {
    if (usageError !== null) return null;
    throw e;
  });
  progress.clear();
  if (usageError !== null) throw usageError;
  // Named in the order given, whatever order they finished in.
  const order = new Map(hosts.map((h, i) => [h.name ?? h.host, i]));
  failedNames.sort((a, b) => order.get(a)! - order.get(b)!);
  if (fleet === null) return status;
  if (json) {
    const ordered = Object.fromEntries(
      hosts.map((h) => [h.name ?? h.host, results[h.name ?? h.host]]),
    );
    const summary = {
      hosts: hosts.length,
      ok: hosts.length - failedNames.length,
      failed: failedNames,
    };
    io.stdout(JSON.stringify({ hosts: ordered, summary }, null, 2) + "\n");
  } else if (!quiet && hosts.length > 1) {
    io.stderr(summaryLine(hosts.length, failedNames) + "\n");
  }
  return status;
}

/** One host's entry in the `--json` document. */
function hostDocument(
  prog: string,
  buffers: { out: string; err: string },
  code: number,
  run: HostRun | null,
  failure: HostFailure | null,
): unknown {
  let result: unknown = null;
  try {
    result = buffers.out.trim() ? JSON.parse(buffers.out) : null;
  } catch {
    result = buffers.out;
  }
  if (code === 0) return { ok: true, exitCode: 0, result };
  const text = buffers.err.trim().split("\n").map((l) =>
    l.startsWith(`${prog}: `) ? l.slice(prog.length + 2) : l
  ).join("\n");
  const error = failure ?? (run?.error !== undefined ? failureOf(run.error) : null);
  return {
    ok: false,
    exitCode: code,
    error: { kind: error?.kind ?? "command", message: error?.message ?? text },
    ...(result === null ? {} : { result }),
  };
}
