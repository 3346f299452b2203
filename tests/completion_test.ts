/**
 * `completion bash|zsh|fish`: the scripts load in their shells, and bash's offers commands,
 * options, files and the job names of a running sandbox (asked through the CLI on $PATH).
 */
import assert from "node:assert/strict";
import { cli } from "./support/cli_io.ts";
import { hasProgram as has } from "./support/programs.ts";
import { startSandbox } from "./support/sandbox.ts";
import { COMMANDS, GLOBAL_OPTIONS } from "../src/cli/main.ts";
import { completionScript } from "../src/cli/completion.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** A directory on $PATH with `upstart`: a wrapper running this checkout's CLI, as the README shows. */
async function wrapperBin(): Promise<{ dir: string } & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "upstart-completion-bin-" });
  await Deno.writeTextFile(
    `${dir}/upstart`,
    `#!/bin/sh\nexec "${Deno.execPath()}" run -A --quiet "${CLI}" "$@"\n`,
    { mode: 0o755 },
  );
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Runs bash's completion function for `line` (cursor at the end), as bash itself calls it. */
async function complete(script: string, line: string, path: string): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.bash`, script);
    const program = `
source "$1"
COMP_LINE="$2"
COMP_POINT=\${#COMP_LINE}
read -ra COMP_WORDS <<< "$COMP_LINE"
COMP_CWORD=$((\${#COMP_WORDS[@]} - 1))
[[ "$COMP_LINE" == *" " ]] && COMP_CWORD=\${#COMP_WORDS[@]} && COMP_WORDS+=("")
_upstart upstart "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"
`;
    const out = await new Deno.Command("bash", {
      args: ["-c", program, "bash", `${dir}/c.bash`, line],
      env: { PATH: `${path}:${Deno.env.get("PATH")}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, err);
    assert.equal(err, "");
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).sort(); // bash sorts them too
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("completion bash: loads, registers, offers commands, options, files and the sandbox's jobs", async () => {
  const r = await cli(["completion", "bash"]);
  assert.equal(r.code, 0, r.err);
  const loaded = await new Deno.Command("bash", {
    args: ["-c", "source <(cat) && complete -p upstart"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = loaded.stdin.getWriter();
  await w.write(new TextEncoder().encode(r.out));
  await w.close();
  const shown = await loaded.output();
  assert.equal(new TextDecoder().decode(shown.stdout), "complete -F _upstart upstart\n");

  await using bin = await wrapperBin();
  await using sb = await startSandbox({
    jobs: {
      web: "exec sleep 60\n",
      "net/db": "exec sleep 60\n",
      cron: "task\nexec true\n",
      // A name the shell would expand: offered as it is, never evaluated.
      "x$((6*7))": "exec sleep 60\n",
    },
  });
  const at = `--address ${sb.address}`;
  assert.deepEqual(await complete(r.out, "upstart st", bin.dir), ["start", "status", "stop"]);
  assert.deepEqual(await complete(r.out, "upstart lo", bin.dir), ["log-priority", "logs"]);
  // Job names come from the daemon the command line names.
  assert.deepEqual(await complete(r.out, `upstart ${at} start `, bin.dir), [
    "cron",
    "net/db",
    "web",
    "x\\$\\(\\(6\\*7\\)\\)", // quoted as it goes on the line: Enter cannot expand it either
  ]);
  assert.deepEqual(await complete(r.out, `upstart logs ${at} w`, bin.dir), ["web"]);
  // Only the first argument is a job; KEY=VALUE after it is not completed.
  assert.deepEqual(await complete(r.out, `upstart ${at} start web `, bin.dir), []);
  // Options: the command's own and the global ones; a valued option's value is not a job.
  const logsOptions = await complete(r.out, "upstart logs --", bin.dir);
  for (const o of ["--lines", "--follow", "--since", "--log-dir", "--json", "--address"]) {
    assert.ok(logsOptions.includes(o), o);
  }
  assert.ok(!logsOptions.includes("--no-wait"));
  assert.deepEqual(await complete(r.out, `upstart ${at} logs -n `, bin.dir), []);
  assert.deepEqual(await complete(r.out, "upstart completion ", bin.dir), ["bash", "fish", "zsh"]);
  // Files where the table says FILE or DIR.
  const files = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${files}/job-one.conf`, "");
    assert.deepEqual(await complete(r.out, `upstart check ${files}/job-`, bin.dir), [
      `${files}/job-one.conf`,
    ]);
    assert.deepEqual(await complete(r.out, `upstart logs --log-dir ${files}/j`, bin.dir), [
      `${files}/job-one.conf`,
    ]);
  } finally {
    await Deno.remove(files, { recursive: true });
  }
  // No daemon to ask: no job names, and no error on the terminal.
  assert.deepEqual(
    await complete(r.out, "upstart --address unix:path=/nonexistent start ", bin.dir),
    [],
  );
});

Deno.test("completion zsh and fish: every command is in the script, and it parses where the shell exists", async () => {
  for (const shell of ["zsh", "fish"] as const) {
    const r = await cli(["completion", shell]);
    assert.equal(r.code, 0, r.err);
    for (const c of COMMANDS) assert.ok(r.out.includes(c.name), `${shell}: ${c.name}`);
    assert.ok(r.out.includes(shell === "zsh" ? "compdef _upstart upstart" : "complete -c upstart"));
    if (!has(shell)) {
      console.log(`${shell} is not installed: its script is checked for content only`);
      continue;
    }
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/script`, r.out);
      const out = await new Deno.Command(shell, { args: ["-n", `${dir}/script`], stderr: "piped" })
        .output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      // Loaded for real: zsh registers the function with compinit; fish completes a line.
      const check = shell === "zsh"
        ? `autoload -U compinit; compinit -u -d "$1.dump"; source "$1"; print -r -- $_comps[upstart]`
        : `source $argv[1]; complete -C "upstart st"; complete -C "upstart completion "; complete -C "upstart logs --fo"; complete -C "upstart start "`;
      const loaded = await new Deno.Command(shell, {
        args: ["-c", check, shell === "zsh" ? "zsh" : `${dir}/script`, `${dir}/script`],
        env: { HOME: dir, PATH: "/usr/bin:/bin" }, // no upstart on PATH: no job names, no error
        stdout: "piped",
        stderr: "piped",
      }).output();
      const d = new TextDecoder();
      assert.equal(d.decode(loaded.stderr), "");
      const expected = shell === "zsh"
        ? "_upstart\n"
        : "start\tStart a job.\nstatus\tShow the status of a job.\nstop\tStop a job.\n" +
          "bash\nfish\nzsh\n--follow\tkeep printing new lines as they are written\n";
      assert.equal(d.decode(loaded.stdout), expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

/**
 * Runs the zsh script's function for `line` outside a completion widget: `_describe`, `compadd`
 * and `_files` (which exist only inside one) print what they were given, and `words`/`CURRENT`
 * are set as zsh sets them.
 */
async function zshComplete(script: string, line: string, path: string): Promise<string[]> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/c.zsh`, script);
    const program = `
compdef() { :; }
source "$1"
_describe() { print -rl -- "\${(@P)\${@[-1]}}" | cut -d: -f1; }
compadd() { if [[ $1 == -a ]]; then print -rl -- "\${(@P)2}"; else shift; print -rl -- "$@"; fi; }
_files() { print -- "<files>"; }
words=(upstart \${(s: :)2}); [[ $2 == *" " ]] && words+=("")
CURRENT=\${#words}
_upstart
`;
    const out = await new Deno.Command("zsh", {
      args: ["-c", program, "zsh", `${dir}/c.zsh`, line],
      env: { PATH: `${path}:${Deno.env.get("PATH")}`, HOME: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stderr), "");
    return new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).sort();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "completion zsh: the function offers commands, options, files and the sandbox's jobs",
  ignore: !has("zsh"),
  async fn() {
    const script = (await cli(["completion", "zsh"])).out;
    await using bin = await wrapperBin();
    await using sb = await startSandbox({
      jobs: { web: "exec sleep 60\n", "net/db": "exec sleep 60\n" },
    });
    const at = `--address ${sb.address}`;
    assert.ok((await zshComplete(script, "st", bin.dir)).includes("status"));
    assert.deepEqual(await zshComplete(script, `${at} start `, bin.dir), ["net/db", "web"]);
    assert.deepEqual(await zshComplete(script, `logs ${at} `, bin.dir), ["net/db", "web"]);
    assert.deepEqual(await zshComplete(script, `${at} start web `, bin.dir), []);
    assert.deepEqual(await zshComplete(script, "completion ", bin.dir), ["bash", "fish", "zsh"]);
    assert.deepEqual(await zshComplete(script, "logs --log-dir ", bin.dir), ["<files>"]);
    assert.deepEqual(await zshComplete(script, "logs -n ", bin.dir), []);
    const options = await zshComplete(script, "logs --f", bin.dir);
    assert.ok(options.includes("--follow") && options.includes("--address"));
    assert.ok(!options.includes("--no-wait"));
  },
});

Deno.test({
  name: "completion fish: complete -C offers the sandbox's jobs through the CLI on $PATH",
  ignore: !has("fish"),
  async fn() {
    const script = (await cli(["completion", "fish"])).out;
    await using bin = await wrapperBin();
    await using sb = await startSandbox({
      jobs: { web: "exec sleep 60\n", "net/db": "exec sleep 60\n" },
    });
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${dir}/c.fish`, script);
      const ask = (line: string) =>
        new Deno.Command("fish", {
          args: ["-c", `source $argv[1]; complete -C $argv[2]`, `${dir}/c.fish`, line],
          env: { PATH: `${bin.dir}:${Deno.env.get("PATH")}`, HOME: dir },
          stdout: "piped",
          stderr: "piped",
        }).output();
      const out = await ask(`upstart --address ${sb.address} stop `);
      assert.equal(new TextDecoder().decode(out.stderr), "");
      const offered = new TextDecoder().decode(out.stdout).split("\n").filter(Boolean).sort();
      assert.deepEqual(offered, ["net/db", "web"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("completion: --name for another command name; bad shells and names are refused", async () => {
  const r = await cli(["completion", "bash", "--name", "upstart-cli"]);
  assert.match(r.out, /complete -F _upstart_cli upstart-cli\n/);
  assert.match(r.out, /<\(upstart-cli "\$\{conn\[@\]\}" list/);
  const bad = await cli(["completion", "tcsh"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid shell: tcsh: expected bash, zsh or fish/);
  assert.equal((await cli(["completion"])).code, 2);
  const evil = await cli(["completion", "bash", "--name", "x;rm -rf /"]);
  assert.equal(evil.code, 2);
  assert.equal(evil.out, "");
  assert.throws(() =>
    completionScript("bash", { commands: COMMANDS, globals: GLOBAL_OPTIONS }, "$(x)")
  );
  // A help text with quotes and backslashes cannot break out of the script's quoting.
  const hostile = completionScript("fish", {
    commands: [{ ...COMMANDS[0], summary: "it's \\ a 'test'\" $(touch /tmp/pwned)" }],
    globals: [],
  }, "upstart");
  assert.ok(hostile.includes(String.raw`-d 'it\'s \\ a \'test\'" $(touch /tmp/pwned)'`));
  const bashHostile = completionScript("zsh", {
    commands: [{ ...COMMANDS[0], summary: "it's $(touch /tmp/pwned)" }],
    globals: [],
  }, "upstart");
  assert.ok(bashHostile.includes(`'start:it'\\''s $(touch /tmp/pwned)'`));
});
