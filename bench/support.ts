/** Shared helpers of the benchmarks: running commands, building the C references, printing tables. */

/** Runs a command and returns its stdout; throws with its stderr when it fails. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr).trim() || text}`);
  }
  return text;
}

/**
 * Builds `bench/<source>` with gcc against libdbus-1-dev into `bench/build/<name>`,
 * installing libdbus-1-dev with apt-get when it is missing. Returns the binary's
 * path, or `null` (with a note) when it cannot be built.
 */
export async function buildC(source: string, name: string): Promise<string | null> {
  const dir = new URL("./build/", import.meta.url).pathname;
  const binary = dir + name;
  const src = new URL(`./${source}`, import.meta.url).pathname;
  await Deno.mkdir(dir, { recursive: true });
  const cflags = async () =>
    (await run("pkg-config", ["--cflags", "--libs", "dbus-1"])).trim().split(/\s+/);
  let flags: string[];
  try {
    flags = await cflags();
  } catch {
    console.error("libdbus-1-dev is missing: installing it with apt-get for the C reference");
    try {
      await run("sh", [
        "-c",
        "apt-get update -qq && apt-get install -y -qq libdbus-1-dev pkg-config",
      ]);
      flags = await cflags();
    } catch (e) {
      console.error(`C reference skipped: ${(e as Error).message}`);
      return null;
    }
  }
  await run("gcc", ["-O2", "-o", binary, src, ...flags]);
  return binary;
}

/** Prints rows as an aligned table under a title. */
export function printTable(title: string, rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`\n${title}`);
  for (const row of rows) console.log("  " + row.map((c, i) => c.padEnd(widths[i])).join("  "));
}
