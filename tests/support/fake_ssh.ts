/**
 * A stand-in for ssh that runs the far-side command here (for tests without an sshd): it takes
 * `-T`, then the host, then the command as ssh would, and any host whose name contains `down`
 * is unreachable, with ssh's own message and status 255.
 *
 * @module
 */

const FAKE_SSH = `#!/bin/sh
shift
host="$1"; shift
case "$host" in *down*) echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255;; esac
exec sh -c "$1"
`;

/** Writes the stand-in into `dir` (hidden, executable) and returns its path. */
export async function writeFakeSsh(dir: string): Promise<string> {
  const path = `${dir}/.fake-ssh`;
  await Deno.writeTextFile(path, FAKE_SSH);
  await Deno.chmod(path, 0o755);
  return path;
}
