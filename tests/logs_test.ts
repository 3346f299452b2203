/**
 * `logs`: Upstart's log files as they are on disk (CR LF lines, rotated and gzipped files),
 * read through the library and the CLI; following across truncation and rotation; and the
 * sandbox writing a running job's log that `logs` then reads.
 */
import assert from "node:assert/strict";
import { type HostFiles, localFiles, remoteFiles } from "../src/host_files.ts";
import { followLog, logFileName, logFiles, readLog, splitLogLines } from "../src/logs.ts";
import { cli, cliProcess, fakeIo } from "./support/cli_io.ts";
import { main } from "../src/cli/main.ts";
import { until } from "./support/poll.ts";
import { startSandbox } from "./support/sandbox.ts";
import { writeFakeSsh } from "./support/fake_ssh.ts";

const enc = new TextEncoder();

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return await new Response(stream).bytes();
}

/** A temp log directory, removed on dispose. */
async function logDir(files: Record<string, string | Uint8Array> = {}) {
  const dir = await Deno.makeTempDir({ prefix: "upstart-logs-test-" });
  for (const [name, data] of Object.entries(files)) {
    await Deno.writeFile(`${dir}/${name}`, typeof data === "string" ? enc.encode(data) : data);
  }
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A rotated set as logrotate (compress, delaycompress, rotate 3) leaves it, plus decoys. */
async function rotatedSet() {
  return await logDir({
    "web.log.3.gz": await gzip("one\r\ntwo\r\n"),
    "web.log.2.gz": await gzip("three\r\n"),
    "web.log.1": "four\r\nfive\r\n",
    "web.log": "six\r\nseven\r\n",
    // Not web's: another job, an instance, a backup, a compression we do not read.
    "webby.log.1": "decoy\r\n",
    "web-a.log": "instance a\r\n",
    "web.log.bak": "decoy\r\n",
    "web.log.4.xz": "decoy\r\n",
  });
}

Deno.test("log file names: / becomes _ in job and instance names, as job_process_log_path", () => {
  assert.equal(logFileName("web"), "web.log");
  assert.equal(logFileName("web", "a"), "web-a.log");
  assert.equal(logFileName("net/web", "eth0/1"), "net_web-eth0_1.log");
  assert.equal(logFileName("../../etc/passwd"), ".._.._etc_passwd.log"); // never leaves the dir
  assert.throws(() => logFileName(""), RangeError);
  assert.throws(() => logFileName("a\0b"), RangeError);
});

Deno.test("rotated files are read oldest first, gzip decompressed, CR LF and decoys dropped", async () => {
  await using d = await rotatedSet();
  const files = await logFiles(localFiles(), d.dir, "web.log");
  assert.deepEqual(files.map((f) => f.path.slice(d.dir.length + 1)), [
    "web.log.3.gz",
    "web.log.2.gz",
    "web.log.1",
    "web.log",
  ]);
  const r = await cli(["logs", "web", "--log-dir", d.dir]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "one\ntwo\nthree\nfour\nfive\nsix\nseven\n");
  assert.equal(r.err, "");
});

Deno.test("dateext names (JOB.log-YYYYMMDD[.gz]) come in date order, after numbered ones", async () => {
  await using d = await logDir({
    "web.log-20261202.gz": await gzip("dec2\r\n"),
    "web.log-20261201": "dec1\r\n",
    "web.log.1": "numbered\r\n",
    "web.log": "now\r\n",
  });
  const r = await cli(["logs", "web", "--log-dir", d.dir]);
  assert.equal(r.out, "numbered\ndec1\ndec2\nnow\n");
});

Deno.test("-n N: the last N lines across files; -n 0 prints nothing; bad values are usage errors", async () => {
  await using d = await rotatedSet();
  assert.equal(
    (await cli(["logs", "web", "--log-dir", d.dir, "-n", "4"])).out,
    "four\nfive\nsix\nseven\n",
  );
  assert.equal((await cli(["logs", "web", "--log-dir", d.dir, "-n3"])).out, "five\nsix\nseven\n");
  assert.equal((await cli(["logs", "web", "--log-dir", d.dir, "-n", "0"])).out, "");
  assert.equal(
    (await cli(["logs", "web", "--log-dir", d.dir, "-n", "100"])).out.split("\n").length,
    8,
  );
  for (const bad of ["-1", "x", "1.5", "99999999999999999999"]) {
    const r = await cli(["logs", "web", "--log-dir", d.dir, `--lines=${bad}`]);
    assert.equal(r.code, 2, bad);
    assert.match(r.err, /invalid --lines value/);
  }
  // With -n, older files are not even read: a damaged one beyond the last N lines does no harm.
  await Deno.writeFile(`${d.dir}/web.log.3.gz`, enc.encode("not gzip"));
  assert.equal((await cli(["logs", "web", "--log-dir", d.dir, "-n", "2"])).code, 0);
});

Deno.test("a damaged .gz is a clear error naming the file", async () => {
  await using d = await logDir({ "web.log.2.gz": "not gzip at all", "web.log": "now\r\n" });
  const r = await cli(["logs", "web", "--log-dir", d.dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /^initctl: Cannot read .*web\.log\.2\.gz: it is not valid gzip data/);
  // A cut-short gzip file too.
  const gz = await gzip("x\r\n".repeat(1000));
  await Deno.writeFile(`${d.dir}/web.log.2.gz`, gz.subarray(0, gz.length - 10));
  assert.match((await cli(["logs", "web", "--log-dir", d.dir])).err, /not valid gzip data/);
});

Deno.test("CR LF: only the pty's CR is dropped; control characters are escaped, --json keeps them", async () => {
  await using d = await logDir({
    "web.log": "plain\r\nprogress 10%\rprogress 100%\r\n\x1b]0;pwned\x07title\r\n\ttab\r\nno end",
  });
  const r = await cli(["logs", "web", "--log-dir", d.dir]);
  assert.equal(
    r.out,
    "plain\nprogress 10%\\rprogress 100%\n\\x1b]0;pwned\\x07title\n\ttab\nno end\n",
  );
  const j = await cli(["logs", "web", "--log-dir", d.dir, "--json"]);
  const lines = j.out.trim().split("\n").map((l) => JSON.parse(l).line);
  assert.deepEqual(lines, [
    "plain",
    "progress 10%\rprogress 100%",
    "\x1b]0;pwned\x07title",
    "\ttab",
    "no end",
  ]);
  // Bytes that are not UTF-8 become U+FFFD rather than an error.
  await Deno.writeFile(`${d.dir}/web.log`, new Uint8Array([0xff, 0xfe, 0x41, 13, 10]));
  assert.equal((await cli(["logs", "web", "--log-dir", d.dir])).out, "\ufffd\ufffdA\n");
  assert.deepEqual(splitLogLines(enc.encode("\r\n\r\r\n")).lines, ["", "\r"]);
});

Deno.test("instances and jobs in subdirectories: JOB-INSTANCE.log with / as _", async () => {
  await using d = await logDir({
    "web-a_b.log": "from a/b\r\n",
    "net_web.log": "from net/web\r\n",
    "net_web-eth0.log": "from net/web eth0\r\n",
  });
  assert.equal((await cli(["logs", "web", "a/b", "--log-dir", d.dir])).out, "from a/b\n");
  assert.equal((await cli(["logs", "net/web", "--log-dir", d.dir])).out, "from net/web\n");
  assert.equal(
    (await cli(["logs", "net/web", "eth0", "--log-dir", d.dir])).out,
    "from net/web eth0\n",
  );
  // No JOB.log, but instance logs: say which.
  const r = await cli(["logs", "web", "--log-dir", d.dir, "--dir", d.dir]);
  assert.equal(r.code, 0);
  assert.equal(r.out, `web: no log yet (${d.dir}/web.log); instance logs: web-a_b.log\n`);
});

Deno.test("a job that does not log, or has not yet: one line saying so", async () => {
  await using d = await logDir({
    "quiet.conf": "console none\nexec sleep 1\n",
    "out.conf": "console output\nexec sleep 1\n",
    "ovr.conf": "exec sleep 1\n",
    "ovr.override": "console owner\n",
    "fresh.conf": "exec sleep 1\n", // no console stanza: log, Upstart's default
  });
  const run = (job: string) => cli(["logs", job, "--log-dir", d.dir, "--dir", d.dir]);
  assert.equal(
    (await run("quiet")).out,
    `quiet: no log: its console is none (${d.dir}/quiet.conf)\n`,
  );
  assert.equal((await run("out")).out, `out: no log: its console is output (${d.dir}/out.conf)\n`);
  assert.equal((await run("ovr")).out, `ovr: no log: its console is owner (${d.dir}/ovr.conf)\n`);
  assert.equal((await run("fresh")).out, `fresh: no log yet (${d.dir}/fresh.log)\n`);
  assert.equal((await run("unknown")).out, `unknown: no log yet (${d.dir}/unknown.log)\n`);
  // -q: nothing; a hostile name is escaped; -f on a job that never logs returns at once.
  assert.equal((await cli(["logs", "quiet", "-q", "--log-dir", d.dir, "--dir", d.dir])).out, "");
  assert.match((await run("x\x1b[2Jy")).out, /^x\\x1b\[2Jy: no log yet/);
  const f = await cli(["logs", "quiet", "-f", "--log-dir", d.dir, "--dir", d.dir]);
  assert.equal(f.code, 0);
  // --json: a JSON line, never plain text.
  const j = await cli(["logs", "quiet", "--json", "--log-dir", d.dir, "--dir", d.dir]);
  assert.deepEqual(JSON.parse(j.out), {
    job: "quiet",
    instance: "",
    log: null,
    console: "none",
    jobFile: `${d.dir}/quiet.conf`,
  });
  const fresh = await cli(["logs", "fresh", "--json", "--log-dir", d.dir, "--dir", d.dir]);
  assert.deepEqual(JSON.parse(fresh.out), {
    job: "fresh",
    instance: "",
    log: null,
    path: `${d.dir}/fresh.log`,
  });
  // A log written before the console changed is still shown.
  await Deno.writeTextFile(`${d.dir}/quiet.log`, "old output\r\n");
  assert.equal((await run("quiet")).out, "old output\n");
});

Deno.test("--since skips whole files last written before TIME", async () => {
  await using d = await rotatedSet();
  const old = new Date("2026-01-01T00:00:00Z");
  for (const f of ["web.log.3.gz", "web.log.2.gz"]) await Deno.utime(`${d.dir}/${f}`, old, old);
  const r = await cli(["logs", "web", "--log-dir", d.dir, "--since", "2026-06-01"]);
  assert.equal(r.out, "four\nfive\nsix\nseven\n");
  assert.equal(
    (await cli(["logs", "web", "--log-dir", d.dir, "--since=-1h"])).out.split("\n").length,
    5,
  );
  assert.equal((await cli(["logs", "web", "--log-dir", d.dir, "--since", "1d ago"])).out, r.out);
  const bad = await cli(["logs", "web", "--log-dir", d.dir, "--since", "2026-02-31"]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid time: "2026-02-31"/);
});

Deno.test("usage: a job name is needed, one instance at most", async () => {
  assert.equal((await cli(["logs"])).code, 2);
  assert.match((await cli(["logs"])).err, /missing job name/);
  assert.match((await cli(["logs", "a", "b", "c"])).err, /unexpected argument: c/);
});

Deno.test("--host: the log read over ssh; several hosts, each line prefixed", async () => {
  await using d = await logDir({ "web.log.1": "old\r\n", "web.log": "new\x1b[31m\r\n" });
  const ssh = await writeFakeSsh(d.dir);
  const one = await cli(["--ssh-command", ssh, "-H", "far1", "logs", "web", "--log-dir", d.dir]);
  assert.deepEqual([one.code, one.out], [0, "old\nnew\\x1b[31m\n"]);
  const two = await cli([
    "--ssh-command",
    ssh,
    "-H",
    "far1,far2",
    "logs",
    "web",
    "-n",
    "1",
    "--log-dir",
    d.dir,
  ]);
  assert.equal(two.code, 0, two.err);
  assert.deepEqual(two.out.trimEnd().split("\n").sort(), [
    "far1: new\\x1b[31m",
    "far2: new\\x1b[31m",
  ]);
  const down = await cli(["--ssh-command", ssh, "-H", "down1", "logs", "web", "--log-dir", d.dir]);
  assert.equal(down.code, 1);
  assert.match(down.err, /down1.*Connection refused/);
});

Deno.test("huge input: a 300,000-line log with -n 3, and a 4 MB line", async () => {
  const many = Array.from({ length: 300_000 }, (_, i) => `line ${i}\r\n`).join("");
  await using d = await logDir({ "big.log": many, "wide.log": "x".repeat(4 << 20) + "\r\n" });
  assert.equal(
    (await cli(["logs", "big", "--log-dir", d.dir, "-n", "3"])).out,
    "line 299997\nline 299998\nline 299999\n",
  );
  const all = await cli(["logs", "big", "--log-dir", d.dir]);
  assert.equal(all.out.length, many.length - 300_000);
  assert.equal((await cli(["logs", "wide", "--log-dir", d.dir])).out.length, (4 << 20) + 1);
});

/** Runs `logs -f` in-process until `stop()`; `out()` is what it printed so far. */
function follow(args: string[]) {
  const f = fakeIo();
  const done = main(["logs", "-f", ...args], f.io);
  return {
    out: f.out,
    err: f.err,
    async stop() {
      f.interrupt();
      return await done;
    },
  };
}

Deno.test("-f: last 10 lines, then new ones; across truncation and rotation (rename, gzip, remove)", async () => {
  await using d = await logDir({
    "web.log": Array.from({ length: 15 }, (_, i) => `old ${i}\r\n`).join(""),
  });
  const path = `${d.dir}/web.log`;
  const append = (text: string) => Deno.writeTextFile(path, text, { append: true });
  const f = follow(["web", "--log-dir", d.dir]);
  try {
    await until(() => f.out().includes("old 14\n"), "the last lines");
    assert.equal(f.out(), Array.from({ length: 10 }, (_, i) => `old ${i + 5}\n`).join(""));
    await append("new 1\r\nhalf");
    await until(() => f.out().includes("new 1\n"), "an appended line");
    await append(" done\r\n");
    await until(() => f.out().includes("half done\n"), "a line finished later, whole");
    // copytruncate: the file is cut to nothing, then written again.
    await Deno.truncate(path, 0);
    await until(() => f.err().includes("file truncated"), "the truncation noticed");
    await append("after truncate\r\n");
    await until(() => f.out().includes("after truncate\n"), "a line after truncation");
    // Lines written just before logrotate renames the file: still shown, read from web.log.1.
    await append("last words\r\n");
    await Deno.rename(path, `${path}.1`);
    await Deno.writeTextFile(`${path}.2.gz`, ""); // an older rotation, not the one followed
    await until(() => f.err().includes("file removed"), "the rotation noticed");
    await append("fresh file\r\n"); // Upstart makes a new one on the next output
    await until(() => f.out().includes("fresh file\n"), "a line in the new file");
    // Rotation the other way: the file is replaced by a longer one (a new inode, no shrink).
    await Deno.writeTextFile(`${path}.new`, "replaced ".repeat(20) + "\r\n");
    await Deno.rename(`${path}.new`, path);
    await until(() => f.out().includes("replaced replaced"), "the replaced file's line");
    assert.equal(await f.stop(), 0);
    const out = f.out();
    for (const l of ["last words", "fresh file", "after truncate"]) {
      assert.equal(out.split("\n").filter((x) => x === l).length, 1, `${l} once: ${out}`);
    }
    assert.ok(out.indexOf("last words") < out.indexOf("fresh file"));
    assert.ok(!out.includes("old 4\n"));
  } finally {
    await f.stop();
  }
});

Deno.test("-f: a log that does not exist yet is waited for", async () => {
  await using d = await logDir();
  const f = follow(["later", "--log-dir", d.dir, "--dir", d.dir]);
  try {
    await until(() => f.out().includes("no log yet"), "the notice");
    await Deno.writeTextFile(`${d.dir}/later.log`, "hello\r\n");
    await until(() => f.out().includes("hello\n"), "its first line");
  } finally {
    assert.equal(await f.stop(), 0);
  }
  assert.equal(f.err(), ""); // never there, so never "removed"
});

/**
 * Follows a log in the background (`followLog` with a 20 ms look): each line as it comes, each
 * notice as `<kind>`; `stop()` (or disposal) ends it.
 */
async function following(files: HostFiles, dir: string, name: string) {
  const log = await readLog(files, dir, name, { completeOnly: true });
  const stop = new AbortController();
  const seen: string[] = [];
  const run = (async () => {
    for await (
      const item of followLog(files, log.position, { signal: stop.signal, intervalMs: 20 })
    ) {
      seen.push(...(item.kind === "lines" ? item.lines : [`<${item.kind}>`]));
    }
  })();
  const end = async () => {
    stop.abort();
    await run;
  };
  return { log, seen, stop: end, [Symbol.asyncDispose]: end };
}

Deno.test("followLog drains the rotated file when logrotate compressed it (JOB.log.1.gz)", async () => {
  await using d = await logDir({ "w.log": "a\r\n" });
  await using f = await following(localFiles(), d.dir, "w.log");
  const { seen } = f;
  assert.deepEqual(f.log.lines, ["a"]);
  // Written and rotated between two looks: rename, gzip, remove, as logrotate's compress does.
  await Deno.writeTextFile(`${d.dir}/w.log`, "b\r\n", { append: true });
  const all = await Deno.readTextFile(`${d.dir}/w.log`);
  await Deno.writeFile(`${d.dir}/w.log.1.gz`, await gzip(all));
  await Deno.remove(`${d.dir}/w.log`);
  await until(() => seen.includes("<removed>"), "the removal");
  await Deno.writeTextFile(`${d.dir}/w.log`, "c\r\n");
  await until(() => seen.includes("c"), "the new file");
  await f.stop();
  // "b" may have been seen before the rotation or drained from w.log.1.gz: either way, once.
  assert.deepEqual(seen.filter((s) => !s.startsWith("<")), ["b", "c"]);
});

Deno.test("followLog drains the rotated file when logrotate used dateext (JOB.log-DATE)", async () => {
  await using d = await logDir({ "w.log": "a\r\n" });
  await using f = await following(localFiles(), d.dir, "w.log");
  const { seen } = f;
  // Written and renamed between two looks (synchronously: no look can come between).
  Deno.writeTextFileSync(`${d.dir}/w.log`, "b\r\n", { append: true });
  Deno.renameSync(`${d.dir}/w.log`, `${d.dir}/w.log-20261205`);
  await until(() => seen.includes("<removed>"), "the removal");
  await Deno.writeTextFile(`${d.dir}/w.log`, "c\r\n");
  await until(() => seen.includes("c"), "the new file");
  await f.stop();
  assert.deepEqual(seen.filter((s) => !s.startsWith("<")), ["b", "c"]);
});

Deno.test("followLog: a line longer than what one look reads comes in pieces, then the rest", async () => {
  // Started past the first bytes, so that the reads are ranges with a tail to compare.
  await using d = await logDir({ "w.log": "y".repeat(298) + "\r\n" });
  await using f = await following(localFiles(), d.dir, "w.log");
  const { seen } = f;
  await Deno.writeTextFile(`${d.dir}/w.log`, "x".repeat(5 << 20) + "\r\nend\r\n", {
    append: true,
  });
  await until(() => seen.includes("end"), "the line after the long one");
  await f.stop();
  assert.equal(seen.slice(0, -1).join("").length, 5 << 20);
});

Deno.test("followLog: a burst bigger than one look's piece is read to its end, then it waits", async () => {
  await using d = await logDir({ "w.log": "start\r\n" });
  await using f = await following(localFiles(), d.dir, "w.log");
  const { seen } = f;
  // 10 MB at once, then nothing more: every line must come without another change to the file.
  const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i} ${"z".repeat(90)}\r\n`);
  await Deno.writeTextFile(`${d.dir}/w.log`, lines.join("") + "last\r\n", { append: true });
  await until(() => seen.at(-1) === "last", "the last line of the burst");
  await f.stop();
  assert.equal(seen.length, 100_001);
});

Deno.test("sandbox: a console log job's file is CR LF, mode 0640, and logs reads it back", async () => {
  await using sb = await startSandbox({
    jobs: {
      talk:
        "task\nscript\n  echo one\n  printf 'two\\n' >&2\n  printf '\\033[31mred\\n'\nend script\n",
      "sub/job": "task\ninstance $N\nexec echo in subdir\n",
      silent: "task\nconsole none\nexec echo never\n",
    },
  });
  const JOBS = "/com/ubuntu/Upstart/jobs";
  await sb.call("Start", "asb", [[], true], `${JOBS}/talk`);
  await sb.call("Start", "asb", [["N=x/y"], true], `${JOBS}/sub_2fjob`);
  await sb.call("Start", "asb", [[], true], `${JOBS}/silent`);
  const dir = sb.sandbox.logDir;
  const raw = await Deno.readTextFile(`${dir}/talk.log`);
  assert.equal(raw.split("\r\n").filter(Boolean).sort().join("|"), "\x1b[31mred|one|two");
  assert.ok(!/[^\r]\n/.test(raw), "every \\n has its \\r");
  assert.equal((await Deno.stat(`${dir}/talk.log`)).mode! & 0o777, 0o640);
  assert.equal(await Deno.readTextFile(`${dir}/sub_job-x_y.log`), "in subdir\r\n");
  const r = await cli(["logs", "talk", "--log-dir", dir, "--dir", sb.jobDir]);
  assert.equal(r.out.split("\n").filter(Boolean).sort().join("|"), "\\x1b[31mred|one|two");
  assert.equal(
    (await cli(["logs", "sub/job", "x/y", "--log-dir", dir, "--dir", sb.jobDir])).out,
    "in subdir\n",
  );
  assert.equal(
    (await cli(["logs", "silent", "--log-dir", dir, "--dir", sb.jobDir])).out,
    `silent: no log: its console is none (${sb.jobDir}/silent.conf)\n`,
  );
});

Deno.test("sandbox: logrotate's compress while a job writes: the sandbox starts a new file, -f goes on", async () => {
  await using sb = await startSandbox({
    jobs: { ticker: "exec sh -c 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.05; done'\n" },
  });
  const dir = sb.sandbox.logDir;
  await sb.call("Start", "asb", [[], true], "/com/ubuntu/Upstart/jobs/ticker");
  await until(
    async () =>
      (await Deno.readTextFile(`${dir}/ticker.log`).catch(() => "")).includes("tick 3\r\n"),
    "ticks",
  );
  const f = follow(["ticker", "--log-dir", dir, "--dir", sb.jobDir]);
  try {
    await until(() => f.out().includes("tick 3\n"), "the first ticks");
    // logrotate with compress: rename, gzip the renamed file, remove it.
    await Deno.rename(`${dir}/ticker.log`, `${dir}/ticker.log.1`);
    await new Promise((r) => setTimeout(r, 200)); // the job writes on into the renamed file
    await Deno.writeFile(
      `${dir}/ticker.log.1.gz`,
      await gzip(await Deno.readTextFile(`${dir}/ticker.log.1`)),
    );
    await Deno.remove(`${dir}/ticker.log.1`);
    await until(
      async () => (await Deno.stat(`${dir}/ticker.log`).catch(() => null)) !== null,
      "a new log file",
    );
    const n = Number(/tick (\d+)\r\n/.exec(await Deno.readTextFile(`${dir}/ticker.log`))![1]);
    await until(() => f.out().includes(`tick ${n + 3}\n`), "ticks from the new file");
  } finally {
    assert.equal(await f.stop(), 0);
    await sb.call("Stop", "asb", [[], true], "/com/ubuntu/Upstart/jobs/ticker");
  }
  // Every tick shown once at most and in order (some may be lost in the gap, as with tail -F).
  const ticks = f.out().split("\n").filter(Boolean).map((l) => Number(l.split(" ")[1]));
  for (let i = 1; i < ticks.length; i++) assert.ok(ticks[i] > ticks[i - 1], `in order: ${ticks}`);
  // The history reads back in order through the rotated .gz and the new file (lines written
  // between logrotate's gzip and its remove are lost, as on a real system).
  const all = (await cli(["logs", "ticker", "--log-dir", dir])).out.split("\n").filter(Boolean);
  const nums = all.map((l) => Number(l.split(" ")[1]));
  assert.equal(nums[0], 1);
  for (let i = 1; i < nums.length; i++) assert.ok(nums[i] > nums[i - 1], `in order: ${nums}`);
});

Deno.test("sandbox: a symlink in place of the log is never written through", async () => {
  await using sb = await startSandbox({ jobs: { t: "task\nexec echo secret\n" } });
  const target = await Deno.makeTempFile();
  try {
    await Deno.mkdir(sb.sandbox.logDir, { recursive: true });
    await Deno.symlink(target, `${sb.sandbox.logDir}/t.log`);
    await sb.call("Start", "asb", [[], true], "/com/ubuntu/Upstart/jobs/t");
    assert.equal(await Deno.readTextFile(target), "");
  } finally {
    await Deno.remove(target);
  }
});

Deno.test("followLog over ssh (remoteFiles): appends, truncation, replacement", async () => {
  await using d = await logDir({ "r.log": "a\r\n" });
  const ssh = await writeFakeSsh(d.dir);
  await using f = await following(remoteFiles({ host: "far1", sshCommand: ssh }), d.dir, "r.log");
  const { seen } = f;
  const path = `${d.dir}/r.log`;
  await Deno.writeTextFile(path, "b\r\n", { append: true });
  await until(() => seen.includes("b"), "an appended line");
  await Deno.truncate(path, 0);
  await until(() => seen.includes("<truncated>"), "the truncation");
  await Deno.writeTextFile(path, "c\r\n", { append: true });
  await until(() => seen.includes("c"), "a line after truncation");
  await Deno.writeTextFile(`${path}.new`, "d".repeat(100) + "\r\n");
  await Deno.rename(`${path}.new`, path);
  await until(() => seen.includes("d".repeat(100)), "the replacement's line");
  await f.stop();
  assert.deepEqual(seen, ["b", "<truncated>", "c", "<rotated>", "d".repeat(100)]);
});

Deno.test("permissions: logs needs only --allow-read, completion nothing (as the README says)", async () => {
  await using d = await logDir({ "web.log": "hi\r\n" });
  const r = await cliProcess(["logs", "web", "--log-dir", d.dir], {}, ["--allow-read"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, "hi\n");
  const c = await cliProcess(["completion", "fish"], {}, []);
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /^# fish completion for upstart/);
});

Deno.test("a relative --log-dir is a usage error", async () => {
  const r = await cli(["logs", "web", "--log-dir", "logs"]);
  assert.equal(r.code, 2);
  assert.match(r.err, /invalid --log-dir value: logs: expected an absolute path/);
});

Deno.test("a .gz that decompresses past the limit is refused, not inflated into memory", async () => {
  // 80 MiB of zeros: a few tens of KB compressed.
  const zeros = new Blob([new Uint8Array(80 << 20)]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  const gz = await new Response(zeros).bytes();
  await using d = await logDir({ "web.log.1.gz": gz, "web.log": "now\r\n" });
  const r = await cli(["logs", "web", "--log-dir", d.dir]);
  assert.equal(r.code, 1);
  assert.match(r.err, /web\.log\.1\.gz: it decompresses to more than \d+ bytes/);
});

Deno.test("readRange: a bounded piece from an offset, here and over ssh", async () => {
  await using d = await logDir({ "a.log": "0123456789" });
  const ssh = await writeFakeSsh(d.dir);
  for (const files of [localFiles(), remoteFiles({ host: "far1", sshCommand: ssh })]) {
    assert.equal(
      new TextDecoder().decode((await files.readRange(`${d.dir}/a.log`, 3, 4))!),
      "3456",
    );
    assert.equal(new TextDecoder().decode((await files.readRange(`${d.dir}/a.log`, 8, 4))!), "89");
    assert.equal((await files.readRange(`${d.dir}/a.log`, 20, 4))!.length, 0);
    assert.equal(await files.readRange(`${d.dir}/none.log`, 0, 4), null);
    await assert.rejects(files.readRange(`${d.dir}/a.log`, -1, 4), RangeError);
  }
});
