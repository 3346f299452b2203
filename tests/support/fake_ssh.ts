/**
 * A stand-in for ssh that runs the far-side command here (for tests without an sshd). It skips
 * ssh's options (recording `-p`, `-i`, `-o`, `-F`, `-l` with their values), takes the host, then
 * the command, as ssh would; given a log file, it appends `HOST OPTIONS` to it.
 * Hosts named for a failure fail that way:
 *
 * - `*down*`: ssh cannot connect (its own message, status 255);
 * - `*nokey*`: the key is refused (255);
 * - `*nosudo*`: sudo wants a password;
 * - `*nobridge*`: no socat or python on the host (127);
 * - `*hang*`: never answers (`sleep 61.7`, a duration no other test uses);
 * - `*short*`: the connection ends after 5 bytes of input (an ssh cut short mid-write).
 *
 * @module
 */

import { startSandbox, type TestSandbox } from "./sandbox.ts";
import { busSocketPath } from "./sshd.ts";

const FAKE_SSH = `#!/bin/sh
opts=
while :; do
  case "$1" in
    -p|-i|-o|-F|-l) opts="$opts $1 $2"; shift 2;;
    -*) shift;;
    *) break;;
  esac
done
host="$1"; shift
[ -n "$FAKE_SSH_LOG" ] && echo "$host$opts" >>"$FAKE_SSH_LOG"
case "$host" in
  *down*) echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255;;
  *nokey*) echo "$host: Permission denied (publickey)." >&2; exit 255;;
  *nosudo*) echo "sudo: a password is required" >&2; exit 1;;
  *nobridge*) echo "upstart bridge: none of socat, python3, python found on $host" >&2; exit 127;;
  *hang*) exec sleep 61.7;;
  *short*) head -c 5 | sh -c "$1"; exit;;
esac
exec sh -c "$1"
`;

/**
 * Writes the stand-in into `dir` (hidden, executable) and returns its path; with `log`, each run
 * appends its host and options there (a file of this stand-in's own: tests run side by side).
 */
export async function writeFakeSsh(dir: string, log?: string): Promise<string> {
  const path = `${dir}/.fake-ssh`;
  const logLine = log === undefined ? "" : `FAKE_SSH_LOG='${log.replaceAll("'", `'\\''`)}'\n`;
  await Deno.writeTextFile(path, FAKE_SSH.replace("\n", "\n" + logLine));
  await Deno.chmod(path, 0o755);
  return path;
}

/** A sandbox and the stand-in ssh reaching it: what `-H` tests without an sshd run against. */
export interface FakeFleet extends AsyncDisposable {
  /** The sandbox. */
  readonly sb: TestSandbox;
  /** A temp dir of the test's own (the stand-in is in it). */
  readonly dir: string;
  /** The stand-in ssh. */
  readonly ssh: string;
  /** The sandbox's bus socket, as the far side reaches it. */
  readonly socket: string;
  /** `--ssh-command SSH --remote-socket SOCKET`. */
  readonly args: string[];
}

/** Starts a sandbox with `jobs` and writes the stand-in ssh that reaches it. */
export async function fakeFleet(jobs: Record<string, string>): Promise<FakeFleet> {
  const sb = await startSandbox({ jobs });
  const dir = await Deno.makeTempDir({ prefix: "upstart-fleet-" });
  const ssh = await writeFakeSsh(dir);
  const socket = busSocketPath(sb.address);
  return {
    sb,
    dir,
    ssh,
    socket,
    args: ["--ssh-command", ssh, "--remote-socket", socket],
    async [Symbol.asyncDispose]() {
      await sb.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
