/**
 * Ansible inventories: INI, YAML and `ansible-inventory --list` JSON, host ranges, `--limit`
 * patterns, variable precedence, and hostile input. The fixtures in `tests/inventory/` were
 * checked against ansible-core 2.14: `expected.json` is what it printed for them
 * (`tests/support/inventory_expected.py` records it; these tests do not need Ansible).
 */
import assert from "node:assert/strict";
import {
  detectFormat,
  hostVars,
  type Inventory,
  InventoryError,
  matchLimit,
  MAX_INVENTORY_BYTES,
  MAX_RANGE_HOSTS,
  parseInventory,
  type ParseInventoryOptions,
  readInventory,
  selectHosts,
  splitHostPattern,
} from "../src/inventory/mod.ts";

const FIXTURES = new URL("./inventory/", import.meta.url);
const fixture = (name: string) => new URL(name, FIXTURES).pathname;

const parse = (text: string, options: ParseInventoryOptions = {}) =>
  parseInventory(text, { path: "inv", ...options });

/** Asserts an InventoryError at `line` whose reason matches `reason`. */
async function refused(
  promise: Promise<unknown> | (() => unknown),
  line: number | null,
  reason: RegExp,
  path = "inv",
): Promise<InventoryError> {
  let error: unknown;
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InventoryError, `expected an InventoryError, got ${error}`);
  assert.equal(error.name, "InventoryError");
  assert.equal(error.path, path);
  assert.equal(error.line, line, error.message);
  assert.match(error.reason, reason);
  assert.equal(
    error.message,
    line === null ? `${path}: ${error.reason}` : `${path}:${line}: ${error.reason}`,
  );
  return error;
}

const names = (inv: Inventory, limit?: string | string[]) =>
  selectHosts(inv, limit).map((h) => h.name);

// --- Parity with Ansible on the fixtures -------------------------------------------------------

const expected = JSON.parse(
  await Deno.readTextFile(new URL("expected.json", FIXTURES)),
) as Record<
  string,
  {
    hostvars: Record<string, Record<string, unknown>>;
    limits: Record<string, { orders: string[][] } | { error: string }>;
  }
>;

for (const [file, want] of Object.entries(expected)) {
  Deno.test(`${file}: every host's variables are those ansible-inventory --list printed`, async () => {
    const inv = await readInventory(fixture(file));
    assert.equal(
      inv.format,
      file.endsWith(".ini") ? "ini" : file.endsWith(".yml") ? "yaml" : "json",
    );
    const all = (want.limits.all as { orders: string[][] }).orders[0];
    assert.deepEqual([...inv.hosts.keys()].sort(), [...all].sort());
    for (const host of inv.hosts.keys()) {
      assert.deepEqual(hostVars(inv, host), want.hostvars[host] ?? {}, host);
    }
  });

  // Ansible orders grandchild groups by iterating a Python set, so its order changes with the
  // hash seed: ours must be one of the orders it printed.
  Deno.test(`${file}: each --limit selects what ansible --list-hosts listed, in one of its orders`, async () => {
    const inv = await readInventory(fixture(file));
    for (const [pattern, hosts] of Object.entries(want.limits)) {
      if ("orders" in hosts) {
        const ours = matchLimit(inv, pattern);
        assert.ok(
          hosts.orders.some((order) => JSON.stringify(order) === JSON.stringify(ours)),
          `${pattern}: ${ours} is none of ${JSON.stringify(hosts.orders)}`,
        );
        assert.deepEqual(names(inv, pattern), ours, pattern);
      } else {
        // Ansible: "Could not match supplied host pattern, ignoring: web".
        const bad = /ignoring: (.*)$/.exec(hosts.error)![1];
        const e = await refused(() => selectHosts(inv, pattern), null, /Could not match/, inv.path);
        assert.ok(e.reason.includes(JSON.stringify(bad)), e.message);
      }
    }
  });
}

// --- INI --------------------------------------------------------------------------------------

Deno.test("INI: sections, children, vars, comments, ungrouped hosts and inline variables", async () => {
  const inv = await readInventory(fixture("fleet.ini"));
  assert.deepEqual([...inv.groups.keys()], [
    "all",
    "ungrouped",
    "webservers",
    "dbservers",
    "workers",
    "prod",
    "staging",
  ]);
  assert.deepEqual(inv.groups.get("all")!.children, ["ungrouped", "prod", "staging"]);
  assert.deepEqual(inv.groups.get("prod")!.children, ["webservers", "dbservers"]);
  assert.deepEqual(inv.groups.get("ungrouped")!.hosts, ["bastion.example.com"]);
  assert.deepEqual(inv.groups.get("workers")!.hosts, [
    "worker1.example.com",
    "worker5.example.com",
    "worker9.example.com",
  ]);
  const api = inv.hosts.get("api.example.com")!;
  // Values are Python literals: 8080 is a number; the quotes go, the space stays.
  assert.deepEqual(api.vars, { ansible_host: "192.0.2.10", http_port: 8080, motd: "hello world" });
  assert.deepEqual(inv.hosts.get("web-canary.example.com")!.vars, {
    ansible_port: 2222,
    ansible_user: "canary",
  });
  assert.equal(inv.groups.get("prod")!.vars.tier, 1);
});

Deno.test("INI: values as Ansible reads them (literals, comments, [g:vars] taken whole)", async () => {
  const inv = await parse(
    [
      "h a=1 b=True c=None d=\"x y\" e='[1, \"two\"]' f=\"{'k': 2}\" g=0x10 h=1.5 i=010 j=yes k=a=b l= m={'k':2}",
      "[all:vars]",
      "n = 2 # python drops this comment",
      "s = some text # this one stays",
      "q = 'quoted # kept'",
    ].join("\n"),
  );
  assert.deepEqual(inv.hosts.get("h")!.vars, {
    a: 1,
    b: true,
    c: null,
    d: "x y",
    e: [1, "two"],
    f: { k: 2 },
    g: 16,
    h: 1.5,
    i: "010",
    j: "yes",
    k: "a=b",
    l: "",
    // shlex took the quotes, and `{k:2}` is no Python literal: the text stays.
    m: "{k:2}",
  });
  assert.deepEqual(inv.groups.get("all")!.vars, {
    n: 2,
    s: "some text # this one stays",
    q: "quoted # kept",
  });
});

Deno.test("INI: a child group may be declared after it is named; a host's port only when new", async () => {
  const inv = await parse(
    "[top:children]\nmid\n[mid:children]\nleaf\n[leaf]\nl1:2201\nl1:2202\n[mid]\n",
  );
  assert.deepEqual(inv.groups.get("top")!.children, ["mid"]);
  assert.deepEqual(inv.groups.get("mid")!.children, ["leaf"]);
  assert.deepEqual(inv.hosts.get("l1")!.vars, { ansible_port: 2201 });
  assert.deepEqual(names(inv, "top"), ["l1"]);
});

Deno.test("INI: a host listed before any section and in a group is not ungrouped", async () => {
  const inv = await parse("a\nb\n[g]\nb\n");
  assert.deepEqual(inv.groups.get("ungrouped")!.hosts, ["a"]);
  assert.deepEqual(inv.hosts.get("b")!.groups, ["g"]);
  assert.deepEqual(names(inv), ["a", "b"]);
});

Deno.test("INI: errors say what and where, in Ansible's words", async () => {
  await refused(parse("[web:foo]\nx\n"), 1, /^Section \[web:foo\] has unknown type: foo$/);
  await refused(parse("[a]\n[bad section]\n"), 2, /^Invalid section entry/);
  await refused(
    parse("[a:children]\nb\n\n"),
    2,
    /^Section \[a:children\] includes undefined group: b$/,
  );
  await refused(
    parse("[a]\n[b:vars]\nx=1\n"),
    2,
    /^Section \[b:vars\] not valid for undefined group: b$/,
  );
  await refused(parse("[a:vars]\nnoequals\n[a]\n"), 2, /^Expected key=value, got: "noequals"$/);
  await refused(parse("[a]\nh novalue\n"), 2, /^Expected key=value host variable assignment/);
  await refused(parse('[a]\nh x="open\n'), 2, /No closing quotation/);
  await refused(parse("[a:children]\nb c\n"), 2, /^Expected group name/);
  await refused(parse("[a]\nhost:\n"), 2, /trailing ":"/);
  await refused(parse("[a]\n---\n", { format: "ini" }), 2, /YAML/);
  await refused(parse("[a]\nh:70000\n"), 2, /^Invalid port 70000/);
});

// --- YAML -------------------------------------------------------------------------------------

Deno.test("YAML: nesting, ranges in keys, ports, anchors and merge keys, YAML 1.1 booleans", async () => {
  const inv = await readInventory(fixture("fleet.yml"));
  assert.deepEqual(inv.groups.get("eu")!.children, ["eu_web", "eu_db"]);
  assert.deepEqual(inv.groups.get("databases")!.children, ["eu_db", "us_db"]);
  assert.deepEqual(inv.groups.get("eu_web")!.hosts, [
    "web1.eu.example.com",
    "web2.eu.example.com",
    "web3.eu.example.com",
    "web-a.eu.example.com",
    "web-b.eu.example.com",
  ]);
  assert.deepEqual(inv.hosts.get("2001:db8::1")!.vars, { ansible_port: 2222 });
  // `on` is a boolean in YAML 1.1 (as PyYAML reads it).
  assert.equal(inv.hosts.get("web-a.eu.example.com")!.vars.ansible_become, true);
  // A merge key, overridden by the explicit key beside it.
  assert.deepEqual(inv.groups.get("us_db")!.vars.ntp, {
    server: "ntp.us.example.com",
    iburst: true,
  });
  assert.equal(inv.groups.get("eu_db")!.priority, 10);
  assert.ok(!("ansible_group_priority" in inv.groups.get("eu_db")!.vars));
});

Deno.test("YAML: sections may be a lone name, null, or absent; y and n stay strings", async () => {
  const inv = await parse(
    "all:\n  children:\n    web:\n      hosts: w1\n    db:\n      hosts:\n      vars: {a: y, b: n, c: no}\n    empty:\n",
    { format: "yaml" },
  );
  assert.deepEqual(inv.groups.get("web")!.hosts, ["w1"]);
  assert.deepEqual(inv.groups.get("db")!.vars, { a: "y", b: "n", c: false });
  assert.deepEqual(inv.groups.get("all")!.children, ["ungrouped", "web", "db", "empty"]);
});

Deno.test("YAML: any depth of children", async () => {
  const depth = 200;
  let text = "all:\n";
  for (let i = 0; i < depth; i++) {
    text += `${"  ".repeat(2 * i + 1)}children:\n${"  ".repeat(2 * i + 2)}g${i}:\n`;
  }
  text += `${"  ".repeat(2 * depth + 1)}hosts:\n${"  ".repeat(2 * depth + 2)}deep:\n`;
  const inv = await parse(text);
  assert.deepEqual(names(inv, "g0"), ["deep"]);
  assert.deepEqual(selectHosts(inv, "deep")[0].groups.length, depth);
});

Deno.test("YAML: errors name the line", async () => {
  await refused(
    parse("all:\n  hosts:\n    a:\n    a:\n", { format: "yaml" }),
    3,
    /Map keys must be unique/,
  );
  await refused(parse("all:\n  hosts: [\n", { format: "yaml" }), 3, /^Invalid YAML/);
  await refused(parse("all:\n  hosts:\n    12:\n", { format: "yaml" }), 3, /expected a string/);
  await refused(
    parse("all:\n  hosts:\n    a: text\n", { format: "yaml" }),
    3,
    /expected a mapping/,
  );
  await refused(parse("all:\n  children: [a, b]\n", { format: "yaml" }), 2, /"children" entry/);
  await refused(parse("plugin: aws_ec2\n", { format: "yaml" }), 1, /plugin configuration/);
  await refused(parse("# nothing\n", { format: "yaml" }), null, /empty/);
  await refused(parse("a: 1\n---\nb: 2\n", { format: "yaml" }), 2, /multiple documents/);
});

// --- JSON -------------------------------------------------------------------------------------

Deno.test("JSON: ansible-inventory --list --export output (group vars kept in groups)", async () => {
  const inv = await readInventory(fixture("fleet.json"));
  assert.equal(inv.format, "json");
  assert.deepEqual(inv.groups.get("all")!.children, ["ungrouped", "eu", "us", "databases"]);
  assert.equal(inv.groups.get("eu_db")!.vars.role, "db");
  const [db1] = selectHosts(inv, "db1.eu.example.com");
  assert.equal(db1.host, "deploy@198.51.100.7");
  assert.deepEqual(db1.sshArgs, [
    "-o",
    "ProxyJump=bastion.example.com",
    "-o",
    "ServerAliveInterval 30",
  ]);
});

Deno.test("JSON: the script plugin's shorthands; hostvars of unlisted hosts ignored", async () => {
  const inv = await parse(
    JSON.stringify({
      web: ["w1", "w2"],
      solo: { ansible_host: "10.0.0.9" },
      meta: { hosts: ["m1"], children: ["web", "newgroup"], vars: { v: 1 } },
      _meta: { hostvars: { w1: { ansible_port: 2201 }, ghost: { x: 1 } } },
    }),
  );
  assert.deepEqual(inv.groups.get("web")!.hosts, ["w1", "w2"]);
  assert.deepEqual(inv.groups.get("solo")!.hosts, ["solo"]);
  assert.deepEqual(inv.groups.get("solo")!.vars, { ansible_host: "10.0.0.9" });
  assert.deepEqual(inv.groups.get("meta")!.children, ["web", "newgroup"]);
  assert.ok(!inv.hosts.has("ghost"));
  assert.deepEqual(selectHosts(inv, "w1")[0].sshArgs, ["-p", "2201"]);
  assert.equal(selectHosts(inv, "solo")[0].host, "10.0.0.9");
});

Deno.test("JSON: the YAML shape written as JSON is read as Ansible's yaml plugin reads it", async () => {
  const inv = await parse('{"all": {"children": {"web": {"hosts": {"w[1:2]": {"x": 1}}}}}}');
  assert.deepEqual(names(inv), ["w1", "w2"]);
  assert.deepEqual(inv.hosts.get("w2")!.vars, { x: 1 });
});

Deno.test("JSON: errors", async () => {
  await refused(
    parse('{\n  "web": ["a",\n}\n'),
    3,
    /^Invalid JSON: unexpected "}", expected a value$/,
  );
  await refused(
    parse('{"web": ["a"]\n\n'),
    3,
    /^Invalid JSON: unexpected end of input, expected "," or "}"$/,
  );
  await refused(parse('{"w": "a\u0007b"}'), 1, /^Invalid JSON: invalid string$/);
  await refused(parse('{"w": 1} x', { format: "json" }), 1, /expected the end of input/);
  await refused(parse("[1, 2]", { format: "json" }), null, /expected a JSON object/);
  await refused(parse('{"web": {"hosts": ["a"], "vars": [1]}}'), null, /vars of group "web"/);
  await refused(parse('{"web": {"hosts": [7]}}'), null, /host "7" in group "web"/);
  await refused(parse('{"web": {"hosts": ["a"], "children": [1]}}'), null, /child "1"/);
  await refused(
    parse('{"web": {"hosts": {"a": null}, "children": ["x"]}}'),
    null,
    /hosts of group "web": expected a list/,
  );
});

// --- Format -----------------------------------------------------------------------------------

Deno.test("format: by extension, else by content, unless given", async () => {
  assert.equal(detectFormat("[web]\na\n"), "ini");
  assert.equal(detectFormat("# c\nweb1:2222 x=1\n"), "ini");
  assert.equal(detectFormat("host key='a: b'\n"), "ini");
  assert.equal(detectFormat("; comment\n---\nall:\n"), "yaml");
  assert.equal(detectFormat("web: {hosts: {a: }}\n"), "yaml");
  assert.equal(detectFormat('\n  {"all": {}}'), "json");
  assert.equal(detectFormat("[web]\n", "x.yaml"), "yaml");
  assert.equal(detectFormat("all:\n", "x.ini"), "ini");
  assert.equal(detectFormat("", "X.JSON"), "json");
  assert.equal(detectFormat(""), "ini");
  // A YAML inventory forced to INI fails as Ansible's INI plugin would.
  await refused(parse("all:\n  hosts:\n", { format: "ini" }), 1, /trailing ":"/);
  await assert.rejects(parse("", { format: "toml" as "ini" }), TypeError);
});

// --- Host ranges ------------------------------------------------------------------------------

Deno.test("ranges: padding, letters, steps, several in one name, ports", async () => {
  const hosts = async (line: string) => [...(await parse(`[g]\n${line}\n`)).hosts.keys()];
  assert.deepEqual(await hosts("web[08:11].example.com"), [
    "web08.example.com",
    "web09.example.com",
    "web10.example.com",
    "web11.example.com",
  ]);
  assert.deepEqual(await hosts("w[8:10]"), ["w8", "w9", "w10"]);
  assert.deepEqual(await hosts("db-[a:c]"), ["db-a", "db-b", "db-c"]);
  assert.deepEqual(await hosts("x[y:B:2]"), ["xy", "xA"]);
  assert.deepEqual(await hosts("n[1:10:4]"), ["n1", "n5", "n9"]);
  assert.deepEqual(await hosts("n[:2]"), ["n0", "n1", "n2"]);
  assert.deepEqual(await hosts("r[1:2]c[a:b]"), ["r1ca", "r1cb", "r2ca", "r2cb"]);
  assert.deepEqual(await hosts("10.0.[0:1].[1:2]"), [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.1.1",
    "10.0.1.2",
  ]);
  const inv = await parse("[g]\nweb[1:2]:2222\n[2001:db8::[a:b]]:22\n");
  assert.deepEqual([...inv.hosts.keys()], ["web1", "web2", "2001:db8::a", "2001:db8::b"]);
  assert.deepEqual(inv.hosts.get("web2")!.vars, { ansible_port: 2222 });
});

Deno.test("ranges: nonsense is refused, naming the file and line", async () => {
  const cases: [string, RegExp][] = [
    ["w[3:1]", /beginning is after the end/],
    ["w[a:5]", /two numbers or two letters/],
    ["w[1:2:0]", /step must be a positive integer/],
    ["w[1:2:x]", /step must be a positive integer/],
    ["w[01:100]", /same width/],
    ["w[1]", /\[begin:end\]/],
    ["w[1:2:3:4]", /\[begin:end\]/],
    ["w[1:]", /end is missing/],
    ["w[aa:bb]", /two numbers or two letters/],
    ["w[1:2", /Unbalanced "\["/],
    ["w]1:2[", /Unbalanced "\]"/],
  ];
  for (const [pattern, reason] of cases) {
    await refused(parse(`# c\n[g]\n${pattern} x=1\n`), 3, reason);
    await refused(parse(`all:\n  hosts:\n    "${pattern}":\n`, { format: "yaml" }), 3, reason);
  }
});

Deno.test("ranges: a huge range is refused before anything is expanded", async () => {
  for (const pattern of ["h[0:99999999]", "h[0:999][0:999]", "h[0:9007199254740993]"]) {
    const started = performance.now();
    await refused(
      parse(`[g]\n${pattern}\n`),
      2,
      new RegExp(`at most ${MAX_RANGE_HOSTS}|too large`),
    );
    assert.ok(performance.now() - started < 1000);
  }
  const inv = await parse(`[g]\nh[1:${MAX_RANGE_HOSTS}]\n`);
  assert.equal(inv.hosts.size, MAX_RANGE_HOSTS);
});

// --- --limit ----------------------------------------------------------------------------------

const LIMIT_INV = `
u1
[web]
web1
web2
web3
[db]
db1
db2
web3
[prod:children]
web
db
[canary]
web2
`;

Deno.test("limit: names, all, *, globs, regexes, subscripts", async () => {
  const inv = await parse(LIMIT_INV);
  // Ansible's order: the ungrouped, then all's children level by level (canary before web).
  const all = ["u1", "web2", "web1", "web3", "db1", "db2"];
  assert.deepEqual(names(inv), all);
  assert.deepEqual(names(inv, ""), all);
  assert.deepEqual(names(inv, "all"), all);
  assert.deepEqual(names(inv, "*"), all);
  assert.deepEqual(names(inv, "db"), ["web3", "db1", "db2"]);
  assert.deepEqual(names(inv, "web2"), ["web2"]);
  assert.deepEqual(names(inv, "web*"), ["web2", "web1", "web3"]);
  // Digits in brackets are a subscript, even after a glob (as in Ansible): the 13th match of
  // `*`, counting a host once per group that matched.
  assert.deepEqual(names(inv, "*[12]"), ["web3"]);
  assert.deepEqual(names(inv, "*b[1]"), ["web2"]);
  assert.deepEqual(names(inv, "web[1-2]"), ["web2", "web3"]);
  assert.deepEqual(names(inv, "web[!1]"), ["web2", "web3"]);
  assert.deepEqual(names(inv, "?b?"), ["db1", "db2"]);
  assert.deepEqual(names(inv, "?eb?"), ["web2", "web1", "web3"]);
  // A regex is matched at the start only, as Python's re.match.
  await refused(() => selectHosts(inv, "~b[12]"), null, /Could not match/);
  assert.deepEqual(names(inv, "~(web|db)1"), ["web1", "db1"]);
  assert.deepEqual(names(inv, "~.*2$"), ["web2", "db2"]);
  // A subscript indexes the group's own order; the result is still in inventory order.
  assert.deepEqual(names(inv, "web[0]"), ["web1"]);
  assert.deepEqual(names(inv, "web[-1]"), ["web3"]);
  assert.deepEqual(names(inv, "web[1:]"), ["web2", "web3"]);
  assert.deepEqual(names(inv, "prod[0:1]"), ["web2", "web1"]);
});

Deno.test("limit: union, intersection and exclusion, applied in Ansible's order", async () => {
  const inv = await parse(LIMIT_INV);
  assert.deepEqual(names(inv, "canary:db"), ["web2", "web3", "db1", "db2"]);
  assert.deepEqual(names(inv, "canary,db"), ["web2", "web3", "db1", "db2"]);
  assert.deepEqual(names(inv, ["canary", "u1:!web2"]), ["u1"]);
  assert.deepEqual(names(inv, "web:&db"), ["web3"]);
  assert.deepEqual(names(inv, "prod:!db"), ["web2", "web1"]);
  assert.deepEqual(names(inv, "prod,!web2"), ["web1", "web3", "db1", "db2"]);
  // Order of writing does not matter: unions, then intersections, then exclusions.
  assert.deepEqual(names(inv, "!web1:&prod:web"), ["web2", "web3"]);
  assert.deepEqual(names(inv, "!db:u1:web"), ["u1", "web2", "web1"]);
  // Only exclusions and intersections: applied to all.
  assert.deepEqual(names(inv, "!prod"), ["u1"]);
  assert.deepEqual(names(inv, "&canary"), ["web2"]);
  // Several intersections: each narrows further.
  assert.deepEqual(names(inv, "prod:&web:&canary"), ["web2"]);
  // Nothing in common: no hosts, and no error (the CLI decides what that means).
  assert.deepEqual(names(inv, "canary:&db"), []);
  assert.deepEqual(splitHostPattern(" a , b:c ,"), ["a", "b:c"]);
  assert.deepEqual(splitHostPattern("web[1:3]:!x"), ["web[1:3]", "!x"]);
  assert.deepEqual(splitHostPattern("fe80::1"), ["fe80::1"]);
});

Deno.test("limit: a pattern that matches nothing, a bad regex, a subscript past the end", async () => {
  const inv = await parse(LIMIT_INV);
  const e = await refused(
    () => selectHosts(inv, "web:nope"),
    null,
    /^Could not match supplied host pattern: "nope"$/,
  );
  assert.ok(e instanceof InventoryError);
  await refused(
    () => selectHosts(inv, "!nope"),
    null,
    /Could not match supplied host pattern: "nope"/,
  );
  await refused(
    () => selectHosts(inv, "zz*"),
    null,
    /Could not match supplied host pattern: "zz\*"/,
  );
  await refused(() => selectHosts(inv, "~("), null, /^Invalid host list pattern: "~\("$/);
  await refused(
    () => selectHosts(inv, "web[3]"),
    null,
    /No hosts matched the subscripted pattern "web\[3\]"/,
  );
  // An empty group matches (nothing), as in Ansible.
  assert.deepEqual(names(await parse("[empty]\n[g]\na\n"), "empty"), []);
});

// --- Variables and ssh options ----------------------------------------------------------------

Deno.test("precedence: all < parent < child < host, by depth not by order of writing", async () => {
  const inv = await parse(
    [
      "[child]",
      "h1 v=host",
      "h2",
      "[child:vars]",
      "v=child",
      "w=child",
      "[parent:children]",
      "child",
      "[parent:vars]",
      "v=parent",
      "w=parent",
      "x=parent",
      "[all:vars]",
      "v=all",
      "w=all",
      "x=all",
      "y=all",
    ].join("\n"),
  );
  assert.deepEqual(hostVars(inv, "h1"), { v: "host", w: "child", x: "parent", y: "all" });
  assert.deepEqual(hostVars(inv, "h2"), { v: "child", w: "child", x: "parent", y: "all" });
  assert.throws(() => hostVars(inv, "nope"), RangeError);
});

Deno.test("precedence: groups of one depth by priority, then by name (the later name wins)", async () => {
  const inv = await parse(
    "[b]\nh\n[a]\nh\n[c]\nh2\n[a:vars]\nv=a\n[b:vars]\nv=b\n[c:vars]\nv=c\nansible_group_priority=5\n[d]\nh2\n[d:vars]\nv=d\n",
  );
  // Same depth, same priority: by name, so b (defined first) loses to... b, the later name.
  assert.equal(hostVars(inv, "h").v, "b");
  // d would win by name; c's higher priority wins.
  assert.equal(hostVars(inv, "h2").v, "c");
  const prio = await parse(
    "[a]\nh\n[b]\nh\n[a:vars]\nv=a\nansible_group_priority=10\n[b:vars]\nv=b\n",
  );
  assert.equal(hostVars(prio, "h").v, "a");
});

Deno.test("ssh options: destination, port, key, common and extra args, sudo", async () => {
  const inv = await parse(
    [
      "[g]",
      "plain",
      `full ansible_host=192.0.2.1 ansible_port=2222 ansible_user=admin ansible_ssh_private_key_file="~/.ssh/id key" ansible_become=yes`,
      `quoted ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p bastion" -o "User Known"' ansible_ssh_extra_args="-4 -o 'A=b c'"`,
      "old ansible_ssh_host=10.0.0.1 ansible_ssh_port=22 ansible_ssh_user=root",
      "both ansible_host=new ansible_ssh_host=old ansible_user=new ansible_ssh_user=old",
      "nobecome ansible_become=False",
      "null ansible_host=None",
    ].join("\n"),
  );
  const by = Object.fromEntries(selectHosts(inv).map((h) => [h.name, h]));
  assert.deepEqual({ ...by.plain, vars: undefined }, {
    name: "plain",
    host: "plain",
    sshArgs: [],
    sudo: false,
    groups: ["g"],
    vars: undefined,
  });
  assert.equal(by.full.host, "admin@192.0.2.1");
  assert.deepEqual(by.full.sshArgs, ["-p", "2222", "-i", "~/.ssh/id key"]);
  assert.equal(by.full.sudo, true);
  assert.deepEqual(by.quoted.sshArgs, [
    "-o",
    "ProxyCommand=ssh -W %h:%p bastion",
    "-o",
    "User Known",
    "-4",
    "-o",
    "A=b c",
  ]);
  assert.equal(by.old.host, "root@10.0.0.1");
  assert.deepEqual(by.old.sshArgs, ["-p", "22"]);
  // As Ansible's ssh plugin: the ansible_ssh_ spelling wins over the newer one.
  assert.equal(by.both.host, "old@old");
  assert.equal(by.nobecome.sudo, false);
  assert.equal(by.null.host, "null");
  // The fields are RemoteOptions' own.
  const remote: import("../src/remote.ts").RemoteOptions = by.full;
  assert.equal(remote.host, "admin@192.0.2.1");
  // Frozen: a caller cannot change what the next caller sees.
  assert.throws(() => (by.full.sshArgs as string[]).push("x"));
});

Deno.test("ssh options: group variables inherited, host variables win", async () => {
  const inv = await readInventory(fixture("fleet.ini"));
  const by = Object.fromEntries(selectHosts(inv).map((h) => [h.name, h]));
  const common = ["-o", "StrictHostKeyChecking=accept-new", "-o", "ProxyJump=bastion.example.com"];
  assert.equal(by["bastion.example.com"].host, "deploy@bastion.example.com");
  assert.deepEqual(by["bastion.example.com"].sshArgs, ["-p", "2200"]);
  assert.equal(by["web-canary.example.com"].host, "canary@web-canary.example.com");
  assert.deepEqual(by["web-canary.example.com"].sshArgs, ["-p", "2222", ...common]);
  assert.equal(by["db-a.example.com"].sudo, true);
  assert.deepEqual(by["db-a.example.com"].sshArgs, [...common, "-o", "ConnectTimeout=5"]);
  assert.equal(by["web01.example.com"].sudo, false);
  assert.equal(by["legacy-db.example.com"].host, "admin@192.0.2.20");
  assert.deepEqual(by["worker5.example.com"].sshArgs, ["-i", "~/.ssh/workers", ...common]);
  assert.deepEqual(by["worker5.example.com"].groups, ["staging", "workers"]);
  assert.equal(by["worker5.example.com"].vars.env, "staging");
});

// --- Hostile input ----------------------------------------------------------------------------

Deno.test("hostile: a host name ssh would read as an option is refused, in every format", async () => {
  await refused(parse("[g]\nok\n-oProxyCommand=touch_x\n"), 3, /cannot start with "-"/);
  await refused(parse("[g]\n-w[1:2]\n"), 2, /cannot start with "-"/);
  await refused(
    parse('all:\n  hosts:\n    "-oProxyCommand=x":\n', { format: "yaml" }),
    3,
    /cannot start with "-"/,
  );
  await refused(parse('{"g": ["-oProxyCommand=x"]}'), null, /cannot start with "-"/);
  await refused(parse('{"all": {"hosts": {"-x": null}}}'), null, /cannot start with "-"/);
  // ... and so is such an address, user or unusable port in a variable.
  await refused(
    parse("[g]\nh ansible_host=-oProxyCommand=x\n"),
    2,
    /^Invalid ansible_host .*leading "-"/,
  );
  await refused(parse("[g]\nh\n[g:vars]\nansible_user=-x\n"), 4, /^Invalid ansible_user/);
  await refused(parse("[g]\nh ansible_ssh_host=-x\n"), 2, /^Invalid ansible_ssh_host/);
  await refused(parse("[g]\nh ansible_user=a@b\n"), 2, /"@"/);
  await refused(parse("[g]\nh ansible_host='a b'\n"), 2, /non-empty word/);
  await refused(parse("[g]\nh ansible_port=0\n"), 2, /^Invalid ansible_port/);
  await refused(parse("[g]\nh ansible_port=http\n"), 2, /^Invalid ansible_port/);
  await refused(parse("[g]\nh ansible_become=maybe\n"), 2, /^Invalid ansible_become/);
  await refused(
    parse("[g]\nh\n[g:vars]\nansible_ssh_common_args='-o \"open'\n"),
    4,
    /No closing quotation/,
  );
  await refused(parse('[g]\nh ansible_host="{{ inventory_hostname }}.x"\n'), 2, /templates/);
  await refused(
    parse("all:\n  vars:\n    ansible_port: [22]\n", { format: "yaml" }),
    3,
    /^Invalid ansible_port/,
  );
});

Deno.test("hostile: control characters and white space in names are refused", async () => {
  await refused(parse("[g]\nweb\x1bx\n"), 2, /control characters/);
  await refused(parse("[g]\nweb\x07\n"), 2, /control characters/);
  await refused(parse('[g]\n"a b"\n'), 2, /white space/);
  await refused(
    parse('all:\n  hosts:\n    "w\\u0007":\n', { format: "yaml" }),
    3,
    /control characters/,
  );
  await refused(
    parse('all:\n  children:\n    "g\\n":\n', { format: "yaml" }),
    3,
    /control characters are not allowed in group names/,
  );
  await refused(parse('{"g": ["a\\u0000b"]}'), null, /control characters/);
  await refused(parse("[g]\nh ansible_ssh_extra_args='-o\x01'\n"), 2, /control characters/);
  await refused(parse("[g]\nh\0\n"), 2, /NUL byte/);
  // The message quotes the name escaped: nothing raw reaches a terminal.
  const e = await refused(parse("[g]\nweb\x07\n"), 2, /control/);
  assert.ok(![...e.message].some((c) => c < " "), e.message);
});

Deno.test("hostile: a cycle of child groups is refused, not followed", async () => {
  await refused(
    parse("[a:children]\nb\n[b:children]\nc\n[c:children]\na\n"),
    6,
    /recursive dependency loop: .*a/,
  );
  await refused(parse("[a:children]\na\n"), 2, /cannot be a child of itself/);
  const yamlCycle =
    "all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n";
  await refused(parse(yamlCycle, { format: "yaml" }), 7, /recursive dependency loop/);
  await refused(
    parse('{"a": {"children": ["b"]}, "b": {"children": ["a"]}}'),
    null,
    /recursive dependency loop/,
  );
  await refused(parse("a: &x\n  children:\n    b: *x\n", { format: "yaml" }), 3, /Recursive alias/);
});

Deno.test("hostile: deep nesting, long chains and alias bombs end in an error, quickly", async () => {
  const started = performance.now();
  // A chain of 5000 child groups (Ansible has no bound; we stop at 1000 levels).
  let chain = "";
  for (let i = 0; i < 5000; i++) chain += `[g${i}:children]\ng${i + 1}\n`;
  chain += "[g5000]\nh\n";
  // Reported where the link that goes too deep was made: `[g1001:children]` declares g1001.
  await refused(parse(chain), 2003, /nest deeper than 1000/);
  // Deep flow nesting in YAML: no stack overflow escapes.
  const deep = "all:\n  vars:\n    x: " + "[".repeat(100_000) + "]".repeat(100_000) + "\n";
  await assert.rejects(parse(deep, { format: "yaml" }), InventoryError);
  // The billion laughs: refused by the yaml package's alias count.
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 1; i < 9; i++) {
    bomb += `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${
      Array(10).fill("*" + String.fromCharCode(96 + i)).join(", ")
    }]\n`;
  }
  bomb += "all:\n  vars:\n    boom: *i\n";
  await refused(parse(bomb, { format: "yaml" }), 12, /Excessive alias count/);
  // Deep Python literals are kept as text, not recursed into.
  const lit = await parse(`[g]\nh x=${"[".repeat(10_000)}${"]".repeat(10_000)}\n`);
  assert.equal(typeof lit.hosts.get("h")!.vars.x, "string");
  assert.ok(performance.now() - started < 20_000);
});

Deno.test("hostile: many hosts stay fast (no quadratic step)", async () => {
  const started = performance.now();
  const lines = ["[all:vars]", "ansible_user=u"];
  for (let g = 0; g < 200; g++) {
    lines.push(`[g${g}]`, `h${g}-[0000:0499] ansible_port=${1000 + g}`);
    lines.push(`[top:children]`, `g${g}`);
  }
  const inv = await parse(lines.join("\n"));
  assert.equal(inv.hosts.size, 100_000);
  const hosts = selectHosts(inv, "top:!g1*:&~h[0-9]+-000");
  // 89 groups are left once g1, g10-g19 and g100-g199 are excluded; 10 hosts each match.
  assert.equal(hosts.length, 890);
  assert.equal(hosts[0].host, "u@h0-0000");
  assert.ok(performance.now() - started < 15_000, `${performance.now() - started} ms`);
});

Deno.test("files: symlinks are followed; FIFOs, directories, huge and non-UTF-8 files refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "inventory-" });
  try {
    await Deno.symlink(fixture("fleet.ini"), `${dir}/link`);
    assert.equal((await readInventory(`${dir}/link`)).hosts.size, 14);
    await Deno.symlink(`${dir}/missing`, `${dir}/dangling`);
    await refused(
      readInventory(`${dir}/dangling`),
      null,
      /Cannot read the inventory/,
      `${dir}/dangling`,
    );
    await refused(readInventory(dir), null, /directory/, dir);
    const fifo = `${dir}/fifo`;
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
    await refused(readInventory(fifo), null, /Not a regular file/, fifo);
    await refused(readInventory("/dev/zero"), null, /Not a regular file/, "/dev/zero");
    const big = `${dir}/big`;
    using f = await Deno.create(big);
    await f.truncate(MAX_INVENTORY_BYTES + 1);
    await refused(readInventory(big), null, /too large/, big);
    await Deno.writeFile(`${dir}/latin1`, new Uint8Array([0x5b, 0x67, 0x5d, 0x0a, 0xe9, 0x0a]));
    await refused(readInventory(`${dir}/latin1`), null, /UTF-8/, `${dir}/latin1`);
    await Deno.writeTextFile(`${dir}/hosts`, "all:\n  hosts:\n    a:\n");
    assert.equal((await readInventory(`${dir}/hosts`)).format, "yaml");
    assert.equal((await readInventory(`${dir}/hosts`, { format: "yaml" })).hosts.size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function runDeno(script: string, args: string[], env: Record<string, string> = {}) {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        "--no-lock",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        ...args,
        file,
      ],
      env: { NO_COLOR: "1", ...env },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}

const LAZY_SCRIPT = `
  import { parseInventory } from ${
  JSON.stringify(new URL("../src/inventory/mod.ts", import.meta.url).href)
};
  console.log((await parseInventory("[w]\\na\\n")).hosts.size);
  try { await parseInventory("all:\\n  hosts:\\n    a:\\n"); console.log("yaml"); }
  catch (e) { console.log(e.name); }
`;

Deno.test("the yaml package is loaded only when a YAML inventory is read", async () => {
  // With an empty cache and no network, a static import of the package would fail at start.
  const cache = await Deno.makeTempDir({ prefix: "inventory-deno-dir-" });
  try {
    const run = await runDeno(LAZY_SCRIPT, ["--cached-only", "--no-check", "-A"], {
      DENO_DIR: cache,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "1\nTypeError\n"); // "npm package not found in cache"
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});

Deno.test("the yaml package's need for --allow-env passes through as a permission error", async () => {
  const run = await runDeno(LAZY_SCRIPT, ["--allow-read"]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "1\nNotCapable\n");
  const allowed = await runDeno(LAZY_SCRIPT, ["--allow-read", "--allow-env"]);
  assert.equal(allowed.stdout, "1\nyaml\n", allowed.stderr);
});

Deno.test("a YAML alias bomb (each alias naming the one before twice) is refused at once", async () => {
  const lines = ["all:", "  children:", "    x0: &a0 {hosts: {h0: null}}"];
  for (let k = 1; k <= 26; k++) {
    lines.push(`    x${k}: &a${k} {children: {p${k}: *a${k - 1}, q${k}: *a${k - 1}}}`);
  }
  const started = performance.now();
  await assert.rejects(
    parseInventory(lines.join("\n") + "\n", { format: "yaml", path: "bomb.yml" }),
    (e) => e instanceof InventoryError && /Too many aliases/.test(e.message),
  );
  assert.ok(performance.now() - started < 15_000); // without the budget: minutes
});

Deno.test("a large YAML inventory whose hosts share one anchor is read (no false alias bomb)", async () => {
  const lines = ["all:", "  hosts:", "    h0: &d {ansible_port: 2222}"];
  for (let i = 1; i < 3000; i++) lines.push(`    h${i}: *d`);
  const inventory = await parseInventory(lines.join("\n") + "\n", { format: "yaml" });
  const hosts = selectHosts(inventory);
  assert.equal(hosts.length, 3000);
  assert.deepEqual(hosts[2999].sshArgs, ["-p", "2222"]);
});
