/**
 * Whether a job starts on its own, and the `.override` edits that turn that off and on
 * (`disable`/`enable`). Upstart has no flag for it: `manual` drops the `start on` read so far, and
 * a later `start on` (in the same file, or in the override, read after the `.conf`) sets one
 * again (checked on Upstart 1.13.2). So the answer comes from the merged configuration, and
 * `manual` is appended after everything else in the override.
 *
 * @module
 */

import { DEFAULT_FILENAME, JobDocument, parseJob } from "./document.ts";
import { applyOverride } from "./override.ts";

/**
 * `enabled`: the merged job has a `start on`. `disabled`: a `start on` is written (in the `.conf`
 * or the override) but `manual` turns it off. `static`: no `start on` anywhere (the job starts only
 * when asked: `start JOB`, or another job's script). `bad`: Upstart loads no job
 * from these files.
 */
export type Enablement = "enabled" | "disabled" | "static" | "bad";

function doc(input: JobDocument | string | Uint8Array, filename: string): JobDocument {
  return input instanceof JobDocument ? input : parseJob(input, { filename, throwOnError: false });
}

/**
 * Whether a job starts on its own, from its `.conf` and `.override` merged as Upstart merges them.
 *
 * @param conf The `.conf` (a document or its text).
 * @param override The `.override`, or `null` when there is none.
 * @returns The {@linkcode Enablement}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { enablement } from "@upstart/upstart";
 * assert.equal(enablement("start on runlevel [2345]\nexec web\n", null), "enabled");
 * assert.equal(enablement("start on runlevel [2345]\nexec web\n", "manual\n"), "disabled");
 * assert.equal(enablement("start on a\nexec web\n", "manual\nstart on b\n"), "enabled");
 * assert.equal(enablement("exec web\n", null), "static");
 * ```
 */
export function enablement(
  conf: JobDocument | string | Uint8Array,
  override: JobDocument | string | Uint8Array | null,
): Enablement {
  const c = doc(conf, DEFAULT_FILENAME);
  const o = override === null ? null : doc(override, "<override>");
  const merged = o === null ? (c.error ? null : c.config) : applyOverride(c, o).config;
  if (merged === null) return "bad";
  if (merged.startOn !== null) return "enabled";
  // Any `start on` Upstart read (the .conf's only counts when the .conf loaded).
  const written = (!c.error && c.find("start on").length > 0) ||
    (o !== null && o.find("start on").some((n) => o.error === null || n.end <= o.error.offset));
  return written ? "disabled" : "static";
}

/**
 * The override's bytes with `manual` appended after everything else (a line feed first when the
 * last line has none), so that it turns off every `start on` before it. The rest stays byte for
 * byte.
 *
 * @param override The current override's bytes, or `null` when there is none.
 * @param filename The override's name, for errors.
 * @returns The new override.
 * @throws {SyntaxError} (a `ParseError`) when the current override is one Upstart rejects: it
 *   must be fixed first.
 * @throws {TypeError} when appending would not give a trailing `manual` stanza (a dangling line
 *   continuation).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withManual } from "@upstart/upstart";
 * const out = withManual(new TextEncoder().encode("# keep\nenv A=1"));
 * assert.equal(new TextDecoder().decode(out), "# keep\nenv A=1\nmanual\n");
 * ```
 */
export function withManual(override: Uint8Array | null, filename = "<override>"): Uint8Array {
  const old = override ?? new Uint8Array();
  const before = parseJob(old, { filename }); // throws ParseError for a rejected override
  const needLf = old.length > 0 && old[old.length - 1] !== 0x0a;
  const tail = new TextEncoder().encode(`${needLf ? "\n" : ""}manual\n`);
  const out = new Uint8Array(old.length + tail.length);
  out.set(old);
  out.set(tail, old.length);
  const after = parseJob(out, { filename, throwOnError: false });
  const last = after.stanzas.at(-1);
  if (
    after.error || last?.keyword !== "manual" || after.stanzas.length !== before.stanzas.length + 1
  ) {
    throw new TypeError(`Cannot append manual to ${filename}: its last line does not end cleanly`);
  }
  return out;
}

/**
 * The override without any `manual` stanza (other bytes kept), or `null` when nothing but blank
 * lines would be left (the override is then best deleted). Comments are kept: someone wrote them.
 *
 * @param override The current override's bytes.
 * @param filename The override's name, for errors.
 * @returns The new override, or `null`.
 * @throws {SyntaxError} (a `ParseError`) when the override is one Upstart rejects.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutManual } from "@upstart/upstart";
 * const enc = new TextEncoder();
 * assert.equal(withoutManual(enc.encode("manual\n")), null);
 * const out = withoutManual(enc.encode("env A=1\nmanual\n"));
 * assert.equal(new TextDecoder().decode(out!), "env A=1\n");
 * ```
 */
export function withoutManual(override: Uint8Array, filename = "<override>"): Uint8Array | null {
  const d = parseJob(override, { filename });
  const b = override;
  const cuts: [number, number][] = [];
  for (const n of d.find("manual")) {
    let end = n.end;
    // The rest of its line too, when that is only blanks (the line feed is not the stanza's).
    let k = end;
    while (k < b.length && (b[k] === 0x20 || b[k] === 0x09)) k++;
    const atLineStart = n.start === 0 || b[n.start - 1] === 0x0a;
    if (atLineStart && (k === b.length || b[k] === 0x0a)) end = Math.min(k + 1, b.length);
    else end = k;
    cuts.push([n.start, end]);
  }
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const [start, end] of cuts) parts.push(b.subarray(at, start)), at = end;
  parts.push(b.subarray(at));
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let o = 0;
  for (const p of parts) out.set(p, o), o += p.length;
  const after = parseJob(out, { filename, throwOnError: false });
  if (after.error || after.find("manual").length > 0) {
    throw new TypeError(`Cannot remove manual from ${filename}: ${after.error?.message ?? "kept"}`);
  }
  return after.nodes.every((n) => n.type === "blank") ? null : out;
}
