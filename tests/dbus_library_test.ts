import assert from "node:assert/strict";

const script = `
import { Connection, LibraryLoadError } from "${new URL("../ffi/mod.ts", import.meta.url).href}";
import { parseJob } from "${new URL("../mod.ts", import.meta.url).href}";
parseJob("exec /bin/true\\n"); // the job-file parser needs no libdbus
try {
  await Connection.open("unix:path=/nonexistent");
} catch (e) {
  console.log(e instanceof LibraryLoadError, e.message);
}
`;

Deno.test("a missing libdbus is one clear error naming the library and its Debian package", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { DENO_LIBDBUS_PATH: "/nonexistent/libdbus-1.so.3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.match(
    text,
    /^true Cannot load \/nonexistent\/libdbus-1\.so\.3: install the Debian package libdbus-1-3/,
  );
});

Deno.test("importing mod.ts and parsing needs no --allow-ffi", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      `import { parseJob } from "${new URL("../mod.ts", import.meta.url).href}";\n` +
        `console.log(parseJob("task\\n").config.task);\n`,
    );
    // No permissions at all beyond reading the sources: dlopen would be refused.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(
      new TextDecoder().decode(out.stdout).trim(),
      "true",
      new TextDecoder().decode(out.stderr),
    );
  } finally {
    await Deno.remove(file);
  }
});
