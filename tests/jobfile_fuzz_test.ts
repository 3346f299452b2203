import assert from "node:assert/strict";
import { SHARED } from "./support/shared.ts";
import { PATHOLOGICAL } from "./support/pathological.ts";
import { type JobDocument, ParseError, parseJob, toUpstartConditions } from "../src/jobfile/mod.ts";

const CORPUS = new URL("corpus/jobs/", SHARED ?? "file:///nonexistent/");

function seeds(): Uint8Array[] | null {
  try {
    return [...Deno.readDirSync(CORPUS)].map((e) => e.name).sort().map((n) =>
      Deno.readFileSync(new URL(n, CORPUS))
    );
  } catch {
    console.warn(`Job-file corpus not found at ${CORPUS.pathname}: fuzz tests skipped`);
    return null;
  }
}

const files = seeds();

/** xorshift32: deterministic mutations, reproducible from the seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const SPECIAL = [0x22, 0x27, 0x28, 0x29, 0x5c, 0x0a, 0x23, 0x00, 0x20, 0x0d];

function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  const b = Array.from(src);
  const at = () => Math.floor(r() * (b.length + 1));
  switch (kind) {
    case 0: // flip bytes
      for (let i = 0; i < 1 + r() * 4 && b.length; i++) {
        b[Math.min(at(), b.length - 1)] ^= 1 << Math.floor(r() * 8);
      }
      break;
    case 1: // insert quotes, parens, backslashes, newlines, NUL
      for (let i = 0; i < 1 + r() * 3; i++) {
        b.splice(at(), 0, SPECIAL[Math.floor(r() * SPECIAL.length)]);
      }
      break;
    case 2: // delete bytes
      for (let i = 0; i < 1 + r() * 3 && b.length; i++) b.splice(Math.min(at(), b.length - 1), 1);
      break;
    default: { // delete or duplicate a line
      const text = new TextDecoder("latin1").decode(src);
      const lines = text.split("\n");
      const i = Math.floor(r() * lines.length);
      if (kind === 3) lines.splice(i, 1);
      else lines.splice(i, 0, lines[i]);
      return Uint8Array.from(lines.join("\n"), (c) => c.charCodeAt(0));
    }
  }
  return Uint8Array.from(b);
}

function check(input: Uint8Array): void {
  const t = performance.now();
  let doc: JobDocument | undefined;
  try {
    doc = parseJob(input);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    assert.ok(e.line >= 1 && e.offset >= 0 && e.offset <= input.length);
    doc = parseJob(input, { throwOnError: false });
  }
  assert.deepEqual(doc.toBytes(), input);
  toUpstartConditions(doc.config.startOn);
  toUpstartConditions(doc.config.stopOn);
  const ms = performance.now() - t;
  // A liveness guard against hangs, not a performance claim (bench/jobfile.ts measures speed).
  assert.ok(ms < 10_000, `parse took ${ms} ms`);
}

Deno.test({
  name: "fuzz: mutated corpus files give a document or a ParseError, quickly, byte-exact",
  ignore: files === null,
  fn() {
    const r = rng(0x5eed);
    let n = 0;
    for (let round = 0; round < 10; round++) {
      for (const f of files!) {
        check(mutate(f, r));
        n++;
      }
    }
    assert.ok(n >= 4000);
  },
});

Deno.test("fuzz: random bytes from the lexer's alphabet", () => {
  const r = rng(42);
  const alphabet = [...SPECIAL, ...new TextEncoder().encode("startonandorexecscriptend \t")];
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(r() * 80);
    check(Uint8Array.from({ length: len }, () => alphabet[Math.floor(r() * alphabet.length)]));
  }
});

Deno.test("pathological inputs of 80,000 lines give a document or a ParseError", () => {
  // Their growth in time is measured by bench/jobfile.ts (tests do not assert timings). 80,000
  // lines keep each under MAX_JOB_FILE_BYTES.
  for (const [, make] of PATHOLOGICAL) check(new TextEncoder().encode(make(80000)));
});
