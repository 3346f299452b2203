/**
 * Jobs and events as a Graphviz DOT graph, like Upstart's `initctl2dot`:
 * jobs are boxes, events diamonds; an event points at the jobs it starts
 * (green) or stops (red), a job at the events it emits (dashed), and a job
 * event (`started db`) is drawn from the job it names.
 *
 * @module
 */

import { JOB_EVENTS, jobNameOf } from "./job_events.ts";

/** What the graph needs about a job. */
export interface GraphJob {
  /** The job name. */
  readonly name: string;
  /** `emits` events. */
  readonly emits: readonly string[];
  /** `start on`, as Upstart publishes it (postfix `aas`). */
  readonly startOn: readonly (readonly string[])[];
  /** `stop on`, likewise. */
  readonly stopOn: readonly (readonly string[])[];
}

function quote(id: string): string {
  return `"${id.replace(/["\\]/g, "\\$&").replace(/\n/g, "\\n")}"`;
}

/** The job a job event names (`started db`, `started JOB=db`), as initctl reads it. */
function namedJob(operand: readonly string[]): string | null {
  if (!JOB_EVENTS.includes(operand[0])) return null;
  for (const [i, arg] of operand.slice(1).entries()) {
    const job = jobNameOf(i, arg);
    if (job !== null) return job;
  }
  return null;
}

/**
 * Draws the jobs as a DOT digraph.
 *
 * @param jobs The jobs.
 * @param options `only`: keep these jobs and what they touch directly.
 * @returns The DOT text.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphDot } from "./graph.ts";
 * const dot = graphDot([{ name: "web", emits: [], startOn: [["net-up"]], stopOn: [] }]);
 * assert.match(dot, /^digraph upstart \{/);
 * assert.match(dot, /"event:net-up" -> "job:web" \[.*label="start on net-up"\]/);
 * ```
 */
export function graphDot(
  jobs: readonly GraphJob[],
  options: { readonly only?: readonly string[] } = {},
): string {
  const nodes = new Map<string, string>();
  const edges: { from: string; to: string; attrs: string; job: string; other: string }[] = [];
  const job = (n: string) => {
    const id = `job:${n}`;
    nodes.set(
      id,
      `${quote(id)} [label=${quote(n)}, shape=box, style=filled, fillcolor=lightyellow];`,
    );
    return id;
  };
  const event = (n: string) => {
    const id = `event:${n}`;
    nodes.set(
      id,
      `${quote(id)} [label=${quote(n)}, shape=diamond, style=filled, fillcolor=lightblue];`,
    );
    return id;
  };
  for (const j of jobs) job(j.name);
  for (const j of jobs) {
    const self = `job:${j.name}`;
    for (const e of j.emits) {
      edges.push({
        from: self,
        to: event(e),
        attrs: 'style=dashed, label="emits"',
        job: j.name,
        other: e,
      });
    }
    for (const [aas, colour] of [[j.startOn, "darkgreen"], [j.stopOn, "red"]] as const) {
      for (const operand of aas) {
        const name = operand[0];
        if (name === undefined || name === "/AND" || name === "/OR") continue;
        const from = namedJob(operand);
        const label = [
          name,
          ...operand.slice(1).filter((a) => a !== from && a !== `JOB=${from}`),
        ].join(" ");
        edges.push({
          from: from === null ? event(name) : job(from),
          to: self,
          attrs: `color=${colour}, label=${
            quote(`${colour === "red" ? "stop on" : "start on"} ${label}`)
          }`,
          job: j.name,
          other: from ?? name,
        });
      }
    }
  }
  let keep = edges;
  let keepNodes = [...nodes.keys()];
  if (options.only) {
    const wanted = new Set(options.only);
    keep = edges.filter((e) =>
      wanted.has(e.job) || wanted.has(e.other) && e.from.startsWith("job:")
    );
    const used = new Set([
      ...options.only.map((n) => `job:${n}`),
      ...keep.flatMap((e) => [e.from, e.to]),
    ]);
    keepNodes = keepNodes.filter((n) => used.has(n));
  }
  return [
    "digraph upstart {",
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=8];',
    ...keepNodes.map((n) => "  " + nodes.get(n)),
    ...keep.map((e) => `  ${quote(e.from)} -> ${quote(e.to)} [${e.attrs}];`),
    "}",
    "",
  ].join("\n");
}
