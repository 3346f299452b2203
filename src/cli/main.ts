/**
 * The CLI's entry point: global options, command dispatch, initctl-style
 * errors and exit statuses, and running a command on many hosts.
 *
 * @module
 */

import { escapeOutput } from "./escape.ts";
import { processUid } from "../../ffi/mod.ts";
import { PermissionDeniedError, UpstartError, UpstartNotRunningError } from "../errors.ts";
import type { SystemOptions } from "../system.ts";
import { configCommands } from "./commands/config.ts";
import { daemonCommands } from "./commands/daemon.ts";
import { envCommands } from "./commands/env.ts";
import { fileCommands } from "./commands/files.ts";
import { jobCommands } from "./commands/jobs.ts";
import { serviceCommands } from "./commands/service.ts";
import { sandboxCommands } from "./commands/sandbox.ts";
import { logCommands } from "./commands/logs.ts";
import { completionCommand } from "./completion.ts";
import { watchCommands } from "./commands/watch.ts";
import { CliError, type Command, makeContext } from "./context.ts";
import { CLI_VERSION, commandHelp, mainHelp } from "./help.ts";
import { isHostFailure, readHosts, type RunCommand, runOnHosts } from "./hosts.ts";
import type { CliIo } from "./io.ts";
import { type InitctlVia, unreachableMessage } from "./unreachable.ts";
import { type OptionSpec, type OptionValues, parseOptions, UsageError } from "./options.ts";

/** Options every command accepts (before or after the command). */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    long: "system",
    help: "talk to Upstart on the D-Bus system bus",
    daemon: true,
    store: { key: "bus", value: "system" },
  },
  {
    long: "session",
    help: "talk to Upstart on the D-Bus session bus",
    daemon: true,
    store: { key: "bus", value: "session" },
  },
  {
    long: "user",
    help: "talk to the user session in $UPSTART_SESSION (wins over --system, --session)",
    daemon: true,
  },
  {
    long: "dest",
    arg: "NAME",
    help: "Upstart's bus name (default com.ubuntu.Upstart)",
    daemon: true,
  },
  { long: "address", arg: "ADDRESS", help: "talk to Upstart at this D-Bus address", daemon: true },
  {
    long: "host",
    short: "H",
    arg: "[USER@]HOST,...",
    multiple: true,
    help: "run on these hosts over ssh",
    daemon: true,
  },
  { long: "hosts-file", arg: "FILE", help: "run on the hosts listed in FILE", daemon: true },
  {
    long: "inventory",
    short: "i",
    arg: "FILE",
    help: "run on the hosts of an Ansible inventory (INI, YAML or JSON)",
    daemon: true,
  },
  {
    long: "limit",
    short: "l",
    arg: "PATTERN",
    multiple: true,
    help: "with --inventory: hosts matching an Ansible pattern (web*:&prod:!web3)",
    daemon: true,
  },
  { long: "parallel", arg: "N", help: "hosts handled at once (default 16)", daemon: true },
  {
    long: "host-timeout",
    arg: "SECONDS",
    help: "give up on a host after this long, connecting included (default: no limit)",
    daemon: true,
  },
  {
    long: "ssh-reuse",
    help: "share one ssh connection per host between commands (ControlMaster)",
    daemon: true,
  },
  {
    long: "ssh-persist",
    arg: "SECONDS",
    help: "with --ssh-reuse: how long an idle shared connection stays up (default 60)",
    daemon: true,
  },
  {
    long: "ssh-command",
    arg: "PROGRAM",
    help: "ssh program for --host (default ssh)",
    daemon: true,
  },
  {
    long: "remote-socket",
    arg: "SOCKET",
    help: "far-side socket for --host: private, system, a path or @abstract",
    daemon: true,
  },
  {
    long: "ssh-arg",
    arg: "ARG",
    multiple: true,
    help: "one more ssh argument for --host, repeatable: --ssh-arg=-p --ssh-arg=2222",
    daemon: true,
  },
  {
    long: "bridge",
    arg: "BRIDGE",
    help: "far-side bridge for --host: auto (default), socat, python3 or python",
    daemon: true,
  },
  { long: "sudo", help: "run the far-side bridge with sudo -n (for --host)", daemon: true },
  { long: "json", help: "print one JSON document (JSON lines for watch)" },
  { long: "quiet", short: "q", help: "print errors only" },
  { long: "verbose", short: "v", help: "print informational messages too" },
  { long: "help", help: "show this help and exit" },
  { long: "version", help: "show the version and exit" },
];

/** Every command, in help order. */
export const COMMANDS: readonly Command[] = [
  ...jobCommands,
  ...daemonCommands,
  ...envCommands,
  ...configCommands,
  ...serviceCommands,
  ...logCommands,
  ...watchCommands,
  ...fileCommands,
  ...sandboxCommands,
  completionCommand(() => ({ commands: COMMANDS, globals: GLOBAL_OPTIONS })),
];

/** Options of {@linkcode main}. */
export interface MainOptions {
  /**
   * The name in messages (`initctl: Unknown job: x`). Default `initctl`, so
   * that scripts matching initctl's messages keep working.
   */
  readonly programName?: string;
}

/** Commands of our own (not initctl's): their usage errors exit 2. */
const OWN_GROUPS = new Set<Command["group"]>([
  "Service",
  "Watching",
  "Job file",
  "Sandbox",
  "Shell",
]);

function findCommand(name: string): Command | "help" | undefined {
  if (name === "help") return "help";
  return COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
}

/** initctl prints the daemon's own message; our errors print theirs. */
function errorMessage(e: unknown, via: InitctlVia): string {
  // A missing permission surfaces wrapped (e.g. in "not running"): say what it is.
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Deno.errors.NotCapable) e = cause;
  if (e instanceof UpstartNotRunningError) return unreachableMessage(e, via);
  // initctl's line first, then what is needed: a line of our own.
  if (e instanceof PermissionDeniedError) return `${e.dbusMessage.trimEnd()}\nhint: ${e.hint}`;
  if (e instanceof UpstartError) return e.dbusMessage ?? e.message;
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return `${e.message} (see the README for the permissions each command needs)`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** Where to connect, whether that is initctl's user mode, and initctl's rule for the choice. */
interface Chosen {
  readonly options: SystemOptions;
  readonly userMode: boolean;
  readonly via: InitctlVia;
}

/**
 * initctl's choice (upstart_open): `--user`, or `$UPSTART_SESSION` without a
 * bus option, is user mode; else the last of `--system`/`--session`; else
 * the private socket as root, the system bus otherwise. `--address` is ours.
 */
function connectOptions(io: CliIo, v: OptionValues): Chosen {
  const bus = v.bus as "system" | "session" | undefined;
  const dest = v.dest as string | undefined;
  if (v.address !== undefined) {
    const also = [bus && `--${bus}`, v.user && "--user"].filter(Boolean);
    if (also.length) throw new UsageError(`--address cannot be combined with ${also.join(", ")}`);
    const address = v.address as string;
    if (!address.includes(":")) {
      // A D-Bus address names its transport; a bare path is the usual slip.
      const hint = address.startsWith("/") ? `: did you mean unix:path=${address}?` : "";
      throw new UsageError(`invalid --address ${address}: expected a D-Bus address${hint}`);
    }
    return { options: { address: v.address as string, dest }, userMode: false, via: null };
  }
  const upstartSession = io.env("UPSTART_SESSION");
  if (v.user || (upstartSession && bus === undefined)) {
    if (!upstartSession) {
      throw new CliError(
        "UPSTART_SESSION isn't set in the environment. Unable to locate the Upstart instance.",
      );
    }
    // A user session is a peer socket: no bus, so no bus name.
    if (dest !== undefined) throw new UsageError("--dest given without --system");
    return { options: { address: upstartSession, peer: true }, userMode: true, via: "user" };
  }
  if (bus === "system") return { options: { bus: "system", dest }, userMode: false, via: "system" };
  if (bus === "session") {
    const address = io.env("DBUS_SESSION_BUS_ADDRESS");
    return {
      options: address ? { address, peer: false, dest } : { bus: "session", dest },
      userMode: false,
      via: "session",
    };
  }
  if (dest !== undefined && processUid() === 0) {
    throw new UsageError("--dest given without --system");
  }
  return { options: { dest }, userMode: false, via: "default" };
}

/**
 * Runs one command line and returns its exit status: 0 on success, 1 on
 * failure or an initctl usage error (as initctl), 2 on a usage error of one
 * of our own commands, 124 when `wait` times out.
 *
 * @param args The arguments, without the program name.
 * @param io Where to read and write.
 * @param options The program name for messages.
 * @returns The exit status.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
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
 * assert.equal(await main(["frobnicate"], io), 1); // a usage error, as initctl's
 * assert.equal(err, "initctl: invalid command: frobnicate\nTry `initctl --help' for more information.\n");
 * ```
 */
export async function main(
  args: readonly string[],
  io: CliIo,
  options: MainOptions = {},
): Promise<number> {
  const prog = options.programName ?? "initctl";
  let cmd: Command | "help" | undefined;
  const usage = (e: UsageError) => {
    io.stderr(`${prog}: ${e.message}\nTry \`${prog} --help' for more information.\n`);
    return cmd && cmd !== "help" && OWN_GROUPS.has(cmd.group) ? 2 : 1;
  };
  try {
    const before = parseOptions(args, GLOBAL_OPTIONS, true);
    if (before.values.help) return io.stdout(mainHelp(prog, COMMANDS, GLOBAL_OPTIONS)), 0;
    if (before.values.version) return io.stdout(`${prog} (@upstart/upstart ${CLI_VERSION})\n`), 0;
    const [name, ...rest] = before.args;
    if (name === undefined) throw new UsageError("missing command");
    cmd = findCommand(name);
    if (cmd === undefined) throw new UsageError(`invalid command: ${name}`);
    if (cmd === "help") return io.stdout(mainHelp(prog, COMMANDS, GLOBAL_OPTIONS)), 0;
    const after = parseOptions(rest, [...cmd.options, ...GLOBAL_OPTIONS]);
    const values: OptionValues = { ...before.values };
    for (const [k, v] of Object.entries(after.values)) {
      const prev = values[k];
      values[k] = Array.isArray(prev) && Array.isArray(v) ? [...prev, ...v] : v;
    }
    if (values.quiet === true && values.verbose === true) {
      // As in initctl, the later of -q and -v wins.
      const last = (...names: string[]) => Math.max(...names.map((n) => args.lastIndexOf(n)));
      if (last("-q", "--quiet") > last("-v", "--verbose")) delete values.verbose;
      else delete values.quiet;
    }
    if (values.help) return io.stdout(commandHelp(prog, cmd, GLOBAL_OPTIONS)), 0;
    if (values.version) return io.stdout(`${prog} (@upstart/upstart ${CLI_VERSION})\n`), 0;
    const command = cmd;
    const hosts = await readHosts(io, values);
    if (hosts.length && (!command.daemon || command.local?.(values))) {
      throw new UsageError(`${command.name} runs locally: --host and --hosts-file do not apply`);
    }
    const { options: connect, userMode, via }: Chosen = hosts.length
      ? { options: {}, userMode: false, via: null }
      : connectOptions(io, values);
    const run: RunCommand = async (runIo, extra, signal) => {
      const { ctx, close } = makeContext({
        io: runIo,
        prog,
        args: after.args,
        opts: values,
        userMode,
        connectOptions: { ...connect, ...extra, signal },
      });
      // A host whose time is up: closing its connection ends the calls it is waiting on.
      const stop = () => void close();
      signal.addEventListener("abort", stop, { once: true });
      try {
        return { code: await command.run(ctx) };
      } catch (e) {
        if (e instanceof UsageError) throw e;
        // A host that cannot be reached is reported by the fleet runner, in one line.
        if (!isHostFailure(e)) runIo.stderr(`${prog}: ${errorMessage(e, via)}\n`);
        return { code: e instanceof CliError ? e.code : 1, error: e };
      } finally {
        signal.removeEventListener("abort", stop);
        await close();
      }
    };
    // Locally nothing aborts a run from outside: Ctrl-C is the command's to handle (only a
    // command that reads io.interrupt listens for it; any other is ended by the signal).
    if (hosts.length === 0) return (await run(io, {}, new AbortController().signal)).code;
    return await runOnHosts(io, prog, hosts, values, run, command.streaming === true);
  } catch (e) {
    if (e instanceof UsageError) return usage(e);
    io.stderr(`${prog}: ${escapeOutput(errorMessage(e, null))}\n`);
    return e instanceof CliError ? e.code : 1;
  }
}
