import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import { applyOverride, parseJob, toUpstartConditions } from "../src/jobfile/mod.ts";

const CORPUS = new URL("corpus/", SHARED ?? "file:///nonexistent/");

function load(): { expected: Map<string, Record<string, unknown>>; files: string[] } | null {
  try {
    const expected = new Map<string, Record<string, unknown>>();
    for (const line of Deno.readTextFileSync(new URL("EXPECTED.jsonl", CORPUS)).split("\n")) {
      if (!line.trim()) continue;
      const o = JSON.parse(line);
      expected.set(o.file, o);
    }
    const files = [...Deno.readDirSync(new URL("jobs/", CORPUS))].map((e) => e.name).sort();
    return { expected, files };
  } catch {
    console.warn(`Job-file corpus not found at ${CORPUS.pathname}: corpus tests skipped`);
    return null;
  }
}

const corpus = load();

function read(name: string): Uint8Array {
  return Deno.readFileSync(new URL("jobs/" + name, CORPUS));
}

Deno.test({
  name: "corpus: every .conf gets Upstart's verdict and published values",
  ignore: corpus === null,
  fn() {
    const { expected, files } = corpus!;
    const confs = files.filter((f) => f.endsWith(".conf"));
    assert.equal(confs.length, expected.size, "every .conf has an expected verdict");
    let rejected = 0;
    for (const name of confs) {
      const want = { ...expected.get(name)! };
      delete want.file;
      const doc = parseJob(read(name), { filename: name, throwOnError: false });
      if (doc.error) rejected++;
      const c = doc.config;
      const got = doc.error ? { ok: false, line: doc.error.line, reason: doc.error.reason } : {
        ok: true,
        description: c.description ?? "",
        author: c.author ?? "",
        version: c.version ?? "",
        usage: c.usage ?? "",
        emits: [...c.emits],
        start_on: toUpstartConditions(c.startOn),
        stop_on: toUpstartConditions(c.stopOn),
      };
      assert.deepEqual(got, want, name);
    }
    assert.equal(rejected, 26);
  },
});

Deno.test({
  name: "corpus: rejected files throw ParseError with Upstart's message",
  ignore: corpus === null,
  fn() {
    for (const [name, want] of corpus!.expected) {
      if (want.ok) continue;
      assert.throws(
        () => parseJob(read(name), { filename: name }),
        (e: Error) => e.message === `${name}:${want.line}: ${want.reason}`,
      );
    }
  },
});

Deno.test({
  name: "corpus: every file (.conf and .override) gives back its exact bytes",
  ignore: corpus === null,
  fn() {
    for (const name of corpus!.files) {
      const bytes = read(name);
      const doc = parseJob(bytes, { throwOnError: false });
      assert.deepEqual(doc.toBytes(), bytes, name);
      // the nodes tile the file: each starts where the previous ended
      let at = 0;
      for (const n of doc.nodes) {
        assert.equal(n.start, at, name);
        at = n.end;
      }
      assert.equal(at, bytes.length, name);
      const text = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true }).decode(bytes);
      if (!text.includes("\uFFFD")) assert.equal(doc.toString(), text, name);
    }
  },
});

Deno.test({
  name: "corpus: each .override applies to its .conf as if appended to it",
  ignore: corpus === null,
  fn() {
    const overrides = corpus!.files.filter((f) => f.endsWith(".override"));
    let paired = 0;
    for (const name of overrides) {
      const confName = name.replace(/\.override$/, ".conf");
      const ov = read(name);
      if (!corpus!.files.includes(confName)) {
        // a lone override still parses (Upstart would ignore it)
        parseJob(ov, { filename: name, throwOnError: false });
        continue;
      }
      paired++;
      const conf = read(confName);
      const r = applyOverride(conf, ov);
      const joined = new Uint8Array(conf.length + 1 + ov.length);
      joined.set(conf);
      joined[conf.length] = 0x0a;
      joined.set(ov, conf.length + 1);
      const whole = parseJob(joined, { throwOnError: false });
      if (r.errors.length === 0) assert.deepEqual(r.config, whole.config, name);
    }
    assert.ok(paired > 0, "some overrides have their .conf");
  },
});
