/**
 * The README's TypeScript examples type-check against the real API. Blocks that continue a
 * section (using `system` or `web` from an earlier block) get those names declared.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

function prelude(block: string): string {
  let pre = 'import type { Job as __Job, System as __System } from "@upstart/upstart";\n';
  if (!/\b(const|let)\s+system\b|using system\b/.test(block)) {
    pre += "declare const system: __System;\n";
  }
  if (!/\b(const|let)\s+web\b/.test(block)) pre += "declare const web: __Job;\n";
  return pre;
}

Deno.test("every ts block of the README type-checks", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 10, `only ${blocks.length} ts blocks found`);
  const dir = await Deno.makeTempDir({ prefix: "readme-" });
  try {
    const imports = {
      "@upstart/upstart": new URL("mod.ts", ROOT).href,
      "@upstart/upstart/dbus": new URL("ffi/mod.ts", ROOT).href,
      "@upstart/upstart/cli": new URL("cli.ts", ROOT).href,
      "@upstart/upstart/sandbox": new URL("src/sandbox/mod.ts", ROOT).href,
    };
    await Deno.writeTextFile(`${dir}/deno.json`, JSON.stringify({ imports }));
    const files = blocks.map((_, i) => `${dir}/block${String(i).padStart(2, "0")}.ts`);
    await Promise.all(
      blocks.map((b, i) => Deno.writeTextFile(files[i], prelude(b) + b + "\nexport {};\n")),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--quiet", "--config", `${dir}/deno.json`, ...files],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
