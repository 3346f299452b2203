/**
 * Running a command on many hosts at once (`-H a,b,c`, `--hosts-file`): a
 * bounded number at a time, each line of output prefixed with its host as
 * pdsh does (or one JSON document for all), one failing host never stopping
 * the others.
 *
 * @module
 */

import type { SystemOptions } from "../system.ts";
import type { RemoteBridge } from "../remote.ts";
import type { CliIo } from "./io.ts";
import { type OptionValues, UsageError } from "./options.ts";

/** A host to run on, and whether output must name it. */
export interface HostList extends Array<string> {
  /** Prefix output with the host (more than one host, or a hosts file). */
  prefixed?: boolean;
}

/**
 * The hosts of `-H/--host` (comma-separated, repeatable) and `--hosts-file`
 * (one per line, `#` comments), de-duplicated, in order.
 *
 * @param io For reading the hosts file.
 * @param values The parsed options.
 * @returns The hosts (empty when neither option was given).
 * @throws {UsageError} for an empty or option-like host name, an unreadable file.
 * @example
 * ```ts no-eval
 * import { readHosts } from "./hosts.ts";
 * import { denoIo } from "./io.ts";
 * const hosts = readHosts(denoIo(), { host: ["a,root@b"] }); // ["a", "root@b"]
 * ```
 */
export function readHosts(io: CliIo, values: OptionValues): HostList {
  const names: string[] = [];
  for (const list of (values.host ?? []) as string[]) names.push(...list.split(","));
  const file = values["hosts-file"] as string | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = new TextDecoder().decode(io.readFile(file));
    } catch (e) {
      throw new UsageError(`cannot read hosts file ${file}: ${(e as Error).message}`);
    }
    for (const line of text.split("\n")) {
      const name = line.replace(/#.*/, "").trim();
      if (name) names.push(name);
    }
  }
  const hosts: HostList = [];
  for (const raw of names) {
    const host = raw.trim();
    // A leading "-" would reach ssh as an option.
    if (!/^[^\s@-][^\s@]*(@[^\s@-][^\s@]*)?$/.test(host)) {
      throw new UsageError(`invalid host: ${JSON.stringify(raw)}`);
    }
    if (!hosts.includes(host)) hosts.push(host);
  }
  hosts.prefixed = hosts.length > 1 || file !== undefined;
  return hosts;
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

/** Runs `fn` on every item with at most `limit` running at once. */
async function bounded<T>(items: readonly T[], limit: number, fn: (t: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Runs a command on each host (see the module doc) and returns the combined
 * exit status: 0 when every host succeeded, else the first failure's status.
 *
 * @param io The real io.
 * @param prog The program name (stripped from error texts in JSON).
 * @param hosts The hosts.
 * @param values The parsed options (`parallel`, `json`, ssh settings).
 * @param run Runs the command with an io and extra connect options.
 * @param streaming The command prints JSON lines as it goes (`watch`): with
 *   `--json`, each line is passed on at once with a `host` field added,
 *   instead of one document at the end.
 * @returns The exit status.
 * @throws {UsageError} for bad options, or when the command finds its arguments wrong.
 * @example
 * ```ts no-eval
 * import { readHosts, runOnHosts } from "./hosts.ts";
 * import { denoIo } from "./io.ts";
 * const io = denoIo();
 * const values = { host: ["web1,web2"] };
 * const status = await runOnHosts(io, "initctl", readHosts(io, values), values, (hostIo) => {
 *   hostIo.stdout("hello\n"); // printed as "web1: hello", "web2: hello"
 *   return Promise.resolve(0);
 * });
 * ```
 */
export async function runOnHosts(
  io: CliIo,
  prog: string,
  hosts: HostList,
  values: OptionValues,
  run: (io: CliIo, extra: SystemOptions) => Promise<number>,
  streaming = false,
): Promise<number> {
  const parallel = values.parallel === undefined ? 16 : Number(values.parallel);
  if (!Number.isInteger(parallel) || parallel < 1) {
    throw new UsageError(
      `invalid --parallel value: ${values.parallel}: expected a positive integer`,
    );
  }
  const bridge = values.bridge;
  if (bridge !== undefined && !["auto", "socat", "python3", "python"].includes(bridge as string)) {
    throw new UsageError(
      `invalid --bridge value: ${bridge}: expected auto, socat, python3 or python`,
    );
  }
  const remote = (host: string): SystemOptions => ({
    host,
    sshCommand: values["ssh-command"] as string | undefined,
    sshArgs: values["ssh-arg"] as string[] | undefined,
    bridge: values.bridge as RemoteBridge | undefined,
    remoteSocket: values["remote-socket"] as string | undefined,
    sudo: values.sudo === true ? true : undefined,
    dest: values.dest as string | undefined,
  });
  if (!hosts.prefixed) return await run(io, remote(hosts[0]));

  const json = values.json === true && !streaming;
  const jsonLines = values.json === true && streaming;
  const results: Record<string, unknown> = {};
  let status = 0;
  // A usage error is the command line's, not a host's: reported once, after the
  // hosts already running have finished, and no further host is started.
  let usageError: UsageError | null = null;
  await bounded(hosts, parallel, async (host) => {
    if (usageError !== null) return;
    let out = "";
    let err = "";
    const stdout = lineWriter((l) => {
      if (!jsonLines) return io.stdout(`${host}: ${l}\n`);
      let doc: unknown;
      try {
        doc = JSON.parse(l);
      } catch {
        doc = { line: l };
      }
      io.stdout(JSON.stringify({ host, ...(doc as object) }) + "\n");
    });
    const stderr = lineWriter((l) => io.stderr(`${host}: ${l}\n`));
    const hostIo: CliIo = {
      stdout: (t) => json ? out += t : stdout.write(t),
      stderr: (t) => json ? err += t : stderr.write(t),
      readFile: (p) => io.readFile(p),
      env: (n) => io.env(n),
      stderrIsTerminal: () => false, // progress lines would interleave
      stdoutIsTerminal: () => false,
      get interrupt() {
        return io.interrupt;
      },
    };
    let code: number;
    try {
      code = await run(hostIo, remote(host));
    } catch (e) {
      if (e instanceof UsageError) {
        usageError ??= e;
        return;
      }
      hostIo.stderr(`${prog}: ${(e as Error).message}\n`);
      code = 1;
    }
    stdout.flush();
    stderr.flush();
    if (code !== 0 && status === 0) status = code;
    if (json) {
      let result: unknown = null;
      try {
        result = out.trim() ? JSON.parse(out) : null;
      } catch {
        result = out;
      }
      const error = err.trim().split("\n").map((l) =>
        l.startsWith(`${prog}: `) ? l.slice(prog.length + 2) : l
      )
        .join("\n");
      results[host] = code === 0
        ? { ok: true, result }
        : { ok: false, exitCode: code, error, ...(result === null ? {} : { result }) };
    }
  });
  if (usageError !== null) throw usageError;
  if (json) {
    const ordered = Object.fromEntries(hosts.map((h) => [h, results[h]]));
    io.stdout(JSON.stringify({ hosts: ordered }, null, 2) + "\n");
  }
  return status;
}
