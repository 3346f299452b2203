/**
 * Job-file parse throughput over the whole corpus (`../shared/corpus/jobs`), in MB/s after
 * warm-up, and the same for each entry of `FORMATTERS` (format throughput, over the parsed
 * documents).
 *
 * Run: `deno run -A bench/jobfile.ts`
 */

import { formatJob, type JobDocument, parseJob } from "../src/jobfile/mod.ts";
import { SHARED } from "../tests/support/shared.ts";
import { PATHOLOGICAL } from "../tests/support/pathological.ts";

/** Extra timed passes over the parsed documents, e.g. `["format", (d) => formatJob(d)]`. */
export const FORMATTERS: [string, (doc: JobDocument) => unknown][] = [
  ["format", (d) => formatJob(d)],
];

const TARGET_MBPS = 30;

function corpus(): Uint8Array[] {
  const dir = new URL("corpus/jobs/", SHARED ?? "file:///nonexistent/");
  return [...Deno.readDirSync(dir)].map((e) => Deno.readFileSync(new URL(e.name, dir)));
}

function measure(label: string, count: number, bytes: number, run: () => void): number {
  for (let i = 0; i < 20; i++) run(); // warm-up: let the JIT settle
  const rounds: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    run();
    rounds.push(performance.now() - t);
  }
  rounds.sort((a, b) => a - b);
  const median = rounds[rounds.length >> 1];
  const mbps = bytes / 1e6 / (median / 1000);
  console.log(
    `${label.padEnd(8)} ${count} files, ${(bytes / 1e6).toFixed(3)} MB: median ${
      median.toFixed(2)
    } ms/pass, ${mbps.toFixed(1)} MB/s (target ${TARGET_MBPS}, ratio ${
      (mbps / TARGET_MBPS).toFixed(2)
    })`,
  );
  return mbps;
}

if (import.meta.main) {
  const files = corpus();
  const bytes = files.reduce((n, f) => n + f.length, 0);
  measure("parse", files.length, bytes, () => {
    for (const f of files) parseJob(f, { throwOnError: false });
  });
  // Only documents Upstart accepts can be formatted; the byte count is theirs.
  const docs = files.map((f) => parseJob(f, { throwOnError: false })).filter((d) => !d.error);
  const docBytes = docs.reduce((n, d) => n + d.toBytes().length, 0);
  for (const [label, fn] of FORMATTERS) {
    measure(label, docs.length, docBytes, () => {
      for (const d of docs) fn(d);
    });
  }
}

/** Linear time: parsing 10x the input of each pathological case should take about 10x as long. */
function linearity(): void {
  const time = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      parseJob(bytes, { throwOnError: false });
      best = Math.min(best, performance.now() - t);
    }
    return best;
  };
  console.log("pathological inputs, time for 80k lines / time for 8k lines (linear: about 10):");
  for (const [label, make] of PATHOLOGICAL) {
    time(make(1000));
    const small = time(make(8000));
    const big = time(make(80000));
    console.log(
      `  ${label.padEnd(32)} ${(big / small).toFixed(1)}  (${small.toFixed(1)} ms, ${
        big.toFixed(1)
      } ms)`,
    );
  }
}

if (import.meta.main) linearity();
