/**
 * The private directory for ssh's control sockets (`--ssh-reuse`): a socket there lets anyone
 * who can open it run commands as us on the far host, so the directory must be ours alone.
 *
 * @module
 */

import { processUid } from "../ffi/mod.ts";

let cached: string | undefined;

/**
 * The directory for ssh's control sockets, created when missing: `$XDG_RUNTIME_DIR/upstart-ssh`
 * when that is set (a per-user tmpfs), else `upstart-ssh-UID` in the temporary directory (or in
 * `/tmp`, when the others are too long for a socket's path). It is
 * refused unless it is a real directory (not a symlink) owned by this user with no access for
 * anyone else: in a shared `/tmp` someone else could have made it first.
 *
 * @returns The directory's path.
 * @throws {Error} naming the directory and what is wrong with it.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sshControlDirectory } from "./ssh_control.ts";
 * const dir = sshControlDirectory();
 * assert.equal(Deno.lstatSync(dir).mode! & 0o777, 0o700); // ours alone
 * ```
 */
export function sshControlDirectory(): string {
  if (cached !== undefined) return cached;
  const uid = processUid(); // through libc: Deno.uid() would need --allow-sys
  const runtime = Deno.env.get("XDG_RUNTIME_DIR");
  const tmp = Deno.env.get("TMPDIR")?.startsWith("/") ? Deno.env.get("TMPDIR")! : "/tmp";
  const candidates = [
    ...(runtime?.startsWith("/") ? [`${runtime}/upstart-ssh`] : []),
    `${tmp}/upstart-ssh-${uid}`,
    `/tmp/upstart-ssh-${uid}`,
  ];
  // A socket's path has room for 107 bytes, and ssh makes the socket as `%C` (40 hex digits)
  // plus a temporary suffix of 17 before renaming it: a longer directory fails every connect.
  const dir = candidates.find((d) => new TextEncoder().encode(d).length + 1 + 40 + 17 <= 107);
  if (dir === undefined) {
    throw new Error(`No ssh control directory short enough for a socket among ${candidates}`);
  }
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) {
      throw new Error(`Cannot create the ssh control directory ${dir}: ${(e as Error).message}`);
    }
  }
  const info = Deno.lstatSync(dir);
  const wrong = !info.isDirectory
    ? "it is not a directory"
    : info.uid !== uid
    ? `it belongs to uid ${info.uid}, not ${uid}`
    : (info.mode! & 0o077) !== 0
    ? `its mode ${(info.mode! & 0o777).toString(8)} lets others in (expected 700)`
    : null;
  if (wrong !== null) throw new Error(`Refusing the ssh control directory ${dir}: ${wrong}`);
  return cached = dir;
}
