/**
 * Where the shared reference material (the job-file corpus, the verification
 * log) lives: `$UPSTART_SHARED_DIR`, else `../shared` beside the checkout. Tests that need it
 * skip with a clear message when it is absent.
 */

function exists(url: URL): boolean {
  try {
    Deno.statSync(url);
    return true;
  } catch {
    return false;
  }
}

function find(): URL | null {
  const fromEnv = Deno.env.get("UPSTART_SHARED_DIR");
  const candidates = [
    ...(fromEnv ? [new URL(`file://${fromEnv.replace(/\/?$/, "/")}`)] : []),
    new URL("../../../shared/", import.meta.url),
  ];
  return candidates.find((c) => exists(new URL("corpus/", c))) ?? null;
}

/** The shared directory as a URL ending in `/`, or `null` when it cannot be found. */
export const SHARED: URL | null = find();

/** A path inside the shared directory (throws if there is none: check `SHARED` first). */
export function shared(path: string): URL {
  if (!SHARED) throw new Error("the shared reference directory was not found");
  return new URL(path, SHARED);
}
