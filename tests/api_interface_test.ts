/**
 * The declaration of Upstart's interface (src/interface.ts) against what serves it and what it
 * describes: the sandbox's `Introspect` must show exactly the declaration, and the declaration
 * must match Upstart 1.13 as `../shared/upstart/dbus-api.md` records it (skipped when the shared
 * reference directory is absent). Also: the types a call through the declaration gets.
 */
import assert from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { SHARED } from "./support/shared.ts";
import {
  type ArgDecl,
  argsSignature,
  inSignature,
  INTERFACES,
  type MethodArgs,
  type MethodReply,
  type Properties,
  type PropertyValue,
  type SignalValues,
  UPSTART_API,
  type UpstartObject,
} from "../src/interface.ts";
import { FEATURES } from "../src/versions.ts";
import { Connection, type Variant } from "../ffi/mod.ts";
import { System } from "../src/system.ts";
import { toUpstartEvent } from "../src/events.ts";
import { startBus } from "./support/bus.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";
const OBJECTS: readonly UpstartObject[] = ["manager", "job", "instance"];

/** An interface as introspection shows it, members in order. */
interface Shown {
  methods: [string, [string, string, string][]][];
  signals: [string, [string, string][]][];
  properties: [string, string, string][];
}

/** What the declaration says `Introspect` shows for `object`. */
function declared(object: UpstartObject): Shown {
  const d = INTERFACES[object];
  const args = (list: readonly ArgDecl[], dir: string) =>
    list.map(([name, type]): [string, string, string] => [name, type, dir]);
  return {
    methods: Object.entries(d.methods).map(([name, m]) => [
      name,
      [...args(m.in, "in"), ...args(m.out, "out")],
    ]),
    signals: Object.entries(d.signals).map(([name, s]) => [
      name,
      s.args.map(([n, t]): [string, string] => [n, t]),
    ]),
    properties: Object.entries(d.properties).map(([name, p]) => [name, p.type, p.access]),
  };
}

const attr = (tag: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(tag)?.[1] ?? "";

/** Parses one `<interface name="...">` block of an introspection document. */
function shown(xml: string, iface: string): Shown {
  const start = xml.indexOf(`<interface name="${iface}">`);
  assert.ok(start >= 0, `${iface} is introspected`);
  const block = xml.slice(start, xml.indexOf("</interface>", start));
  const out: Shown = { methods: [], signals: [], properties: [] };
  for (const m of block.matchAll(/<(method|signal) name="([^"]+)"(?:\/>|>([\s\S]*?)<\/\1>)/g)) {
    const argTags = [...(m[3] ?? "").matchAll(/<arg [^>]*\/>/g)].map((a) => a[0]);
    if (m[1] === "method") {
      out.methods.push([
        m[2],
        argTags.map((a) => [attr(a, "name"), attr(a, "type"), attr(a, "direction")]),
      ]);
    } else out.signals.push([m[2], argTags.map((a) => [attr(a, "name"), attr(a, "type")])]);
  }
  for (const p of block.matchAll(/<property [^>]*\/>/g)) {
    out.properties.push([attr(p[0], "name"), attr(p[0], "type"), attr(p[0], "access")]);
  }
  return out;
}

Deno.test("the sandbox's Introspect shows exactly the declaration, for all three objects", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  const paths: Record<UpstartObject, string> = {
    manager: "/com/ubuntu/Upstart",
    job: `${JOBS}/svc`,
    instance: `${JOBS}/svc/_`,
  };
  for (const object of OBJECTS) {
    const [xml] = await sb.call(
      "Introspect",
      "",
      [],
      paths[object],
      "org.freedesktop.DBus.Introspectable",
    );
    assert.equal(typeof xml, "string");
    assert.deepEqual(shown(String(xml), INTERFACES[object].name), declared(object), object);
    // Only the one Upstart interface (plus the two standard ones) on each object.
    const names = [...String(xml).matchAll(/<interface name="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(names, [
      INTERFACES[object].name,
      "org.freedesktop.DBus.Properties",
      "org.freedesktop.DBus.Introspectable",
    ]);
  }
  // The sandbox answers every declared method with the declared reply signature.
  await sb.call("Stop", "asb", [[], true], `${JOBS}/svc`);
});

/** One interface's members as dbus-api.md lists them. */
interface Documented {
  methods: Map<string, { in: (readonly [string | null, string])[]; out: string }>;
  signals: Map<string, (readonly [string | null, string])[]>;
  properties: Map<string, { type: string; access: string }>;
}

function docArgs(text: string): (readonly [string | null, string])[] {
  return text.split(",").map((a) => a.trim()).filter((a) => a !== "").map((a) => {
    const [type, name] = a.split(/\s+/);
    return [name ?? null, type] as const;
  });
}

/** The text in balanced parentheses starting at `text[i]` (`(`), and the index after it. */
function balanced(text: string, i: number): [string, number] {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    if (text[j] === "(") depth++;
    else if (text[j] === ")" && --depth === 0) return [text.slice(i + 1, j), j + 1];
  }
  throw new Error(`Unbalanced parentheses in: ${text.slice(i)}`);
}

/**
 * Parses `Methods:`, `Properties...:` and `Signals:` of one `## INTERFACE` section. In the
 * property list a type in parentheses applies to the names listed since the previous type
 * (`description`, `author` (s)).
 */
function documented(section: string): Documented {
  const line = (label: string) =>
    section.split("\n").find((l) => l.startsWith(label)) ?? assert.fail(`no ${label} line`);
  const doc: Documented = { methods: new Map(), signals: new Map(), properties: new Map() };
  for (const m of line("Methods:").matchAll(/`(\w+)\(([^)]*)\)(?: → ([^`]+))?`/g)) {
    doc.methods.set(m[1], { in: docArgs(m[2]), out: m[3] ?? "" });
  }
  for (const m of line("Signals:").matchAll(/`(\w+)\(([^)]*)\)`/g)) {
    doc.signals.set(m[1], docArgs(m[2]));
  }
  const props = line("Properties");
  const allRead = /read-only/.test(props.slice(0, props.indexOf(":")));
  let untyped: string[] = [];
  const re = /`(\w+)`/g;
  for (let m = re.exec(props); m; m = re.exec(props)) {
    untyped.push(m[1]);
    let rest = m.index + m[0].length;
    while (props[rest] === " ") rest++;
    if (props[rest] !== "(") continue;
    const [inside, end] = balanced(props, rest);
    re.lastIndex = end;
    const type = /^(a\(si\)|aas|as|s|o|i|b)(?=[,:)\s]|$)/.exec(inside)?.[1];
    if (!type) continue; // a remark (`(unescaped)`): the type comes later
    const access = !allRead && /read\/write/.test(inside) ? "readwrite" : "read";
    for (const name of untyped) doc.properties.set(name, { type, access });
    untyped = [];
  }
  assert.deepEqual(untyped, [], "every documented property has a type");
  return doc;
}

/**
 * Where dbus-api.md and Upstart's XML disagree (the page says the sources win): argument names
 * the page writes differently. libnih's introspection, observed on 1.13.2, shows the XML's.
 */
const DOC_SLIPS: Record<string, string> = {
  "manager.UnsetEnvList": "dbus/com.ubuntu.Upstart.xml names its second argument `name`",
};

const dbusApi = (() => {
  if (!SHARED) {
    console.warn("Shared reference directory not found: the Upstart 1.13 comparison is skipped");
    return null;
  }
  try {
    return Deno.readTextFileSync(new URL("upstart/dbus-api.md", SHARED));
  } catch {
    console.warn("upstart/dbus-api.md not found: the Upstart 1.13 comparison is skipped");
    return null;
  }
})();

Deno.test({
  name: "the declaration matches Upstart 1.13 as ../shared/upstart/dbus-api.md records it",
  ignore: dbusApi === null,
  fn() {
    const sections = dbusApi!.split(/^## /m);
    for (const object of OBJECTS) {
      const decl = INTERFACES[object];
      const section = sections.find((s) =>
        s.startsWith(`${decl.name} `) || s.startsWith(`${decl.name}\n`)
      );
      assert.ok(section, `a section for ${decl.name}`);
      const doc = documented(section);
      assert.deepEqual([...doc.methods.keys()], Object.keys(decl.methods), `${object} methods`);
      for (const [name, m] of Object.entries(decl.methods)) {
        const d = doc.methods.get(name)!;
        const where = `${object}.${name}`;
        assert.equal(d.in.map(([, t]) => t).join(""), inSignature(m), `${where} in`);
        assert.equal(d.out, argsSignature(m.out), `${where} out`);
        if (!DOC_SLIPS[where]) {
          assert.deepEqual(d.in.map(([n]) => n), m.in.map(([n]) => n), `${where} argument names`);
        }
      }
      assert.deepEqual([...doc.signals.keys()], Object.keys(decl.signals), `${object} signals`);
      for (const [name, s] of Object.entries(decl.signals)) {
        const d = doc.signals.get(name)!;
        assert.equal(d.map(([, t]) => t).join(""), argsSignature(s.args), `${object}.${name}`);
        // The page names some signal values, not all: those it names agree.
        d.forEach(([n], i) => n === null || assert.equal(n, s.args[i][0], `${object}.${name}`));
      }
      assert.deepEqual(
        Object.fromEntries(doc.properties),
        Object.fromEntries(
          Object.entries(decl.properties).map(([k, p]) => [k, { type: p.type, access: p.access }]),
        ),
        `${object} properties`,
      );
    }
    // Every error name in the page's table is one a declared member can return (AccessDenied
    // is libnih's own answer to a Set of a read-only property).
    const table = dbusApi!.slice(dbusApi!.indexOf("## Error names"));
    const names = new Set(
      [...table.matchAll(/`((?:com\.ubuntu|org\.freedesktop)[\w.]+)`/g)].map((m) => m[1]),
    );
    const declaredErrors = new Set(
      OBJECTS.flatMap((o) => [
        ...Object.values(INTERFACES[o].methods).flatMap((m) => m.errors),
        ...Object.values(INTERFACES[o].properties).flatMap((p) => p.errors ?? []),
      ]),
    );
    assert.ok(names.size >= 10, "the error table was found");
    for (const name of names) {
      if (name === "org.freedesktop.DBus.Error.AccessDenied") continue;
      assert.ok(declaredErrors.has(name), name);
    }
  },
});

Deno.test("the version checks read the declaration: every member added after 0.6.5, nothing else", () => {
  const later = OBJECTS.flatMap((o) =>
    (["methods", "properties", "signals"] as const).flatMap((kind) =>
      Object.entries(INTERFACES[o][kind])
        .filter(([, m]) => m.since !== "0.6.5")
        .map(([name, m]) => [`${o}.${name}`, m.since])
    )
  );
  assert.deepEqual(
    Object.entries(FEATURES).map(([key, f]) => [key, f.since]).sort(),
    later.sort(),
  );
  assert.equal(FEATURES["instance.Reload"].since, UPSTART_API.instance.methods.Reload.since);
  assert.equal(FEATURES["manager.GetEnv"].kind, "method");
  assert.equal(FEATURES["job.start_on"].kind, "property");
  assert.equal(FEATURES["instance.Failed"].kind, "signal");
  // Every argument type is one complete type, and every member has a source past 0.6.5.
  for (const o of OBJECTS) {
    for (const m of Object.values(INTERFACES[o].methods)) {
      for (const [, t] of [...m.in, ...m.out]) assert.match(t, /^(a?\(si\)|a*[sobih]|a\{sv\})$/);
      if (m.since !== "0.6.5") assert.ok(m.source, JSON.stringify(m));
    }
  }
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true
  : false;

Deno.test("a call through the declaration is typed from its signatures", () => {
  // Checked by the type checker (deno check / deno test): each line fails to compile if wrong.
  const checks: true[] = [
    true satisfies Equal<MethodArgs<"job", "Start">, [readonly string[], boolean]>,
    true satisfies Equal<MethodReply<"job", "Start">, [string]>,
    true satisfies Equal<MethodReply<"instance", "Start">, []>,
    true satisfies Equal<MethodArgs<"manager", "GetEnv">, [readonly string[], string]>,
    true satisfies Equal<MethodReply<"manager", "GetAllJobs">, [string[]]>,
    true satisfies Equal<PropertyValue<"instance", "processes">, [string, number][]>,
    true satisfies Equal<PropertyValue<"job", "start_on">, string[][]>,
    true satisfies Equal<SignalValues<"instance", "Failed">, [number]>,
    true satisfies Equal<SignalValues<"manager", "EventEmitted">, [string, string[]]>,
    true satisfies Equal<Properties<"manager">["log_priority"], string | undefined>,
    true satisfies Equal<
      MethodArgs<"manager", "EmitEventWithFile">,
      [string, readonly string[], boolean, number]
    >,
  ];
  assert.equal(checks.length, 11);
  // @ts-expect-error: Start takes an environment and a wait flag, not a string.
  const wrong: MethodArgs<"job", "Start"> = ["x"];
  void wrong;
  const variant: Variant | undefined = undefined;
  void variant;
});

Deno.test("a daemon that breaks the declaration gets clear errors, not values of the wrong type", async () => {
  // A fake Upstart on a private bus: right enough to connect to, wrong everywhere else.
  await using bus = await startBus();
  await using server = await Connection.open(bus.address);
  await server.requestName("com.ubuntu.Upstart");
  const job = "/com/ubuntu/Upstart/jobs/svc";
  server.export("/com/ubuntu/Upstart", [{
    name: "com.ubuntu.Upstart0_6",
    methods: {
      // "as" where the declaration says "ao".
      GetAllJobs: { out: "as", handler: () => [["svc"]] },
      GetJobByName: { in: "s", out: "o", handler: () => [job] },
    },
    properties: {
      version: { signature: "s", get: () => "init (upstart 1.13.2)" },
      // An int32 where the declaration says a string.
      log_priority: { signature: "i", get: () => 7 },
    },
  }]);
  server.export(job, [{
    name: "com.ubuntu.Upstart0_6.Job",
    methods: { GetAllInstances: { out: "ao", handler: () => [[`${job}/_`]] } },
    properties: {
      name: { signature: "s", get: () => "svc" },
      // Wrong types are left out of GetAll: these read as absent.
      description: { signature: "i", get: () => 1 },
      emits: { signature: "s", get: () => "not-an-array" },
    },
  }]);
  server.export(`${job}/_`, [{
    name: "com.ubuntu.Upstart0_6.Instance",
    properties: {
      name: { signature: "s", get: () => "" },
      goal: { signature: "s", get: () => "start" },
      state: { signature: "s", get: () => "dancing\x1b[2J" },
      processes: { signature: "a(si)", get: () => [["main", 42]] },
    },
  }]);
  await using system = await System.connect({ address: bus.address, peer: false });
  await assert.rejects(
    () => system.logPriority(),
    /log_priority has type "i", expected "s"/,
  );
  await assert.rejects(() => system.jobNames(), /GetAllJobs has signature "as", expected "ao"/);
  const svc = await system.job("svc");
  assert.equal(svc.description, null, "a description of the wrong type is left out");
  assert.deepEqual(svc.emits, [], "emits of the wrong type is left out");
  // An unknown state is refused, quoted (the escape character shows as \u001b).
  await assert.rejects(() => svc.status(), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /unknown state "dancing\\u001b\[2J"/);
    return true;
  });
});

Deno.test("a signal whose body does not have the declared signature is no event", () => {
  const base = {
    sender: null,
    path: "/com/ubuntu/Upstart/jobs/svc/_",
    interface: "com.ubuntu.Upstart0_6.Instance",
  };
  assert.equal(
    toUpstartEvent({ ...base, member: "StateChanged", signature: "i", body: [5] }),
    null,
  );
  assert.equal(
    toUpstartEvent({ ...base, member: "StateChanged", signature: "s", body: ["nonsense"] }),
    null,
    "an unknown state",
  );
  assert.equal(toUpstartEvent({ ...base, member: "Failed", signature: "s", body: ["1"] }), null);
  assert.deepEqual(
    toUpstartEvent({ ...base, member: "Failed", signature: "i", body: [256] }),
    { type: "Failed", job: "svc", instance: "", path: base.path, status: 256 },
  );
  assert.equal(
    toUpstartEvent({
      sender: null,
      path: "/com/ubuntu/Upstart",
      interface: "com.ubuntu.Upstart0_6",
      member: "EventEmitted",
      signature: "s",
      body: ["started"],
    }),
    null,
  );
});
