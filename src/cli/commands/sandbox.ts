/**
 * `sandbox [JOBDIR]`: runs the Upstart sandbox on a private bus (as `deno task sandbox` does
 * in a checkout), so that `deno run -A jsr:@upstart/upstart/cli sandbox JOBDIR` works from JSR.
 * The sandbox is imported only when this command runs: other commands never load it.
 *
 * @module
 */

import type { Command } from "../context.ts";
import { escapeOutput } from "../escape.ts";

/** The `sandbox` command. */
export const sandboxCommands: readonly Command[] = [
  {
    name: "sandbox",
    usage: "JOBDIR",
    summary: "Run an Upstart-compatible sandbox with the jobs of JOBDIR.",
    help:
      "Starts a private D-Bus bus and an Upstart 1.13-compatible sandbox on it that really runs the jobs of JOBDIR (searched recursively) as child processes of the current user. Prints DBUS_SESSION_BUS_ADDRESS=... on stdout: talk to it with --address, --session or initctl --session. Ctrl-C stops the bus and every job. Needs dbus-daemon; run with --allow-all (it spawns processes).",
    group: "Sandbox",
    options: [
      { long: "log-dir", arg: "DIR", help: "where console log output goes (default: a temp dir)" },
      { long: "startup-event", arg: "NAME", help: "the event emitted at start (default startup)" },
      { long: "no-startup-event", help: "emit no event at start" },
    ],
    daemon: false,
    async run(ctx) {
      const args: string[] = [];
      if (typeof ctx.opts["log-dir"] === "string") args.push("--log-dir", ctx.opts["log-dir"]);
      if (typeof ctx.opts["startup-event"] === "string") {
        args.push("--startup-event", ctx.opts["startup-event"]);
      }
      if (ctx.opts["no-startup-event"] === true) args.push("--no-startup-event");
      if (ctx.opts.verbose === true) args.push("--verbose");
      // Arguments after `--` may start with a dash: the sandbox's parser must see them as such.
      for (const a of ctx.args) {
        if (a.startsWith("-")) return usage(ctx.io, `Unexpected argument: ${a}`);
        args.push(a);
      }
      const { main } = await import("../../sandbox/main.ts");
      // Its log names job files and directories: control characters in them are escaped.
      const io = ctx.io;
      return await main(args, {
        stdout: (text) => io.stdout(escapeOutput(text)),
        stderr: (text) => io.stderr(escapeOutput(text)),
        env: (name) => io.env(name),
        get interrupt() {
          return io.interrupt;
        },
      });
    },
  },
];

function usage(io: { stderr(text: string): void }, message: string): number {
  io.stderr(`sandbox: ${message}\n`);
  return 2;
}
