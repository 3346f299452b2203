/** The man page: generated from the command table by `deno task man`, read by man(1) and groff. */
import assert from "node:assert/strict";
import { COMMANDS, GLOBAL_OPTIONS } from "../src/cli/main.ts";
import { manPage } from "../src/cli/man.ts";
import { hasProgram as has } from "./support/programs.ts";

const PAGE = manPage({ commands: COMMANDS, globals: GLOBAL_OPTIONS }, "upstart");

Deno.test("deno task man writes dist/upstart.1 from the command table", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)))
    .tasks as Record<string, string>;
  assert.equal(tasks.man, "deno run --allow-write=dist src/cli/man.ts");
  const cwd = await Deno.makeTempDir();
  try {
    const script = new URL("../src/cli/man.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-write=dist", script],
      cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(await Deno.readTextFile(`${cwd}/dist/upstart.1`), PAGE);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the page's roff: a title, the sections, every command and option, nothing unescaped", () => {
  const lines = PAGE.split("\n");
  assert.match(lines[1], /^\.TH UPSTART 1 "" "@upstart\/upstart \d+\.\d+\.\d+" "User Commands"$/);
  for (
    const s of ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES", "SEE ALSO"]
  ) {
    assert.ok(lines.includes(`.SH ${s}`), s);
  }
  for (const c of COMMANDS) {
    assert.ok(PAGE.includes(`\\fB${c.name}\\fR`), c.name);
  }
  for (const o of GLOBAL_OPTIONS) assert.ok(PAGE.includes(`\\fB\\-\\-${o.long}\\fR`), o.long);
  // No text line starts a request by accident, and nothing outside ASCII is left raw.
  for (const l of lines) {
    if (/^[.']/.test(l)) assert.match(l, /^\.(\\"|TH|SH|SS|TP|RS|RE|B|BR|I) ?/, l);
  }
  assert.ok(![...PAGE].some((c) => c > "\x7e"));
});

Deno.test("man -l and groff read the page without a warning", async (t) => {
  const file = await Deno.makeTempFile({ suffix: ".1" });
  try {
    await Deno.writeTextFile(file, PAGE);
    if (!has("groff")) console.log("groff is not installed: the roff structure is checked alone");
    else {
      const g = await new Deno.Command("groff", {
        args: ["-man", "-Tutf8", "-ww", "-z", file],
        stderr: "piped",
      }).output();
      assert.equal(g.code, 0);
      assert.equal(new TextDecoder().decode(g.stderr), "");
    }
    if (!has("man")) {
      console.log("man is not installed: man -l is not run");
      return;
    }
    await t.step("man -l", async () => {
      const m = await new Deno.Command("man", {
        args: ["-l", file],
        env: { MANPAGER: "cat", PAGER: "cat", MANWIDTH: "100", LANG: "C.UTF-8" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(m.code, 0, new TextDecoder().decode(m.stderr));
      // Overstrike (X BACKSPACE X for bold) removed: matching the backspace is the point.
      // deno-lint-ignore no-control-regex
      const text = new TextDecoder().decode(m.stdout).replace(/.\x08/g, "");
      assert.match(text, /^UPSTART\(1\)/);
      assert.match(text, /logs \[OPTION\]\.\.\. JOB \[INSTANCE\]/);
      assert.match(text, /-n, --lines=N/);
      assert.match(text, /completion \[OPTION\]\.\.\. bash\|zsh\|fish/);
    });
  } finally {
    await Deno.remove(file);
  }
});
