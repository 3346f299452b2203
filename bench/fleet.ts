/**
 * `list` on a fleet of 50 hosts over ssh: 50 host aliases of one private sshd
 * (tests/support/sshd.ts) with a sandboxed Upstart behind it, each host answered
 * by a whole ssh connection of its own. Measured, whole processes, in rounds
 * (one of each in turn; medians, and medians of the rounds' ratios):
 *
 * - (a) `cli.ts -H h1,...,h50 --parallel 16 list`;
 * - (b) the same with `--ssh-reuse` (ssh connection masters kept between runs), when
 *   `cli.ts --help` mentions it: warmed by one run, then measured;
 * - (c) what an operator writes without us:
 *   `printf '%s\n' h1 ... h50 | xargs -P 16 -I{} ssh -F CONFIG {} initctl list`;
 * - (d) Ansible ad hoc, `ansible all -i INVENTORY -f 16 -m shell -a 'initctl list'`, when
 *   ansible-core can be had (a venv with pip, else Debian's package; else skipped, saying so).
 *
 * Goals: (a) at most 1.1x (c); (b) at most 0.5x (c); (a) at most 0.2x (d).
 *
 * Run: `deno run -A bench/fleet.ts [hosts] [rounds]`
 */

import { startSandbox } from "../tests/support/sandbox.ts";
import { busSocketPath, startSshd } from "../tests/support/sshd.ts";
import { System } from "../src/system.ts";
import { buildC, printTable } from "./support.ts";

const HOSTS = Number(Deno.args[0] ?? 50);
const ROUNDS = Number(Deno.args[1] ?? 5);
const PARALLEL = 16;
const CLI = new URL("../cli.ts", import.meta.url).pathname;
/** `deno task cli`'s permissions (what `--host` needs is within them). */
const CLI_FLAGS = ["--allow-ffi", "--allow-env", "--allow-read", "--allow-write"];
const d = new TextDecoder();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Runs a command to completion (asynchronously: the sandbox serves from this process). */
async function time(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ms: number; out: string; err: string; code: number }> {
  const t = performance.now();
  const r = await new Deno.Command(cmd, {
    args,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    ms: performance.now() - t,
    out: d.decode(r.stdout),
    err: d.decode(r.stderr),
    code: r.code,
  };
}

// A few jobs, some running: the far side's answer is small, so the fleet's cost is ssh's and
// the per-host work, not the size of the listing.
const jobs: Record<string, string> = {};
for (let i = 0; i < 12; i++) jobs[`job-${String(i).padStart(2, "0")}`] = "exec sleep 1000\n";
jobs["task-once"] = "task\nexec true\n";
await using sandbox = await startSandbox({ jobs });
{
  await using system = await System.connect({ address: sandbox.address, peer: false });
  for (const name of ["job-01", "job-05", "job-09"]) await (await system.job(name)).start();
}
const socket = busSocketPath(sandbox.address);

// The far side's `initctl`: a stand-in on the sshd sessions' PATH (sshd's SetEnv). The C
// reference of bench/cli_list.ts does on the wire what Upstart 1.13's initctl list does, one
// blocking libdbus call at a time, so a host costs what a real initctl would: a short C
// process. Without a C compiler it falls back to `cli.ts list` there, a Deno process that
// costs far more than initctl, which would flatter our ratio: the table says so.
const binDir = await Deno.makeTempDir({ prefix: "upstart-bench-fleet-bin-" });
const initctlList = await buildC("initctl_list.c", "initctl_list");
const farSide = initctlList
  ? `exec '${initctlList}' '${sandbox.address}'`
  : `exec '${Deno.execPath()}' run --allow-ffi --allow-env '${CLI}' --address '${sandbox.address}' list`;
await Deno.writeTextFile(
  `${binDir}/initctl`,
  `#!/bin/sh
# initctl stand-in for bench/fleet.ts: "list" only.
[ "$#" -eq 1 ] && [ "$1" = list ] || { echo "initctl stand-in: only 'list'" >&2; exit 1; }
${farSide}
`,
);
await Deno.chmod(`${binDir}/initctl`, 0o755);
await using _bin = { [Symbol.asyncDispose]: () => Deno.remove(binDir, { recursive: true }) };

await using sshd = await startSshd({
  hosts: HOSTS,
  // HOME: an empty one, so the sessions' shell does not run this build machine's ~/.bashrc
  // (here it starts pyenv, 100 ms of CPU per session, which an Upstart host does not have and
  // which would drown what is measured: the same for every contestant, but the most of it).
  serverConfig: [`SetEnv PATH=${binDir}:/usr/local/bin:/usr/bin:/bin HOME=${binDir}`],
});
const hosts = sshd.aliases(HOSTS);
const local = (await time(Deno.execPath(), [
  "run",
  ...CLI_FLAGS,
  CLI,
  "--address",
  sandbox.address,
  "list",
])).out.trimEnd().split("\n");
const expected = hosts.flatMap(() => local).sort().join("\n");

/** Checks a run printed every host's listing (prefixes stripped); warns once per kind. */
const warned = new Set<string>();
function check(what: string, r: { code: number; out: string; err: string }, prefixed: boolean) {
  const lines = r.out.trimEnd().split("\n").map((l) => prefixed ? l.replace(/^h\d+: /, "") : l);
  if (r.code === 0 && lines.sort().join("\n") === expected) return;
  if (warned.has(what)) return;
  warned.add(what);
  console.error(
    `warning: ${what} did not print every host's list (exit ${r.code}): ${r.err.slice(0, 500)}`,
  );
}

// --ssh-reuse keeps its control sockets under $XDG_RUNTIME_DIR: a directory of the bench's own.
// (Short: a control socket's path must fit in 107 bytes.)
const runtimeDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "ufb-" });
await using _runtime = {
  [Symbol.asyncDispose]: () => Deno.remove(runtimeDir, { recursive: true }),
};
const cliEnv = { XDG_RUNTIME_DIR: runtimeDir };
// The 50 aliases are one host to ssh (same address, port and user: one %C), so --ssh-reuse gives
// them one master, which then carries all 50 sessions. 50 real hosts get a master each: this ssh
// adds the alias to the control path, which is what distinct hosts would get.
const perHostSsh = `${binDir}/ssh-per-host`;
await Deno.writeTextFile(
  perHostSsh,
  `#!/bin/sh
for a; do shift; case "$a" in ControlPath=*) a="$a-%n";; esac; set -- "$@" "$a"; done
exec ssh "$@"
`,
);
await Deno.chmod(perHostSsh, 0o755);

const cliRun = (...extra: string[]): [string, string[], Record<string, string>] => [
  Deno.execPath(),
  [
    "run",
    ...CLI_FLAGS,
    CLI,
    "-H",
    hosts.join(","),
    "--parallel",
    String(PARALLEL),
    ...sshd.cliArgs,
    "--remote-socket",
    socket,
    ...extra,
    "list",
  ],
  cliEnv,
];
const xargs: [string, string[]] = [
  "sh",
  [
    "-c",
    `printf '%s\\n' "$@" | xargs -P ${PARALLEL} -I{} ssh -F "$0" {} initctl list`,
    sshd.configPath,
    ...hosts,
  ],
];
const help = (await time(Deno.execPath(), ["run", ...CLI_FLAGS, CLI, "--help"])).out;
const reuse = help.includes("--ssh-reuse");

// Warm-up: Deno's module cache, and with --ssh-reuse the connection masters.
check("cli.ts", await time(...cliRun()), true);
check("xargs ssh", await time(...xargs), false);
const perHost = ["--ssh-reuse", "--ssh-command", perHostSsh];
if (reuse) {
  check("cli.ts --ssh-reuse (warming)", await time(...cliRun("--ssh-reuse")), true);
  check("cli.ts --ssh-reuse per host (warming)", await time(...cliRun(...perHost)), true);
}

const a: number[] = [], b: number[] = [], b2: number[] = [], c: number[] = [];
const ac: number[] = [], bc: number[] = [], b2c: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  const x = await time(...cliRun());
  check("cli.ts", x, true);
  const y = reuse ? await time(...cliRun("--ssh-reuse")) : null;
  if (y) check("cli.ts --ssh-reuse", y, true);
  const y2 = reuse ? await time(...cliRun(...perHost)) : null;
  if (y2) check("cli.ts --ssh-reuse per host", y2, true);
  const z = await time(...xargs);
  check("xargs ssh", z, false);
  a.push(x.ms);
  c.push(z.ms);
  ac.push(x.ms / z.ms);
  if (y && y2) {
    b.push(y.ms);
    bc.push(y.ms / z.ms);
    b2.push(y2.ms);
    b2c.push(y2.ms / z.ms);
  }
}

const rows = [["what", "ms (median)", "ratio", "goal"]];
rows.push([
  `(a) cli.ts -H (${HOSTS} hosts) --parallel ${PARALLEL} list`,
  median(a).toFixed(0),
  "",
  "",
]);
rows.push([
  "(b) cli.ts ... --ssh-reuse (one warm master: the aliases are one host)",
  reuse ? median(b).toFixed(0) : "skipped: cli.ts --help has no --ssh-reuse",
  "",
  "",
]);
if (reuse) {
  rows.push([
    `(b') cli.ts ... --ssh-reuse (a warm master per alias, as ${HOSTS} hosts)`,
    median(b2).toFixed(0),
    "",
    "",
  ]);
}
rows.push([
  `(c) xargs -P ${PARALLEL} ssh HOST initctl list`,
  median(c).toFixed(0),
  "",
  "",
]);
rows.push(["(a)/(c) (median of rounds)", "", `${median(ac).toFixed(2)}x`, "<= 1.1x"]);
if (reuse) {
  rows.push(["(b)/(c) (median of rounds)", "", `${median(bc).toFixed(2)}x`, "<= 0.5x"]);
  rows.push(["(b')/(c) (median of rounds)", "", `${median(b2c).toFixed(2)}x`, "<= 0.5x"]);
}

const ansible = await findAnsible();
if (typeof ansible === "string") {
  const dir = await Deno.makeTempDir({ prefix: "upstart-bench-ansible-" });
  try {
    const inventory = `${dir}/hosts.ini`;
    await Deno.writeTextFile(
      inventory,
      `[fleet]\n${hosts.join("\n")}\n\n[fleet:vars]\n` +
        `ansible_ssh_common_args=-F ${sshd.configPath}\n` +
        // Set, as fleets do, so no run pays for interpreter discovery.
        "ansible_python_interpreter=/usr/bin/python3\n",
    );
    await Deno.writeTextFile(`${dir}/ansible.cfg`, "");
    // Everything of Ansible's in the temp dir (its control sockets too), on both sides.
    const env = {
      ANSIBLE_CONFIG: `${dir}/ansible.cfg`,
      ANSIBLE_HOME: `${dir}/home`,
      ANSIBLE_LOCAL_TEMP: `${dir}/local`,
      ANSIBLE_REMOTE_TEMP: `${dir}/remote`,
      ANSIBLE_SSH_CONTROL_PATH_DIR: `${dir}/cp`,
      ANSIBLE_HOST_KEY_CHECKING: "False",
      ANSIBLE_NOCOLOR: "1",
      LC_ALL: "C.UTF-8",
    };
    const args = [
      "all",
      "-i",
      inventory,
      "-f",
      String(PARALLEL),
      "-m",
      "shell",
      "-a",
      "initctl list",
    ];
    const checkAnsible = (r: { code: number; out: string; err: string }) => {
      const ok = (r.out.match(/^h\d+ \| CHANGED \| rc=0 >>$/gm) ?? []).length;
      if ((ok !== HOSTS || r.code !== 0) && !warned.has("ansible")) {
        warned.add("ansible");
        console.error(
          `warning: ansible answered for ${ok} of ${HOSTS} hosts (exit ${r.code}): ` +
            (r.err || r.out).slice(0, 500),
        );
      }
    };
    // Ansible keeps its ssh connections (ControlPersist 60 s by default): the first run opens
    // them, later ones within the minute reuse them, as an operator's repeated runs do.
    const cold = await time(ansible, args, env);
    checkAnsible(cold);
    const warm: number[] = [];
    for (let i = 0; i < Math.max(3, ROUNDS >> 1); i++) {
      const r = await time(ansible, args, env);
      checkAnsible(r);
      warm.push(r.ms);
    }
    rows.push([`(d) ansible -f ${PARALLEL} -m shell, first run`, cold.ms.toFixed(0), "", ""]);
    rows.push([`(d) ansible, later runs (its masters warm)`, median(warm).toFixed(0), "", ""]);
    rows.push([
      "(a)/(d) (first run)",
      "",
      `${(median(a) / cold.ms).toFixed(2)}x`,
      "<= 0.2x",
    ]);
    rows.push([
      "(a)/(d) (later runs)",
      "",
      `${(median(a) / median(warm)).toFixed(2)}x`,
      "<= 0.2x",
    ]);
    if (reuse) {
      rows.push([
        "(b)/(d) (later runs: both with warm connections)",
        "",
        `${(median(b) / median(warm)).toFixed(2)}x`,
        "",
      ]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
} else rows.push(["(d) ansible", `skipped: ${ansible.skipped}`, "", ""]);

printTable(
  `list on ${HOSTS} hosts over ssh (one sshd, ${HOSTS} aliases; ${local.length} lines each), ` +
    `${ROUNDS} rounds; far-side initctl: ${
      initctlList ? "C (bench/initctl_list.c)" : "cli.ts (no C compiler: flatters (a)/(c))"
    }`,
  rows,
);

/**
 * `ansible` from: `PATH`; a venv under `$XDG_CACHE_HOME/upstart-bench` (made with
 * `/usr/bin/python3 -m venv` and pip when missing); Debian's `ansible-core` package.
 */
async function findAnsible(): Promise<string | { skipped: string }> {
  const which = await time("sh", ["-c", "command -v ansible"]);
  if (which.code === 0) return which.out.trim();
  const cache = `${
    Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`
  }/upstart-bench`;
  const venv = `${cache}/ansible-venv`;
  const inVenv = `${venv}/bin/ansible`;
  const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
  if (await exists(inVenv)) return inVenv;
  const notes: string[] = [];
  console.error(`ansible: installing ansible-core into ${venv}`);
  await Deno.mkdir(cache, { recursive: true });
  const mk = await time("/usr/bin/python3", ["-m", "venv", venv]);
  if (mk.code === 0) {
    const pip = await time(`${venv}/bin/pip`, [
      "install",
      "-q",
      "--timeout",
      "20",
      "--retries",
      "1",
      "ansible-core",
    ]);
    if (pip.code === 0 && await exists(inVenv)) return inVenv;
    notes.push(`pip: ${pip.err.trim().split("\n").pop()}`);
  } else notes.push(`venv: ${mk.err.trim().split("\n").pop()}`);
  await Deno.remove(venv, { recursive: true }).catch(() => {});
  console.error("ansible: pip could not install it; trying Debian's ansible-core");
  const apt = await time("sh", [
    "-c",
    "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ansible-core",
  ]);
  if (apt.code === 0 && await exists("/usr/bin/ansible")) return "/usr/bin/ansible";
  notes.push(`apt-get: ${apt.err.trim().split("\n").pop() || `exit ${apt.code}`}`);
  return { skipped: `ansible-core could not be installed (${notes.join("; ")})` };
}
