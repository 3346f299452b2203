/** Connecting when Upstart is absent: the error says what was tried (real bus daemon, real sockets). */
import assert from "node:assert/strict";
import { startBus } from "./support/bus.ts";
import { System } from "../src/system.ts";
import { UpstartNotRunningError } from "../src/errors.ts";

Deno.test("a bus without com.ubuntu.Upstart: UpstartNotRunningError names the bus and the name", async () => {
  await using bus = await startBus();
  const e = await assert.rejects(() => System.connect({ address: bus.address }), (e: unknown) => {
    assert.ok(e instanceof UpstartNotRunningError);
    assert.equal(e.tried.length, 1 + 1); // as a bus, then as a peer
    assert.match(e.tried[0].reason, /no owner of com\.ubuntu\.Upstart/);
    assert.match(
      e.message,
      new RegExp(`the address ${bus.address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    return true;
  });
  void e;
});

Deno.test("a custom dest is what is looked for", async () => {
  await using bus = await startBus();
  await assert.rejects(
    () => System.connect({ address: bus.address, peer: false, dest: "org.example.Init" }),
    /no owner of org\.example\.Init/,
  );
});

Deno.test("a refused socket: UpstartNotRunningError carries libdbus's reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => System.connect({ address: `unix:path=${dir}/none`, peer: true }),
      (e: unknown) => {
        assert.ok(e instanceof UpstartNotRunningError);
        assert.equal(e.tried.length, 1);
        assert.match(e.message, /No such file or directory|Failed to connect/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the private socket, when nothing listens there, is reported as such", async () => {
  await assert.rejects(
    () => System.connect({ bus: "private" }),
    (e: unknown) => {
      assert.ok(e instanceof UpstartNotRunningError);
      assert.match(e.message, /the private socket unix:abstract=\/com\/ubuntu\/upstart: /);
      return true;
    },
  );
});

Deno.test("bad connect options are TypeErrors before anything is tried", async () => {
  await assert.rejects(() => System.connect({ bus: "system", host: "h" }), TypeError);
  await assert.rejects(() => System.connect({ dest: "" }), TypeError);
  await assert.rejects(() => System.connect({ host: "-oProxyCommand=x" }), TypeError);
});

Deno.test("a negative or NaN connection timeout is refused before connecting", async () => {
  for (const timeout of [-1, NaN]) {
    await assert.rejects(
      () => System.connect({ address: "unix:path=/nonexistent", timeout }),
      (e) => e instanceof RangeError && /Invalid timeout/.test(e.message),
    );
  }
});
