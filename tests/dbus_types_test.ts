import assert from "node:assert/strict";
import { Connection, TimeoutError, Variant } from "../ffi/mod.ts";
import { startBus } from "./support/bus.ts";

/** Values for every type, nested; each must come back equal through both echo services. */
const CASES: [string, unknown[]][] = [
  ["y", [0]],
  ["y", [255]],
  ["b", [true]],
  ["b", [false]],
  ["n", [-32768]],
  ["q", [65535]],
  ["i", [-2147483648]],
  ["u", [4294967295]],
  ["x", [-(2n ** 63n)]],
  ["t", [2n ** 64n - 1n]],
  ["d", [3.141592653589793]],
  ["d", [-0.5]],
  ["s", [""]],
  ["s", ["héllo wörld ✓ 𝄞"]],
  ["o", ["/com/ubuntu/Upstart/jobs/my_2djob/_"]],
  ["g", ["a{sv}(ii)"]],
  ["as", [["a", "b", "c"]]],
  ["as", [[]]],
  ["ay", [[1, 2, 3, 255]]],
  ["aas", [[["runlevel", "[2345]"], ["/AND"]]]],
  ["a(si)", [[["main", 812], ["pre-start", 9]]]],
  ["a{sv}", [
    new Map<string, Variant>([["port", new Variant("q", 80)], ["name", new Variant("s", "web")]]),
  ]],
  ["a{ia{sas}}", [new Map([[1, new Map([["k", ["v"]]])]])]],
  ["a{ob}", [new Map([["/a", true], ["/b", false]])]],
  ["v", [new Variant("v", new Variant("as", ["deep"]))]],
  ["(ybnqiuxtdsog)", [[1, true, -2, 3, -4, 5, -6n, 7n, 8.5, "s", "/o", "g"]]],
  ["sasb", ["cron", ["A=1", "B=2"], true]],
  ["aaaai", [[[[[1, 2]], [[3]]]]]],
];

function normalise(v: unknown): unknown {
  if (v instanceof Variant) return { v: v.signature, value: normalise(v.value) };
  if (v instanceof Map) return [...v].map(([k, x]) => [k, normalise(x)]);
  if (Array.isArray(v)) return v.map(normalise);
  return v;
}

async function withEcho(fn: (client: Connection, dest: string) => Promise<void>) {
  await using bus = await startBus();
  const echo = new Deno.Command("/usr/bin/python3", {
    args: [
      new URL("./support/echo_service.py", import.meta.url).pathname,
      bus.address,
      "org.upstart.test.PyEcho",
    ],
    stdout: "piped",
  }).spawn();
  try {
    const reader = echo.stdout.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /READY/);
    reader.releaseLock();
    await using server = await Connection.open(bus.address);
    await server.requestName("org.upstart.test.TsEcho");
    server.exportSubtree("/org/upstart/test/Echo", () => [{
      name: "org.upstart.test.Echo",
      methods: Object.fromEntries(
        CASES.map((
          [sig],
          i,
        ) => [`Echo${i}`, { in: sig, out: sig, handler: (args: unknown[]) => args }]),
      ),
    }]);
    await using client = await Connection.open(bus.address);
    await fn(client, "org.upstart.test.PyEcho");
    await fn(client, "org.upstart.test.TsEcho");
  } finally {
    echo.kill();
    await echo.status;
    await echo.stdout.cancel().catch(() => {});
  }
}

Deno.test("every type round-trips through python3-dbus and through our own serving side", async () => {
  await withEcho(async (client, destination) => {
    for (const [i, [signature, body]] of CASES.entries()) {
      const reply = await client.call({
        destination,
        path: "/org/upstart/test/Echo",
        interface: "org.upstart.test.Echo",
        member: `Echo${i}`,
        signature,
        body,
      });
      assert.deepEqual(normalise(reply), normalise(body), `${destination}: ${signature}`);
    }
  });
});

Deno.test("a plain object is accepted for a dict", async () => {
  await withEcho(async (client, destination) => {
    const [m] = await client.call({
      destination,
      path: "/org/upstart/test/Echo",
      interface: "org.upstart.test.Echo",
      member: "Echo21",
      signature: "a{sv}",
      body: [{ port: new Variant("q", 80) }],
    });
    assert.ok(m instanceof Map);
    assert.equal((m.get("port") as Variant).value, 80);
  });
});

Deno.test("a peer replying with an unexpected signature, or never, is reported", async () => {
  await withEcho(async (client, destination) => {
    if (destination !== "org.upstart.test.PyEcho") return;
    const target = {
      destination,
      path: "/org/upstart/test/Echo",
      interface: "org.upstart.test.Echo",
    };
    assert.deepEqual(
      await client.call({ ...target, member: "WrongSignature", signature: "s", body: ["x"] }),
      [42],
    );
    await assert.rejects(client.call({ ...target, member: "Silent", timeout: 100 }), TimeoutError);
  });
});

Deno.test("bad values are TypeErrors or RangeErrors that say where, and nothing is sent", async () => {
  await using bus = await startBus();
  await using conn = await Connection.open(bus.address);
  const call = (signature: string, body: unknown[]) =>
    conn.call({
      destination: "org.freedesktop.DBus",
      path: "/",
      interface: "org.x.Y",
      member: "Z",
      signature,
      body,
    });
  const cases: [string, unknown[], RegExp, typeof TypeError | typeof RangeError][] = [
    ["a{sv}", [{ port: 80 }], /arg 0: a\{sv\}\["port"\]: expected a Variant/, TypeError],
    ["(si)", [["a", 2 ** 32]], /arg 0: \(si\)\[1\]: 4294967296 is out of range for i/, RangeError],
    ["i", [1.5], /expected an integer/, TypeError],
    ["i", [NaN], /expected an integer/, TypeError],
    ["y", [256], /out of range for y/, RangeError],
    ["t", [-1n], /out of range for t/, RangeError],
    ["s", ["a\0b"], /NUL/, TypeError],
    ["s", ["\ud800"], /lone surrogate/, TypeError],
    ["o", ["/bad/"], /invalid object path/, TypeError],
    ["g", ["a{vs}"], /dict key must be a basic type/, TypeError],
    ["v", ["x"], /expected a Variant/, TypeError],
    ["(ss)", [["a"]], /a struct of 2/, TypeError],
    ["b", [1], /expected a boolean/, TypeError],
    ["s", [], /needs 1 value/, TypeError],
    ["a{", [[]], /Invalid signature/, TypeError],
  ];
  for (const [signature, body, message, type] of cases) {
    await assert.rejects(
      call(signature, body),
      (e: unknown) => e instanceof type && message.test((e as Error).message),
      signature,
    );
  }
  assert.throws(() => new Variant("ss", "x"), TypeError);
  await assert.rejects(conn.call({ path: "no-slash", member: "X" }), /Invalid object path/);
  await assert.rejects(conn.call({ path: "/", member: "a.b" }), /Invalid member name/);
  await assert.rejects(
    conn.call({ path: "/", interface: "nodots", member: "X" }),
    /Invalid interface name/,
  );
  await assert.rejects(
    conn.call({ destination: "bad..name", path: "/", member: "X" }),
    /Invalid bus name/,
  );
  // The connection is still healthy.
  const [id] = await conn.call({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "GetId",
  });
  assert.equal(typeof id, "string");
});
