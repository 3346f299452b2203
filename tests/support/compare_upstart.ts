/**
 * Dev-only differential check: runs the same job directory and the same D-Bus calls against a
 * real Upstart 1.13.2 (`init --user --session`, built as ../shared/upstart/reference/README.md
 * says) and against the sandbox, and prints what differs: method replies and errors, the signal
 * sequence, the properties of every job and instance after each step, and parse-error log lines.
 *
 * No test or CI step runs this (CI has no real Upstart); it is how the sandbox's behaviour is
 * checked against Upstart's while developing. Usage:
 *
 * ```sh
 * deno run --allow-all tests/support/compare_upstart.ts --ref REFDIR [--all] [SCENARIO...]
 * (REFDIR: where the reference was built; also `$UPSTART_REFERENCE_DIR`)
 * ```
 *
 * `--all` prints both transcripts in full, not only the differences. The exit status is 1 when a
 * scenario differs.
 *
 * Known and left: the relative order of two jobs' `spawned`→`running` walks (and their `started`)
 * when one event starts both depends on when each exec is noticed, in Upstart too ("events"); the
 * sandbox's `version` says `sandbox`; `GetAllInstances` order; `Introspect` on a path with no
 * object, and a method called with the wrong signature (answered by the binding, `ffi/serve.ts`).
 *
 * Normalised: pids (`PID`), the job directory (`JOBDIR`), the session environment (listed relative
 * to the one each daemon started with, since `init --user` starts from its own environment and the
 * sandbox from `PATH` and `TERM`), and timing (each step ends when no signal came for a while).
 *
 * @module
 */

import { Connection, DBusError, type SignalMessage, Variant } from "../../ffi/mod.ts";
import { escapePathElement } from "../../src/names.ts";
import { startSandbox, type TestSandbox } from "./sandbox.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const MANAGER = "/com/ubuntu/Upstart";
const DEST = "com.ubuntu.Upstart";
const PROPS = "org.freedesktop.DBus.Properties";
const INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";

/** One step of a scenario. */
type Step =
  | {
    /** A method call on the manager (no `on`), a job (`job`) or an instance (`job#instance`). */
    readonly call: string;
    readonly on?: string;
    /** An explicit object path (instead of `on`). */
    readonly path?: string;
    /** The interface (default: the object's Upstart interface). */
    readonly iface?: string;
    readonly sig?: string;
    readonly body?: unknown[];
    /** Do not wait for the reply before the next step (it is printed when it comes). */
    readonly async?: boolean;
  }
  | { readonly write: string; readonly text: string }
  | { readonly remove: string }
  | { readonly sleep: number }
  /** Waits for the replies of every `async` call so far. */
  | { readonly settle: true };

/** A scenario: job files and steps. */
interface Scenario {
  readonly name: string;
  readonly jobs: Record<string, string>;
  readonly steps: readonly Step[];
  /** How long without a signal ends a step (default 400 ms). */
  readonly quietMs?: number;
}

const start = (job: string, env: string[] = [], wait = true, extra: Partial<Step> = {}): Step => ({
  call: "Start",
  on: job,
  sig: "asb",
  body: [env, wait],
  ...extra,
});
const stop = (job: string, env: string[] = [], wait = true, extra: Partial<Step> = {}): Step => ({
  call: "Stop",
  on: job,
  sig: "asb",
  body: [env, wait],
  ...extra,
});
const emit = (name: string, env: string[] = [], wait = true, extra: Partial<Step> = {}): Step => ({
  call: "EmitEvent",
  sig: "sasb",
  body: [name, env, wait],
  ...extra,
});
const envCall = (member: string, sig: string, body: unknown[]): Step => ({
  call: member,
  sig,
  body,
});

const SCENARIOS: Scenario[] = [
  {
    name: "service-wait",
    jobs: { svc: "exec sleep 1000\n" },
    steps: [start("svc"), stop("svc"), start("svc", [], false), stop("svc", [], false)],
  },
  {
    name: "task",
    jobs: { t: "task\nexec sleep 0.2\n", tf: "task\nexec sh -c 'sleep 0.2; exit 1'\n" },
    steps: [start("t"), start("t", [], false), start("tf"), start("tf", [], false)],
  },
  {
    name: "pre-start-fails",
    jobs: { p: "pre-start exec false\nexec sleep 1000\n" },
    steps: [start("p"), start("p", [], false)],
  },
  {
    name: "main-exits-nonzero",
    jobs: {
      m: "exec sh -c 'sleep 0.3; exit 3'\n",
      mt: "task\nexec sh -c 'sleep 0.3; exit 3'\n",
      norm: "normal exit 3\nexec sh -c 'sleep 0.3; exit 3'\n",
      sig: "exec sh -c 'sleep 0.3; kill -USR1 $$'\n",
    },
    quietMs: 800,
    steps: [start("m"), start("mt"), start("norm"), start("sig")],
  },
  {
    name: "respawn",
    jobs: {
      // A slow cycle (1 s), so that a step's quiet period ends between respawns.
      r: "respawn\nexec sh -c 'sleep 1; exit 3'\n",
      r0: "respawn\nexec sh -c 'sleep 1; exit 0'\n",
    },
    quietMs: 600,
    steps: [
      start("r", [], false),
      { sleep: 1200 },
      stop("r"),
      start("r0", [], false),
      { sleep: 1200 },
      stop("r0"),
    ],
  },
  {
    name: "respawn-limit",
    jobs: { rl: "respawn\nrespawn limit 2 10\nexec sh -c 'sleep 0.2; exit 3'\n" },
    quietMs: 800,
    steps: [start("rl")],
  },
  {
    name: "post-start-pre-stop",
    jobs: {
      ps: "post-start exec sleep 0.3\npre-stop exec sleep 0.3\nexec sleep 1000\n",
      psf: "post-start exec false\npre-stop exec false\nexec sleep 1000\n",
      pss: "post-stop exec false\nexec sleep 1000\n",
    },
    steps: [start("ps"), stop("ps"), start("psf"), stop("psf"), start("pss"), stop("pss")],
  },
  {
    name: "instances",
    jobs: { inst: 'instance $N\nusage "inst N=NAME"\nexec sleep 1000\n' },
    steps: [
      start("inst", ["N=a"]),
      start("inst", ["N=b"]),
      { call: "GetAllInstances", on: "inst" },
      { call: "GetInstance", on: "inst", sig: "as", body: [["N=a"]] },
      { call: "GetInstance", on: "inst", sig: "as", body: [["N=zz"]] },
      { call: "GetInstance", on: "inst", sig: "as", body: [[]] },
      { call: "GetInstanceByName", on: "inst", sig: "s", body: ["b"] },
      { call: "GetInstanceByName", on: "inst", sig: "s", body: ["zz"] },
      start("inst", []),
      start("inst", ["N=a"]),
      start("inst", ["bad"]),
      stop("inst", ["N=zz"]),
      stop("inst", []),
      stop("inst", ["N=a"]),
      { call: "Stop", on: "inst#b", sig: "b", body: [true] },
    ],
  },
  {
    name: "already-and-unknown",
    jobs: { svc: "exec sleep 1000\n" },
    steps: [
      stop("svc"),
      { call: "Restart", on: "svc", sig: "asb", body: [[], true] },
      { call: "GetInstance", on: "svc", sig: "as", body: [[]] },
      { call: "GetInstanceByName", on: "svc", sig: "s", body: [""] },
      start("svc"),
      start("svc"),
      start("svc", [], false),
      { call: "Start", on: "svc#", sig: "b", body: [true] },
      { call: "Stop", on: "svc#", sig: "b", body: [false] },
      { call: "Stop", on: "svc#", sig: "b", body: [false] },
      stop("svc", [], false),
      { sleep: 300 },
      { call: "Stop", on: "svc#", sig: "b", body: [true] },
      { call: "GetInstanceByName", on: "svc", sig: "s", body: [""] },
    ],
  },
  {
    name: "restart",
    jobs: {
      svc: "exec sleep 1000\n",
      hooks: "pre-start exec true\npost-stop exec true\nexec sleep 1000\n",
    },
    steps: [
      start("svc"),
      { call: "Restart", on: "svc", sig: "asb", body: [[], true] },
      { call: "Restart", on: "svc", sig: "asb", body: [[], false] },
      { call: "Restart", on: "svc#", sig: "b", body: [true] },
      { call: "Restart", on: "svc#", sig: "b", body: [false] },
      stop("svc"),
      start("hooks"),
      { call: "Restart", on: "hooks", sig: "asb", body: [["X=1"], true] },
      { call: "ListEnv", sig: "as", body: [["hooks", ""]] },
    ],
  },
  {
    name: "reload",
    jobs: {
      hup: "script\n  trap 'echo hup' HUP\n  while true; do sleep 0.1; done\nend script\n",
      usr: "reload signal USR1\nexec sleep 1000\n",
      nomain: "pre-start exec true\n",
      slow: "pre-start exec sleep 2\nexec sleep 1000\n",
    },
    steps: [
      start("hup"),
      { call: "Reload", on: "hup#" },
      { sleep: 300 },
      stop("hup"),
      start("usr"),
      { call: "Reload", on: "usr#" },
      { sleep: 300 },
      start("nomain"),
      { call: "Reload", on: "nomain#" },
      stop("nomain"),
      start("slow", [], false),
      { call: "Reload", on: "slow#" },
      stop("slow"),
    ],
  },
  {
    name: "events",
    jobs: {
      kv: "start on foo KEY=val\nstop on bar\nexec sleep 1000\n",
      pos: "start on foo val\nstop on bar x\nexec sleep 1000\n",
      glob: "start on ev-* X=a*\nexec sleep 1000\n",
      neq: "start on foo KEY!=val\nexec sleep 1000\n",
      both: "start on e1 and e2\nstop on e3 or e4\nexec sleep 1000\n",
      tsk: "start on foo\ntask\nexec sleep 0.5\n",
      envstop: "start on baz\nstop on qux ID=$ID\nexec sleep 1000\n",
    },
    steps: [
      emit("foo", ["KEY=val"]),
      emit("bar", [], false),
      { sleep: 300 },
      emit("foo", ["KEY=other"], false),
      { sleep: 300 },
      emit("bar", ["x"]),
      emit("ev-one", ["X=abc"]),
      emit("ev-two", ["X=b"]),
      emit("e1"),
      emit("e2", [], false),
      { sleep: 300 },
      emit("e4"),
      emit("baz", ["ID=7"]),
      emit("qux", ["ID=8"]),
      emit("qux", ["ID=7"]),
      emit("", []),
      emit("bad", ["NOEQUALS"]),
    ],
  },
  {
    name: "event-failed",
    jobs: {
      f: "start on go\npre-start exec false\nexec sleep 1000\n",
      ft: "start on go2\ntask\nexec false\n",
      sf: "start on up\nstop on down\nexec sleep 1000\npost-stop exec false\n",
    },
    steps: [
      emit("go"),
      emit("go", [], false),
      { sleep: 300 },
      emit("go2", ["A=1"]),
      emit("up"),
      emit("down"),
    ],
  },
  {
    name: "env",
    jobs: { svc: "env A=1\nexec sleep 1000\n", other: "exec sleep 1000\n" },
    steps: [
      envCall("SetEnv", "assb", [[], "FOO=1", true]),
      envCall("GetEnv", "ass", [[], "FOO"]),
      envCall("SetEnv", "assb", [[], "FOO=2", false]),
      envCall("GetEnv", "ass", [[], "FOO"]),
      envCall("SetEnv", "assb", [[], "BARE", true]),
      envCall("SetEnvList", "asasb", [[], ["L1=a", "L2=b"], true]),
      envCall("ListEnv", "as", [[]]),
      envCall("GetEnv", "ass", [[], "NOPE"]),
      envCall("GetEnv", "ass", [[], ""]),
      envCall("UnsetEnv", "ass", [[], "FOO"]),
      envCall("UnsetEnv", "ass", [[], "NOPE"]),
      envCall("UnsetEnvList", "asas", [[], ["L1", "L2"]]),
      envCall("ListEnv", "as", [[]]),
      start("svc"),
      envCall("ListEnv", "as", [["svc", ""]]),
      envCall("GetEnv", "ass", [["svc", ""], "A"]),
      envCall("SetEnv", "assb", [["svc", ""], "J=1", true]),
      envCall("GetEnv", "ass", [["svc", ""], "J"]),
      envCall("UnsetEnv", "ass", [["svc", ""], "A"]),
      envCall("ListEnv", "as", [["svc", ""]]),
      envCall("ResetEnv", "as", [["svc", ""]]),
      envCall("ListEnv", "as", [["svc", ""]]),
      envCall("ListEnv", "as", [["nojob", ""]]),
      envCall("ListEnv", "as", [["svc", "x"]]),
      envCall("ListEnv", "as", [["other", ""]]),
      envCall("ListEnv", "as", [["svc"]]),
      envCall("ListEnv", "as", [["", ""]]),
      envCall("ListEnv", "as", [["svc", "", "extra"]]),
      envCall("SetEnv", "assb", [[], "S=1", true]),
      envCall("GetEnv", "ass", [["svc", ""], "S"]),
      envCall("ResetEnv", "as", [[]]),
      envCall("ListEnv", "as", [[]]),
      envCall("GetEnv", "ass", [[], "S"]),
      stop("svc"),
    ],
  },
  {
    name: "names",
    jobs: { svc: "exec sleep 1000\n", "sub/dir": "exec sleep 1000\n" },
    steps: [
      { call: "GetJobByName", sig: "s", body: ["nope"] },
      { call: "GetJobByName", sig: "s", body: [""] },
      { call: "GetJobByName", sig: "s", body: ["svc"] },
      { call: "GetJobByName", sig: "s", body: ["sub/dir"] },
      { call: "GetAllJobs" },
      start("sub/dir"),
    ],
  },
  {
    name: "stanzas",
    jobs: {
      full: [
        'description "Full job"',
        'author "A. Uthor <a@example.com>"',
        'version "1.2.3"',
        'usage "full X=y"',
        "emits ev1 ev2",
        "emits ev3",
        "start on (started a and (b X=1 or c)) or d Y!=2",
        "stop on stopping a or runlevel [!2345]",
        "exec sleep 1000",
        "",
      ].join("\n"),
      bare: "exec sleep 1000\n",
      manual: "manual\nstart on foo\nexec sleep 1000\n",
    },
    steps: [{ sleep: 10 }],
  },
  {
    name: "reload-configuration",
    jobs: { keep: "exec sleep 1000\n", gone: "exec sleep 1000\n", run: "exec sleep 1000\n" },
    quietMs: 800,
    steps: [
      start("run"),
      { write: "added", text: 'description "new"\nexec sleep 1000\n' },
      { sleep: 500 },
      { call: "ReloadConfiguration" },
      { remove: "gone" },
      { sleep: 500 },
      { write: "keep", text: 'description "changed"\nexec sleep 1000\n' },
      { sleep: 500 },
      { write: "run", text: 'description "changed run"\nexec sleep 1000\n' },
      { sleep: 500 },
      { call: "ReloadConfiguration" },
      stop("run"),
      { remove: "run" },
      { sleep: 500 },
    ],
  },
  {
    name: "parse-error",
    jobs: {
      bad: "exec sleep 1000\nfrobnicate\n",
      good: "exec sleep 1000\n",
      badstart: "start on (foo\nexec true\n",
    },
    quietMs: 800,
    steps: [
      { call: "GetJobByName", sig: "s", body: ["bad"] },
      { write: "good", text: "exec sleep 1000\nnice 99\n" },
      { sleep: 500 },
      { write: "bad", text: "exec sleep 1000\n" },
      { sleep: 500 },
      { call: "ReloadConfiguration" },
    ],
  },
  {
    name: "introspect",
    jobs: { svc: "exec sleep 1000\n" },
    steps: [
      start("svc"),
      { call: "Introspect", iface: INTROSPECTABLE },
      { call: "Introspect", path: "/com/ubuntu/Upstart/jobs", iface: INTROSPECTABLE },
      { call: "Introspect", path: "/com/ubuntu", iface: INTROSPECTABLE },
      { call: "Introspect", on: "svc", iface: INTROSPECTABLE },
      { call: "Introspect", on: "svc#", iface: INTROSPECTABLE },
      { call: "Introspect", on: "nope", iface: INTROSPECTABLE },
    ],
  },
  {
    name: "properties-and-errors",
    jobs: { svc: "exec sleep 1000\n" },
    steps: [
      start("svc"),
      { call: "Get", sig: "ss", body: ["com.ubuntu.Upstart0_6", "version"], iface: PROPS },
      { call: "Get", sig: "ss", body: ["", "log_priority"], iface: PROPS },
      { call: "Get", sig: "ss", body: ["com.ubuntu.Upstart0_6", "nope"], iface: PROPS },
      { call: "Get", sig: "ss", body: ["org.example.Nope", "version"], iface: PROPS },
      { call: "GetAll", sig: "s", body: ["org.example.Nope"], iface: PROPS },
      { call: "GetAll", sig: "s", body: [""], iface: PROPS },
      { call: "GetAll", on: "svc#", sig: "s", body: [""], iface: PROPS },
      {
        call: "Set",
        sig: "ssv",
        body: ["com.ubuntu.Upstart0_6", "log_priority", new Variant("s", "debug")],
        iface: PROPS,
      },
      {
        call: "Set",
        sig: "ssv",
        body: ["com.ubuntu.Upstart0_6", "log_priority", new Variant("s", "loud")],
        iface: PROPS,
      },
      {
        call: "Set",
        sig: "ssv",
        body: ["com.ubuntu.Upstart0_6", "log_priority", new Variant("i", 3)],
        iface: PROPS,
      },
      {
        call: "Set",
        sig: "ssv",
        body: ["com.ubuntu.Upstart0_6", "version", new Variant("s", "x")],
        iface: PROPS,
      },
      {
        call: "Set",
        on: "svc",
        sig: "ssv",
        body: ["com.ubuntu.Upstart0_6.Job", "name", new Variant("s", "x")],
        iface: PROPS,
      },
      { call: "Get", sig: "ss", body: ["", "log_priority"], iface: PROPS },
      { call: "Nope" },
      { call: "GetJobByName", sig: "i", body: [1] },
      { call: "Start", on: "svc", sig: "as", body: [[]] },
      { call: "Start", on: "nope", sig: "asb", body: [[], true] },
      { call: "GetAllJobs", iface: "com.ubuntu.Upstart0_6.Nope" },
      { call: "GetAll", on: "nope", sig: "s", body: [""], iface: PROPS },
      { call: "GetAllInstances", on: "nope" },
      { call: "Stop", on: "svc#nope", sig: "b", body: [true] },
      { call: "Ping", iface: "org.freedesktop.DBus.Peer" },
    ],
  },
  {
    name: "cancel-start",
    jobs: {
      slow: "pre-start exec sleep 1\nexec sleep 1000\n",
      slowpost: "post-start exec sleep 1\nexec sleep 1000\n",
      slowstop: "pre-stop exec sleep 1\nexec sleep 1000\n",
    },
    quietMs: 1500,
    steps: [
      start("slow", [], true, { async: true }),
      { sleep: 200 },
      stop("slow", [], false),
      { settle: true },
      start("slowpost", [], true, { async: true }),
      { sleep: 200 },
      stop("slowpost", [], true),
      { settle: true },
      start("slowstop"),
      stop("slowstop", [], true, { async: true }),
      { sleep: 200 },
      start("slowstop", [], true),
      { settle: true },
      stop("slowstop", ["WHY=test"], true),
    ],
  },
  {
    name: "kill-timeout",
    jobs: {
      stubborn:
        "kill timeout 1\nscript\n  trap '' TERM\n  while true; do sleep 0.1; done\nend script\n",
      ks: "kill signal INT\nexec sleep 1000\n",
      ne: "normal exit 0 TERM\nrespawn\nexec sleep 1000\n",
    },
    quietMs: 1500,
    steps: [start("stubborn"), stop("stubborn"), start("ks"), stop("ks"), start("ne"), stop("ne")],
  },
  {
    name: "spawn-failure",
    jobs: {
      nomain: "exec /nonexistent/binary\n",
      nopre: "pre-start exec /nonexistent/binary\nexec sleep 1000\n",
      nopost: "post-start exec /nonexistent/binary\nexec sleep 1000\n",
    },
    steps: [start("nomain"), start("nopre"), start("nopost"), stop("nopost")],
  },
  {
    name: "odd-names",
    jobs: {
      "a-b.c": "exec sleep 1000\n",
      "x_y": "instance $I\nexec sleep 1000\n",
      "d/e-f": "exec sleep 1000\n",
    },
    steps: [
      start("a-b.c"),
      start("x_y", ["I=with space"]),
      start("x_y", ["I=a/b"]),
      start("x_y", ["I=_"]),
      start("x_y", ["I=ünï"]),
      { call: "GetAllInstances", on: "x_y" },
      { call: "GetInstanceByName", on: "x_y", sig: "s", body: ["a/b"] },
      start("d/e-f"),
      { call: "GetAllJobs" },
    ],
  },
  {
    name: "manual-and-respawn-task",
    jobs: {
      manual: "manual\nstart on foo\nexec sleep 1000\n",
      rt: "task\nrespawn\nexec sh -c 'sleep 0.2; exit 1'\n",
      rt0: "task\nrespawn\nexec sh -c 'sleep 0.2; exit 0'\n",
    },
    quietMs: 800,
    steps: [emit("foo"), start("rt0"), start("rt", [], false), { sleep: 1500 }, stop("rt")],
  },
  {
    name: "instance-restart-env",
    jobs: {
      inst: "instance $N\nenv FIXED=1\nexport N\nexec sleep 1000\n",
      on: "start on started inst\ntask\nexec sleep 0.1\n",
    },
    steps: [
      start("inst", ["N=a", "EXTRA=1"]),
      envCall("ListEnv", "as", [["inst", "a"]]),
      { call: "Restart", on: "inst", sig: "asb", body: [["N=a", "EXTRA=2"], true] },
      envCall("ListEnv", "as", [["inst", "a"]]),
      { call: "Restart", on: "inst", sig: "asb", body: [["N=b"], true] },
      stop("inst", ["N=a", "WHY=1"]),
      { call: "GetInstance", on: "inst", sig: "as", body: [["N=a"]] },
    ],
  },
];

/** A daemon to compare: where it listens and how to stop it. */
interface Daemon {
  readonly address: string;
  readonly jobDir: string;
  /** Parse-error lines of its log (`init:` prefix removed), so far. */
  logLines(): Promise<string[]>;
  close(): Promise<void>;
}

async function writeJobs(dir: string, jobs: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(jobs)) {
    const path = `${dir}/${name}.conf`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

async function startReal(ref: string, jobs: Record<string, string>): Promise<Daemon> {
  const root = await Deno.makeTempDir({ prefix: "cmp-real-" });
  const jobDir = `${root}/jobs`, state = `${root}/state`;
  await Deno.mkdir(jobDir);
  await writeJobs(jobDir, jobs);
  // A small fixed environment: what init --user gives its jobs is its own environment.
  const out = await new Deno.Command(`${ref}/run-upstart.sh`, {
    args: [jobDir, state],
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", TERM: "dumb", HOME: root },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const m = /DBUS_SESSION_BUS_ADDRESS=(\S+)/.exec(text);
  if (!out.success || !m) {
    await stopReal(ref, state);
    throw new Error(`real Upstart did not start: ${new TextDecoder().decode(out.stderr)}`);
  }
  return {
    address: m[1],
    jobDir,
    async logLines() {
      const log = await Deno.readTextFile(`${state}/init.log`).catch(() => "");
      return log.split("\n").filter((l) => l.startsWith(`init:${jobDir}`)).map((l) =>
        l.slice("init:".length)
      );
    },
    async close() {
      await stopReal(ref, state);
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

async function stopReal(ref: string, state: string): Promise<void> {
  await new Deno.Command(`${ref}/stop-upstart.sh`, { args: [state] }).output();
}

async function startOurs(jobs: Record<string, string>): Promise<Daemon> {
  // log_priority "info": run-upstart.sh runs init with --verbose.
  const sb: TestSandbox = await startSandbox({ jobs, logPriority: "info" });
  return {
    address: sb.address,
    jobDir: sb.jobDir,
    logLines() {
      return Promise.resolve(
        sb.sandbox.messages.filter((l) => l.message.startsWith(sb.jobDir)).map((l) => l.message),
      );
    },
    close: () => sb.close(),
  };
}

function pathOf(on: string | undefined): string {
  if (!on) return MANAGER;
  // "job" or "job#instance" (a job name may hold "/").
  const hash = on.indexOf("#");
  if (hash < 0) return `${JOBS}/${escapePathElement(on)}`;
  return `${JOBS}/${escapePathElement(on.slice(0, hash))}/${escapePathElement(on.slice(hash + 1))}`;
}

function ifaceOf(path: string): string {
  const depth = path.split("/").length;
  return path === MANAGER
    ? "com.ubuntu.Upstart0_6"
    : depth === 6
    ? "com.ubuntu.Upstart0_6.Job"
    : "com.ubuntu.Upstart0_6.Instance";
}

/** Makes values comparable: pids out, the job directory out, environment relative to a base. */
class Normaliser {
  base = new Set<string>();
  constructor(readonly jobDir: string) {}
  text(s: string): string {
    return s.split(this.jobDir).join("JOBDIR");
  }
  env(list: string[]): string[] {
    const baseKeys = new Map([...this.base].map((e) => [e.slice(0, e.indexOf("=")), e]));
    const out = list.filter((e) => !this.base.has(e)).map((e) => this.text(e));
    const keys = new Set(list.map((e) => e.slice(0, e.indexOf("="))));
    for (const k of baseKeys.keys()) if (!keys.has(k)) out.push(`-${k} (base)`);
    return out;
  }
  value(v: unknown): string {
    return this.text(JSON.stringify(v, (_k, x) => x instanceof Map ? Object.fromEntries(x) : x))
      .replace(/\["(main|pre-start|post-start|pre-stop|post-stop)",\d+\]/g, '["$1","PID"]');
  }
}

async function run(d: Daemon, sc: Scenario): Promise<string[]> {
  const out: string[] = [];
  const conn = await Connection.open(d.address);
  const n = new Normaliser(d.jobDir);
  try {
    const seen: SignalMessage[] = [];
    let last = performance.now();
    const sub = await conn.subscribe({ sender: DEST }, (m) => {
      seen.push(m);
      last = performance.now();
    });
    const call = (path: string, member: string, sig = "", body: unknown[] = [], iface?: string) =>
      conn.call({
        destination: DEST,
        path,
        interface: iface ?? ifaceOf(path),
        member,
        signature: sig,
        body,
      });
    [n.base] = [new Set((await call(MANAGER, "ListEnv", "as", [[]]))[0] as string[])];
    const quietMs = sc.quietMs ?? 400;
    const quiet = async () => {
      const end = performance.now() + 15000;
      await new Promise((r) => setTimeout(r, 50));
      while (performance.now() - last < quietMs && performance.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    let shown = 0;
    const flushSignals = () => {
      for (; shown < seen.length; shown++) {
        const m = seen[shown];
        out.push(`  signal ${m.member} ${m.path} ${n.value(m.body)}`);
      }
    };
    const describe = (member: string, sig: string | undefined, body: unknown[] | undefined) =>
      `${member}(${body ? n.value(body).slice(1, -1) : ""})${sig ? "" : ""}`;
    const replyText = async (p: Promise<unknown[]>) => {
      try {
        const r = await p;
        if (Array.isArray(r[0]) && r[0].every((x) => typeof x === "string" && x.includes("="))) {
          return `reply ${n.value([n.env(r[0] as string[])])}`;
        }
        return `reply ${n.value(r)}`;
      } catch (e) {
        if (e instanceof DBusError) return `error ${e.name}: ${n.text(e.message)}`;
        return `error ${String(e)}`;
      }
    };
    const asyncs: Promise<void>[] = [];
    const snapshot = async () => {
      const [jobs] = await call(MANAGER, "GetAllJobs") as [string[]];
      for (const job of [...jobs].sort()) {
        const props = await conn.getAllProperties({
          destination: DEST,
          path: job,
          interface: "com.ubuntu.Upstart0_6.Job",
        });
        out.push(`  props ${job} ${n.value(props)}`);
        const [insts] = await call(job, "GetAllInstances") as [string[]];
        for (const inst of [...insts].sort()) {
          const ip = await conn.getAllProperties({
            destination: DEST,
            path: inst,
            interface: "com.ubuntu.Upstart0_6.Instance",
          });
          const procs = (ip.processes as [string, number][]).map(([t]) => [t, "PID"]);
          out.push(`  props ${inst} ${n.value({ ...ip, processes: procs })}`);
        }
      }
    };
    let logShown = 0;
    const flushLog = async () => {
      const lines = await d.logLines();
      for (; logShown < lines.length; logShown++) out.push(`  log ${n.text(lines[logShown])}`);
    };
    out.push("initial");
    await snapshot();
    await flushLog();
    for (const [i, step] of sc.steps.entries()) {
      if ("call" in step) {
        const path = step.path ?? pathOf(step.on);
        const head = `step ${i}: ${path.replace(JOBS, "J")} ${
          describe(step.call, step.sig, step.body)
        }`;
        out.push(head);
        const p = call(path, step.call, step.sig, step.body, step.iface);
        if (step.async) {
          asyncs.push(replyText(p).then((r) => void out.push(`  (step ${i}) ${r}`)));
        } else {
          out.push(`  ${await replyText(p)}`);
        }
      } else if ("write" in step) {
        out.push(`step ${i}: write ${step.write}`);
        await writeJobs(d.jobDir, { [step.write]: step.text });
      } else if ("remove" in step) {
        out.push(`step ${i}: remove ${step.remove}`);
        await Deno.remove(`${d.jobDir}/${step.remove}.conf`);
      } else if ("sleep" in step) {
        out.push(`step ${i}: sleep`);
        await new Promise((r) => setTimeout(r, step.sleep));
      } else {
        out.push(`step ${i}: settle`);
        await Promise.all(asyncs.splice(0));
      }
      await quiet();
      flushSignals();
      await snapshot();
      await flushLog();
    }
    await Promise.all(asyncs.splice(0));
    await sub.unsubscribe();
  } finally {
    await conn.close();
  }
  return out;
}

/** A line diff (LCS), `-` real only, `+` sandbox only. */
function diff(a: string[], b: string[]): string[] {
  const n = a.length, m = b.length;
  const t = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`);
      i++, j++;
    } else if (j < m && (i === n || t[i][j + 1] >= t[i + 1][j])) out.push(`+ ${b[j++]}`);
    else out.push(`- ${a[i++]}`);
  }
  return out;
}

/** Only changed lines, with the step header they belong to. */
function compact(lines: string[]): string[] {
  const out: string[] = [];
  let header = "";
  let headerShown = false;
  for (const l of lines) {
    if (/^ {2}(step \d+|initial)/.test(l)) {
      header = l;
      headerShown = false;
    } else if (!l.startsWith("  ")) {
      if (!headerShown && header) out.push(header);
      headerShown = true;
      out.push(l);
    }
  }
  return out;
}

async function main(): Promise<number> {
  const args = [...Deno.args];
  let ref = Deno.env.get("UPSTART_REFERENCE_DIR");
  const r = args.indexOf("--ref");
  if (r >= 0) [ref] = args.splice(r, 2).slice(1);
  if (!ref) {
    console.error("compare_upstart: give --ref REFDIR (a built ../shared/upstart/reference)");
    return 2;
  }
  const all = args.includes("--all");
  const names = args.filter((a) => !a.startsWith("--"));
  const chosen = SCENARIOS.filter((s) => names.length === 0 || names.includes(s.name));
  let differs = 0;
  for (const sc of chosen) {
    const [real, ours] = await Promise.all([startReal(ref, sc.jobs), startOurs(sc.jobs)]);
    let a: string[], b: string[];
    try {
      [a, b] = await Promise.all([run(real, sc), run(ours, sc)]);
    } finally {
      await Promise.all([real.close(), ours.close()]);
    }
    const d = diff(a, b);
    const same = d.every((l) => l.startsWith("  "));
    if (!same) differs++;
    console.log(`=== ${sc.name}: ${same ? "same" : "DIFFERS (- real Upstart, + sandbox)"}`);
    if (all) console.log(d.join("\n"));
    else if (!same) console.log(compact(d).join("\n"));
  }
  console.log(`${differs} of ${chosen.length} scenarios differ`);
  return differs > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
