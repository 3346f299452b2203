/**
 * The layers hold: imports only go down `ffi/` → `src/` (the job-file layer on its own) →
 * `src/sandbox/` → `src/cli/` and `cli.ts`, and no module is part of a runtime import cycle.
 * Imports are read from the source text of every module (type-only imports count for the
 * layers, not for cycles: they are erased before anything runs).
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** One import of a module. */
interface Edge {
  /** The imported module, relative to the project root (`src/system.ts`). */
  readonly to: string;
  /** Erased before running: `import type`, `export type`, or only `type` specifiers. */
  readonly typeOnly: boolean;
  /** An `import("...")` expression. */
  readonly dynamic: boolean;
}

/** Comments hold example imports that are not the module's own: drop them, keep line breaks. */
function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, " "))
    .replace(/^\s*\/\/.*$/gm, "");
}

/** Whether every specifier of `{ a, type B }` is a type (the statement is erased). */
function onlyTypes(clause: string): boolean {
  const braces = /^\{([\s\S]*)\}$/.exec(clause.trim());
  if (!braces) return false;
  const names = braces[1].split(",").map((s) => s.trim()).filter((s) => s !== "");
  return names.length > 0 && names.every((n) => n.startsWith("type "));
}

/**
 * The local imports of a module.
 *
 * @param from The module's path relative to the root.
 * @param text Its source.
 */
export function importsOf(from: string, text: string): Edge[] {
  const code = stripComments(text);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean, dynamic: boolean) => {
    if (!spec.startsWith(".")) return; // node:, jsr:, npm: or a URL: not a layer of ours
    const to = new URL(spec, new URL(from, "file:///")).pathname.slice(1);
    edges.push({ to, typeOnly, dynamic });
  };
  const statement = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*"([^"]+)"/gm;
  for (const m of code.matchAll(statement)) {
    add(m[4], m[2] !== undefined || onlyTypes(m[3]), false);
  }
  for (const m of code.matchAll(/^\s*import\s+"([^"]+)"/gm)) add(m[1], false, false);
  for (const m of code.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g)) add(m[1], false, true);
  return edges;
}

/** The layer of a module, lowest first; a module may import its own layer and those below. */
function layerOf(path: string): { name: string; rank: number } {
  if (path === "deno.json") return { name: "manifest", rank: -1 }; // the CLI's version
  if (path.startsWith("ffi/")) return { name: "ffi", rank: 0 };
  if (path.startsWith("src/jobfile/")) return { name: "jobfile", rank: 0 };
  if (path.startsWith("src/sandbox/")) return { name: "sandbox", rank: 2 };
  if (path.startsWith("src/cli/") || path === "cli.ts") return { name: "cli", rank: 3 };
  if (path.startsWith("src/") || path === "mod.ts") return { name: "library", rank: 1 };
  return { name: "other", rank: 9 };
}

/** The job-file layer needs no FFI, the binding nothing of Upstart: neither imports the other. */
function allowed(from: string, to: string): boolean {
  const a = layerOf(from), b = layerOf(to);
  if (a.rank === 0) return a.name === b.name;
  return b.rank <= a.rank;
}

/** Every import that goes up a layer, as `from -> to`. */
export function upwardImports(graph: Map<string, Edge[]>): string[] {
  const out: string[] = [];
  for (const [from, edges] of graph) {
    for (const e of edges) {
      if (!allowed(from, e.to)) out.push(`${from} -> ${e.to}`);
    }
  }
  return out;
}

/** The runtime import cycles (type-only imports left out), each as its modules in order. */
export function runtimeCycles(graph: Map<string, Edge[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const e of graph.get(node) ?? []) {
      if (e.typeOnly) continue;
      const s = state.get(e.to);
      if (s === "open") cycles.push([...stack.slice(stack.indexOf(e.to)), e.to]);
      else if (s === undefined) visit(e.to);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

/** Every module of the package (not tests, benchmarks or examples) and its imports. */
async function projectGraph(): Promise<Map<string, Edge[]>> {
  const graph = new Map<string, Edge[]>();
  const read = async (path: string) => {
    graph.set(path, importsOf(path, await Deno.readTextFile(new URL(path, ROOT))));
  };
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(new URL(dir, ROOT))) {
      if (e.isDirectory) await walk(`${dir}${e.name}/`);
      else if (e.name.endsWith(".ts")) await read(`${dir}${e.name}`);
    }
  };
  await walk("ffi/");
  await walk("src/");
  await read("mod.ts");
  await read("cli.ts");
  return graph;
}

Deno.test("no module imports a layer above its own", async () => {
  const graph = await projectGraph();
  assert.ok(graph.size > 50, `only ${graph.size} modules found`);
  assert.ok(graph.get("src/system.ts")!.some((e) => e.to === "ffi/mod.ts"), "imports are read");
  assert.deepEqual(upwardImports(graph), []);
});

Deno.test("no runtime import cycle", async () => {
  assert.deepEqual(runtimeCycles(await projectGraph()), []);
});

Deno.test("the CLI loads the sandbox only on demand (a dynamic import in the sandbox command)", async () => {
  const graph = await projectGraph();
  const intoSandbox = [...graph].flatMap(([from, edges]) =>
    edges.filter((e) => e.to.startsWith("src/sandbox/") && !from.startsWith("src/sandbox/"))
      .map((e) => ({ from, ...e }))
  );
  assert.deepEqual(intoSandbox, [{
    from: "src/cli/commands/sandbox.ts",
    to: "src/sandbox/main.ts",
    typeOnly: false,
    dynamic: true,
  }]);
});

Deno.test("the checker catches upward imports and runtime cycles, not comments or types", () => {
  const graph = (files: Record<string, string>) =>
    new Map(Object.entries(files).map(([p, t]) => [p, importsOf(p, t)]));
  // Upward: the binding reaching Upstart, the library reaching the CLI and the sandbox.
  assert.deepEqual(
    upwardImports(graph({
      "ffi/a.ts": 'import { System } from "../src/system.ts";\n',
      "src/b.ts": 'export { main } from "./cli/main.ts";\nimport "./sandbox/mod.ts";\n',
      "src/jobfile/c.ts": 'import type { Connection } from "../../ffi/mod.ts";\n',
      "mod.ts": 'const m = await import("./src/sandbox/mod.ts");\n',
    })).sort(),
    [
      "ffi/a.ts -> src/system.ts",
      "mod.ts -> src/sandbox/mod.ts",
      "src/b.ts -> src/cli/main.ts",
      "src/b.ts -> src/sandbox/mod.ts",
      "src/jobfile/c.ts -> ffi/mod.ts", // even a type: the job-file layer knows no FFI
    ],
  );
  // Downward imports and examples in comments are fine.
  assert.deepEqual(
    upwardImports(graph({
      "src/cli/x.ts": 'import { System } from "../system.ts";\nimport "../../ffi/mod.ts";\n',
      "src/y.ts": '/**\n * ```ts\n * import { main } from "./cli/main.ts";\n * ```\n */\n' +
        '// import "./sandbox/mod.ts";\nimport {\n  a,\n  b,\n} from "../ffi/mod.ts";\n',
    })),
    [],
  );
  // A cycle through three modules, found once with its path; a type-only way back is none.
  assert.deepEqual(
    runtimeCycles(graph({
      "src/a.ts": 'import { b } from "./b.ts";\n',
      "src/b.ts": 'import { c } from "./c.ts";\n',
      "src/c.ts": 'import { a } from "./a.ts";\n',
      "src/d.ts": 'import { e } from "./e.ts";\n',
      "src/e.ts": 'import type { D } from "./d.ts";\nimport { type F, type G } from "./d.ts";\n',
    })),
    [["src/a.ts", "src/b.ts", "src/c.ts", "src/a.ts"]],
  );
  // A mixed import (`{ type A, b }`) still runs.
  assert.deepEqual(
    runtimeCycles(graph({
      "src/a.ts": 'import { type B, b } from "./b.ts";\n',
      "src/b.ts": 'export { a } from "./a.ts";\n',
    })),
    [["src/a.ts", "src/b.ts", "src/a.ts"]],
  );
});
