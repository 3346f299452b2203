import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";

const DEMO = new URL("../examples/demo.ts", import.meta.url).pathname;

Deno.test("deno task demo: drives the sandbox with the real CLI and exits 0", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", DEMO],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, `demo failed:\n${text}\n${err}`);
  const lines = text.split("\n");
  const after = (cmd: string) => lines[lines.indexOf(`$ initctl --session ${cmd}`) + 1];
  assert(/^export DBUS_SESSION_BUS_ADDRESS=unix:/m.test(text));
  assertEquals(after("version"), "init (upstart 1.13.2) sandbox");
  assertEquals(after("start hello"), "hello stop/waiting");
  assert(lines.includes("hello from hello"));
  assert(/^worker \(1\) start\/running, process \d+$/.test(after("start worker N=1")));
  assert(lines.includes("initctl: Job is already running: worker (1)"));
  assert(lines.includes("deploying to staging-eu"));
  assert(!text.includes("deploying to prod"));
  assert(/^ticker start\/running, process \d+$/.test(after("status ticker")));
  assertEquals(after("get-env DEMO"), "yes");
  assert(lines.includes("initctl: Unknown instance: 9"));
  // The last list: everything stopped again.
  const last = lines.lastIndexOf("$ initctl --session list");
  // Sorted: `list` follows GetAllJobs, which comes in Upstart's hash-table order.
  assertEquals(lines.slice(last + 1, last + 7).sort(), [
    "flaky stop/waiting",
    "hello stop/waiting",
    "on-event stop/waiting",
    "ticker stop/waiting",
    "web stop/waiting",
    "worker stop/waiting",
  ]);
  assert(text.trimEnd().endsWith("# Done: sandbox and jobs stopped."));
});
