/**
 * Reads job-files-verification.txt (the log of loading test files into a real Upstart 1.13.2)
 * into cases: input bytes and the observed verdict (error line and text, or the parsed state).
 *
 * @module
 */

/** One single-file case of the verification log. */
export interface VerificationCase {
  readonly name: string;
  readonly input: Uint8Array;
  /** For a rejected file: the reported line (null when logged without one) and reason. */
  readonly error: { line: number | null; reason: string } | null;
  /** For an accepted file: the GetState fields that differ from an empty job. */
  readonly state: Record<string, unknown> | null;
}

/** Decodes a Python bytes literal body (between the quotes). */
function pyBytes(body: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out.push(...new TextEncoder().encode(c));
      continue;
    }
    const d = body[++i];
    const simple: Record<string, number> = {
      n: 10,
      r: 13,
      t: 9,
      "\\": 92,
      "'": 39,
      '"': 34,
      "0": 0,
    };
    if (d === "x") {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (d in simple) out.push(simple[d]);
    else throw new Error(`Unknown escape \\${d}`);
  }
  return new Uint8Array(out);
}

/** Parses the log; `null` when the file is absent. */
export function readVerification(url: URL): VerificationCase[] | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(url);
  } catch {
    return null;
  }
  const lines = text.split("\n");
  const cases: VerificationCase[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\S+\.conf) {2}input: b(['"])(.*)\2$/.exec(lines[i]);
    if (!m) continue;
    const input = pyBytes(m[3]);
    const next = lines[i + 1] ?? "";
    const err = /^\s+ERR\s+init:\s?(.*)$/.exec(next);
    if (err) {
      const rest = err[1];
      const lineless = /\.conf: Error while loading configuration file: (.*)$/.exec(rest);
      if (lineless) {
        cases.push({ name: m[1], input, error: { line: null, reason: lineless[1] }, state: null });
      } else {
        const e = /\.conf:(\d+): (.*)$/.exec(rest)!;
        cases.push({ name: m[1], input, error: { line: Number(e[1]), reason: e[2] }, state: null });
      }
      continue;
    }
    if (/^\s+OK\s/.test(next)) {
      const st = /^\s+state: (.*)$/.exec(lines[i + 2] ?? "");
      cases.push({ name: m[1], input, error: null, state: st ? JSON.parse(st[1]) : {} });
    }
  }
  return cases;
}
