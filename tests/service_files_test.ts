/**
 * HostFiles on this machine and over a stand-in ssh that runs the far-side command here (the
 * same scripts a real host runs): reads, stats, listings, atomic writes keeping the mode, removes,
 * and hostile cases (symlinks, names with newlines and quotes, huge files, ssh failures).
 */
import assert from "node:assert/strict";
import { writeFakeSsh } from "./support/fake_ssh.ts";
import {
  type HostFiles,
  HostFilesError,
  localFiles,
  MAX_HOST_FILE_BYTES,
  remoteFiles,
} from "../mod.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function withFiles(fn: (files: HostFiles, dir: string, ssh: string) => Promise<void>) {
  for (const remote of [false, true]) {
    const dir = await Deno.makeTempDir({ prefix: "host-files-" });
    try {
      const ssh = await writeFakeSsh(dir);
      const files = remote ? remoteFiles({ host: "web1", sshCommand: ssh }) : localFiles();
      await fn(files, dir, ssh);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}

Deno.test("read, stat, list, writeAtomic and remove, here and over ssh", async () => {
  await withFiles(async (files, dir) => {
    const path = `${dir}/a.conf`;
    assert.equal(await files.read(path), null);
    assert.equal(await files.stat(path), null);
    assert.equal(await files.remove(path), false);
    await files.writeAtomic(path, enc.encode("exec true\n"));
    assert.equal(dec.decode((await files.read(path))!), "exec true\n");
    const st = await files.stat(path);
    assert.equal(st?.size, 10);
    assert.equal(st?.isFile, true);
    assert.ok(Math.abs(st!.mtimeMs - Date.now()) < 60_000);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o644);
    // The mode is kept on a rewrite, or set when given.
    await Deno.chmod(path, 0o600);
    await files.writeAtomic(path, enc.encode("exec false\n"));
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    await files.writeAtomic(path, enc.encode(""), { mode: 0o640 });
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
    assert.deepEqual(await files.read(path), new Uint8Array());
    assert.equal((await files.stat(dir))?.isFile, false);
    assert.deepEqual(await files.list(dir), [".fake-ssh", "a.conf"]);
    assert.equal(await files.list(`${dir}/nope`), null);
    assert.equal(await files.remove(path), true);
    assert.deepEqual(await files.list(dir), [".fake-ssh"]);
  });
});

Deno.test("hostile names: quotes, newlines, $(...), leading dashes; binary content", async () => {
  await withFiles(async (files, dir) => {
    const names = ["it's $(touch pwned).conf", "new\nline.conf", "-rf.conf", "`x` \\ ;.conf"];
    const bytes = new Uint8Array(256).map((_, i) => i);
    for (const n of names) await files.writeAtomic(`${dir}/${n}`, bytes);
    assert.deepEqual((await files.list(dir))!.filter((n) => n.endsWith(".conf")), names.sort());
    for (const n of names) assert.deepEqual(await files.read(`${dir}/${n}`), bytes);
    await assert.rejects(Deno.stat(`${dir}/pwned`), Deno.errors.NotFound);
    for (const n of names) assert.equal(await files.remove(`${dir}/${n}`), true);
    await assert.rejects(files.read("relative/path"), TypeError);
    await assert.rejects(files.read(`${dir}/a\0b`), TypeError);
    await assert.rejects(files.writeAtomic(`${dir}/x`, bytes, { mode: 0o10000 }), RangeError);
  });
});

Deno.test("symlinks: read and stat follow them; a write replaces the link, never its target", async () => {
  await withFiles(async (files, dir) => {
    const outside = await Deno.makeTempFile();
    try {
      await Deno.writeTextFile(outside, "secret\n");
      await Deno.symlink(outside, `${dir}/link.conf`);
      assert.equal(dec.decode((await files.read(`${dir}/link.conf`))!), "secret\n");
      assert.equal((await files.stat(`${dir}/link.conf`))?.isFile, true);
      await files.writeAtomic(`${dir}/link.conf`, enc.encode("exec true\n"));
      assert.equal(await Deno.readTextFile(outside), "secret\n");
      assert.equal((await Deno.lstat(`${dir}/link.conf`)).isSymlink, false);
      // A dangling link reads as missing.
      await Deno.symlink(`${dir}/none`, `${dir}/dangling.conf`);
      assert.equal(await files.read(`${dir}/dangling.conf`), null);
      assert.equal(await files.remove(`${dir}/dangling.conf`), true);
    } finally {
      await Deno.remove(outside);
    }
  });
});

Deno.test("a file over the limit is refused, never read whole", async () => {
  await withFiles(async (files, dir) => {
    const path = `${dir}/huge.log`;
    const f = await Deno.open(path, { write: true, create: true });
    await f.truncate(MAX_HOST_FILE_BYTES + 10); // sparse: no disk used
    f.close();
    await assert.rejects(files.read(path), RangeError);
    assert.equal((await files.stat(path))?.size, MAX_HOST_FILE_BYTES + 10);
  });
});

Deno.test("writes, here and over ssh, refuse a directory other users may write to", async () => {
  await withFiles(async (files, dir) => {
    const open = `${dir}/open`;
    await Deno.mkdir(open);
    await Deno.chmod(open, 0o777);
    await assert.rejects(
      files.writeAtomic(`${open}/a.conf`, enc.encode("x")),
      /writable by other users|others may write to it/,
    );
    assert.deepEqual([...Deno.readDirSync(open)], []);
  });
});

Deno.test("a write to a path that is a directory fails, and leaves nothing inside it", async () => {
  await withFiles(async (files, dir) => {
    await Deno.mkdir(`${dir}/job.conf`);
    await assert.rejects(files.writeAtomic(`${dir}/job.conf`, enc.encode("x")));
    assert.deepEqual([...Deno.readDirSync(`${dir}/job.conf`)], []);
  });
});

Deno.test("over ssh, an aborted signal stops the ssh and rejects with its reason", async () => {
  const dir = await Deno.makeTempDir({ prefix: "host-files-" });
  try {
    const ssh = await writeFakeSsh(dir);
    const why = new Error("time is up");
    const files = remoteFiles({ host: "hang1", sshCommand: ssh, signal: AbortSignal.timeout(300) });
    const started = Date.now();
    await assert.rejects(files.read(`${dir}/x`), (e) => e instanceof DOMException || e === why);
    assert.ok(Date.now() - started < 5000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ssh failures are typed errors naming the host and ssh's last line", async () => {
  await withFiles(async (_files, dir, ssh) => {
    const down = remoteFiles({ host: "down1", sshCommand: ssh });
    await assert.rejects(down.read(`${dir}/a.conf`), HostFilesError);
    try {
      await down.stat(`${dir}/a.conf`);
      assert.fail("no error");
    } catch (err) {
      assert.ok(err instanceof HostFilesError);
      assert.equal(err.host, "down1");
      assert.equal(
        err.message,
        `down1: cannot stat ${dir}/a.conf: ssh: connect to host down1 port 22: Connection refused`,
      );
    }
    // A missing ssh program, and a far-side failure (writing into a missing directory).
    const none = remoteFiles({ host: "web1", sshCommand: `${dir}/no-ssh` });
    await assert.rejects(none.list(dir), /web1: cannot list .*: cannot run/);
    const up = remoteFiles({ host: "web1", sshCommand: ssh });
    await assert.rejects(up.writeAtomic(`${dir}/missing/a.conf`, enc.encode("x")), HostFilesError);
    // sudo -n goes in front of the far-side shell (here sudo is absent or asks: an error either way,
    // unless passwordless sudo works, when the read succeeds).
    const sudo = remoteFiles({ host: "web1", sshCommand: ssh, sudo: true });
    await Deno.writeTextFile(`${dir}/s.conf`, "x");
    try {
      assert.equal(dec.decode((await sudo.read(`${dir}/s.conf`))!), "x");
    } catch (err) {
      assert.ok(err instanceof HostFilesError, String(err));
      assert.match(err.message, /^web1: cannot read /);
    }
    assert.throws(() => remoteFiles({ host: "-oProxyCommand=x" }), TypeError);
    assert.throws(() => remoteFiles({ host: "a b" }), TypeError);
  });
});

Deno.test("over ssh, a write cut short installs nothing; a link to a directory is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "host-files-" });
  try {
    const ssh = await writeFakeSsh(dir);
    const short = remoteFiles({ host: "short1", sshCommand: ssh });
    await assert.rejects(
      short.writeAtomic(`${dir}/job.conf`, enc.encode("exec something long\n")),
      /short write: 5 of 20 bytes arrived/,
    );
    await assert.rejects(Deno.stat(`${dir}/job.conf`), Deno.errors.NotFound);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [".fake-ssh"]);
    const files = remoteFiles({ host: "web1", sshCommand: ssh });
    await Deno.mkdir(`${dir}/target`);
    await Deno.symlink(`${dir}/target`, `${dir}/linked.conf`);
    await assert.rejects(
      files.writeAtomic(`${dir}/linked.conf`, enc.encode("x")),
      /is a directory/,
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/target`)], []);
    // A directory read as a range is an error, not an empty file.
    await assert.rejects(files.readRange(`${dir}/target`, 0, 10), /is a directory/);
    // A directory reached through a symlink is judged by what it is.
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink(`${dir}/real`, `${dir}/via`);
    await files.writeAtomic(`${dir}/via/a.conf`, enc.encode("exec a\n"));
    assert.equal(await Deno.readTextFile(`${dir}/real/a.conf`), "exec a\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
