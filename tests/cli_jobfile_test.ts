import assert from "node:assert/strict";
import { type CliIo, main } from "../cli.ts";
import { SHARED } from "./support/shared.ts";

function io(files: Record<string, string>) {
  const out: string[] = [];
  const err: string[] = [];
  const fake: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readFile: (p) => {
      if (!(p in files)) throw new Deno.errors.NotFound(`No such file: ${p}`);
      return new TextEncoder().encode(files[p]);
    },
  };
  return { fake, out: () => out.join(""), err: () => err.join("") };
}

Deno.test("check reports Upstart's FILE:LINE: REASON and exits 1", () => {
  const t = io({ "good.conf": "exec /bin/true\n", "bad.conf": "exec /bin/true\nbogus\n" });
  assert.equal(main(["check", "good.conf", "bad.conf"], t.fake), 1);
  assert.equal(t.err(), "bad.conf:2: Unknown stanza\n");
  const ok = io({ "good.conf": "exec /bin/true\n" });
  assert.equal(main(["check", "good.conf"], ok.fake), 0);
  assert.equal(ok.err(), "");
});

Deno.test("parse --json prints the typed configuration", () => {
  const t = io({
    "web.conf": 'description "web"\nstart on runlevel [2345]\nrespawn\nexec /usr/bin/web\n',
  });
  assert.equal(main(["parse", "--json", "web.conf"], t.fake), 0);
  const config = JSON.parse(t.out());
  assert.equal(config.description, "web");
  assert.equal(config.respawn, true);
  assert.deepEqual(config.processes.main, { kind: "exec", command: "/usr/bin/web" });
  assert.equal(config.startOn.name, "runlevel");
});

Deno.test("usage errors exit 2; --help exits 0", () => {
  const t = io({});
  assert.equal(main([], t.fake), 2);
  assert.equal(main(["check"], t.fake), 2);
  assert.equal(main(["nosuch", "x"], t.fake), 2);
  assert.equal(main(["--help"], t.fake), 0);
  assert.match(t.out(), /Usage:/);
});

Deno.test({
  name: "check agrees with Upstart's verdict on every corpus file (real subprocess)",
  ignore: SHARED === null,
  async fn() {
    const dir = new URL("corpus/jobs/", SHARED!).pathname;
    const expected = Deno.readTextFileSync(new URL("corpus/EXPECTED.jsonl", SHARED!)).trim().split(
      "\n",
    )
      .map((l) => JSON.parse(l));
    const rejected = expected.filter((e) => !e.ok);
    const files = expected.map((e) => dir + e.file);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        new URL("../cli.ts", import.meta.url).pathname,
        "check",
        ...files,
      ],
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
    assert.deepEqual(
      lines.sort(),
      rejected.map((e) =>
        /signal/.test(e.reason) && !e.line
          ? `${dir}${e.file}: Error while loading configuration file: ${e.reason}`
          : `${dir}${e.file}:${e.line}: ${e.reason}`
      ).sort(),
    );
  },
});
