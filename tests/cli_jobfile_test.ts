import assert from "node:assert/strict";
import { cli } from "./support/cli_io.ts";
import { SHARED } from "./support/shared.ts";

Deno.test("check reports Upstart's FILE:LINE: REASON and exits 1", async () => {
  const files = { "good.conf": "exec /bin/true\n", "bad.conf": "exec /bin/true\nbogus\n" };
  const bad = await cli(["check", "good.conf", "bad.conf"], {}, files);
  assert.equal(bad.code, 1);
  assert.equal(bad.err, "bad.conf:2: Unknown stanza\n");
  const ok = await cli(["check", "good.conf"], {}, files);
  assert.equal(ok.code, 0);
  assert.equal(ok.err, "");
});

Deno.test("parse --json prints the typed configuration", async () => {
  const files = {
    "web.conf": 'description "web"\nstart on runlevel [2345]\nrespawn\nexec /usr/bin/web\n',
  };
  const run = await cli(["parse", "--json", "web.conf"], {}, files);
  assert.equal(run.code, 0);
  const config = JSON.parse(run.out);
  assert.equal(config.description, "web");
  assert.equal(config.respawn, true);
  assert.deepEqual(config.processes.main, { kind: "exec", command: "/usr/bin/web" });
  assert.equal(config.startOn.name, "runlevel");
});

Deno.test("usage errors exit 2 for our own commands; --help exits 0", async () => {
  assert.equal((await cli(["check"])).code, 2);
  const help = await cli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage:/);
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
