import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import {
  applyOverride,
  formatJob,
  JobBuilder,
  type JobDocument,
  MAX_JOB_FILE_BYTES,
  parseJob,
} from "../src/jobfile/mod.ts";

const JOBS = new URL("corpus/jobs/", SHARED ?? "file:///nonexistent/");

/** Every corpus file Upstart accepts (`.conf` and `.override`), parsed. */
function corpus(): { name: string; doc: JobDocument }[] {
  if (!SHARED) return [];
  return [...Deno.readDirSync(JOBS)].map((e) => e.name).sort()
    .map((name) => ({
      name,
      doc: parseJob(Deno.readFileSync(new URL(name, JOBS)), {
        filename: name,
        throwOnError: false,
      }),
    }))
    .filter((f) => !f.doc.error);
}

/** Formatting gives the same config and is a fixed point. */
function assertCanonical(doc: JobDocument, label: string): string {
  const once = formatJob(doc);
  const again = parseJob(once, { filename: label });
  assert.deepEqual(again.config, doc.config, `${label}: formatting changed the config`);
  assert.equal(formatJob(again), once, `${label}: formatting is not idempotent`);
  return once;
}

Deno.test({
  name: "format: every accepted corpus file keeps its config and formats idempotently",
  ignore: SHARED === null,
  fn() {
    const files = corpus();
    assert.ok(files.length > 380, `corpus has ${files.length} accepted files`);
    for (const { name, doc } of files) assertCanonical(doc, name);
  },
});

Deno.test({
  name: "format: a formatted .override merges onto its .conf exactly as the original",
  ignore: SHARED === null,
  fn() {
    const files = corpus();
    const byName = new Map(files.map((f) => [f.name, f.doc]));
    let n = 0;
    for (const { name, doc } of files) {
      if (!name.endsWith(".override")) continue;
      const conf = byName.get(name.replace(/\.override$/, ".conf"));
      if (!conf) continue;
      const want = applyOverride(conf, doc).config;
      assert.deepEqual(applyOverride(conf, formatJob(doc)).config, want, name);
      n++;
    }
    assert.ok(n > 0, "some overrides have their .conf in the corpus");
  },
});

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test({
  name: "format: shuffled, duplicated and deleted lines of corpus files still format safely",
  ignore: SHARED === null,
  fn() {
    const random = rng(4);
    const files = corpus();
    let accepted = 0;
    for (let round = 0; round < 600; round++) {
      const { name, doc } = files[Math.floor(random() * files.length)];
      const lines = doc.toString().split("\n");
      for (let k = 0; k < 3; k++) {
        const i = Math.floor(random() * lines.length), j = Math.floor(random() * lines.length);
        const op = random();
        if (op < 0.4) [lines[i], lines[j]] = [lines[j], lines[i]];
        else if (op < 0.7) lines.splice(i, 0, lines[j]);
        else lines.splice(i, 1);
      }
      const mutant = parseJob(lines.join("\n"), { throwOnError: false });
      if (mutant.error) continue;
      accepted++;
      assertCanonical(mutant, `${name} (mutant ${round})`);
    }
    assert.ok(accepted > 100, `${accepted} mutants were accepted`);
  },
});

Deno.test("format: stanzas are grouped in canonical order, repeats keep their order", () => {
  const text = [
    "exec /usr/bin/web",
    "env B=2",
    "respawn",
    "start on runlevel [2345]",
    "description web",
    "env A=1",
    "stop on runlevel [!2345]",
    "pre-start exec mkdir -p /run/web",
    "setuid www-data",
    "",
  ].join("\n");
  assert.equal(
    formatJob(text),
    [
      "description web",
      "",
      "start on runlevel [2345]",
      "stop on runlevel [!2345]",
      "",
      "respawn",
      "",
      "env B=2",
      "env A=1",
      "",
      "setuid www-data",
      "",
      "pre-start exec mkdir -p /run/web",
      "exec /usr/bin/web",
      "",
    ].join("\n"),
  );
});

Deno.test("format: comments stay at the top, move with the next stanza, or stay trailing", () => {
  const text = [
    "# web - the web server",
    "",
    "exec /usr/bin/web   # the daemon",
    "",
    "   # when to run",
    "start on (local-filesystems # need disks",
    "   and net-device-up IFACE!=lo)",
    'description "web server"',
    "# the end",
    "",
  ].join("\n");
  assert.equal(
    formatJob(text),
    [
      "# web - the web server",
      "",
      'description "web server"',
      "",
      "# when to run",
      "# need disks",
      "start on (local-filesystems and net-device-up IFACE!=lo)",
      "",
      "exec /usr/bin/web # the daemon",
      "",
      "# the end",
      "",
    ].join("\n"),
  );
});

Deno.test("format: comments before the first stanza, and the first stanza's own, form the header", () => {
  const out = formatJob("# about the file\nexec /bin/true\n# about description\ndescription x\n");
  const want = "# about the file\n\n# about description\n\ndescription x\n\nexec /bin/true\n";
  assert.equal(out, want);
  assert.equal(formatJob(out), want);
});

Deno.test("format: relative order of manual/start on and exec/script is kept (it is meaning)", () => {
  for (
    const text of [
      "start on startup\nmanual\n",
      "manual\nstart on startup\n",
      "exec /bin/a\nscript\n  b\nend script\n",
      "script\n  b\nend script\nexec /bin/a\n",
      "manual exec /bin/true\nstart on startup\n",
    ]
  ) {
    const doc = parseJob(text);
    const out = formatJob(doc);
    assert.deepEqual(parseJob(out).config, doc.config, text);
  }
  assert.equal(formatJob("manual exec /bin/true\n"), "manual\n\nexec /bin/true\n");
});

Deno.test("format: long conditions break before operators; `\\` only outside parentheses", () => {
  const events = Array.from({ length: 8 }, (_, i) => `started service-number-${i}`);
  const text = `start on ${events.join(" or ")} and (stopped a or stopped b)\n`;
  const out = formatJob(text);
  const lines = out.trimEnd().split("\n");
  assert.ok(lines.length > 1, out);
  assert.ok(lines.every((l) => l.length <= 100), out);
  assert.equal(lines[0], "start on started service-number-0 \\");
  assert.equal(lines[8], "    and (stopped a");
  assert.equal(lines[9], "    or stopped b)");
  assert.deepEqual(parseJob(out).config.startOn, parseJob(text).config.startOn);
});

Deno.test("format: script bodies are indented by two spaces, unless an empty line stops dedent", () => {
  assert.equal(
    formatJob("script\n\techo a\n\t  echo b\nend script   # done\n"),
    "script\n  echo a\n    echo b\nend script # done\n",
  );
  const kept = "script\n    echo a\n\n    echo b\nend script\n";
  assert.equal(formatJob(kept), kept);
  assert.equal(
    formatJob("pre-start script # setup\nend script\n"),
    "pre-start script # setup\nend script\n",
  );
});

Deno.test("format: quirky values are rewritten as what Upstart reads", () => {
  const cases = [
    'description "a \\"quoted\\" value"\n', // libnih keeps the backslashes and mangles the space
    "description 'single \"q\"'\n",
    "description foo\\\nbar\n", // a continuation inside a word is a space
    'env B="two words"\n',
    "exec echo \\$HOME\n",
    "exec /bin/echo   a   b    # c  \n",
    "exec foo \\\n     bar \\\n baz\n",
    "emits a\\\n b \\\n c\n",
    'start on foo\\(x\\) "(y)" and "and" or bar\n',
    'nice " 5"\n',
    'description ""\\\n\n', // an empty value no token can spell: kept as written
    "description crlf\r\nexec /bin/true\r\n",
  ];
  for (const text of cases) {
    const doc = parseJob(text);
    const out = formatJob(doc);
    assert.deepEqual(parseJob(out).config, doc.config, JSON.stringify(text));
    assert.equal(formatJob(out), out, JSON.stringify(text));
  }
  // Upstart reads `a\\"quoted\" value`: written back with plain quoting
  assert.equal(
    formatJob('description "a \\"quoted\\" value"\n'),
    `description "a\\\\\\\\"'"'"quoted\\\\"'"'" value"\n`,
  );
  assert.equal(formatJob("description crlf\r\n"), "description crlf\n");
  assert.equal(formatJob("exec /bin/echo   a   b    # c  \n"), "exec /bin/echo   a   b # c\n");
});

Deno.test("format: empty and comment-only files; rejected or non-UTF-8 input is refused", () => {
  assert.equal(formatJob(""), "");
  assert.equal(formatJob("\n\n"), "");
  assert.equal(formatJob("  # only\n\n\n# comments\n"), "# only\n\n# comments\n");
  assert.throws(() => formatJob("bogus\n"), { name: "ParseError" });
  const bad = parseJob("bogus\n", { throwOnError: false });
  assert.throws(() => formatJob(bad), TypeError);
  assert.throws(
    () => formatJob(new Uint8Array([0x23, 0xff, 0x0a, 0x74, 0x61, 0x73, 0x6b, 0x0a])),
    /not valid UTF-8/,
  );
  assert.equal(formatJob("# caf\u00e9 \ufffd\ntask\n"), "# caf\u00e9 \ufffd\n\ntask\n");
});

Deno.test("no stack overflow on huge lists: 150,000 header comments; 250,000 emits, exports, exit statuses through the builder", () => {
  const comments = "# c\n".repeat(150_000) + "task\n";
  assert.equal(formatJob(parseJob(comments)), "# c\n".repeat(150_000) + "\ntask\n");
  // 250,000 one-letter values stay under the parser's size limit (the builder's output parses).
  const many = Array.from({ length: 250_000 }, () => "e");
  const base = parseJob("task\n").config;
  const count = (config: typeof base, keyword: string) =>
    JobBuilder.fromConfig(config).toString().split("\n").find((l) => l.startsWith(keyword))!
      .split(" ").length;
  assert.equal(count({ ...base, emits: many }, "emits "), 1 + 250_000);
  assert.equal(count({ ...base, export: many.map(() => "A") }, "export "), 1 + 250_000);
  const statuses = many.map(() => ({ status: 1 }));
  assert.equal(count({ ...base, normalExit: statuses }, "normal exit "), 2 + 250_000);
});

Deno.test("input over MAX_JOB_FILE_BYTES is a RangeError that says so, for strings and bytes", () => {
  const big = "#".repeat(MAX_JOB_FILE_BYTES) + "\n";
  assert.throws(() => parseJob(big), (e) => e instanceof RangeError && /too large/.test(e.message));
  assert.throws(() => parseJob(new TextEncoder().encode(big)), RangeError);
  assert.ok(parseJob("#".repeat(MAX_JOB_FILE_BYTES - 1) + "\n"));
});
