/**
 * A fresh Deno process running a few lines that use the binding: the module body `code` (with
 * `Connection` imported from `ffi/mod.ts`), written to a temp file removed on dispose.
 *
 * @module
 */

const FFI = new URL("../../ffi/mod.ts", import.meta.url).href;

/** A running script. */
export interface Script extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
}

/**
 * Starts `code` with `args`; stdout and stderr are piped, stdin as `stdin` says; `flags` go to
 * `deno run` (e.g. `--v8-flags=--expose-gc`).
 */
export async function startScript(
  code: string,
  args: string[],
  stdin: "piped" | "null" = "null",
  flags: readonly string[] = [],
): Promise<Script> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/script.ts`;
    await Deno.writeTextFile(file, `import { Connection } from "${FFI}";\n${code}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", ...flags, file, ...args],
      stdin,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return { child, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
}
