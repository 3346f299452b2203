#!/usr/bin/env python3
"""Records what real Ansible makes of tests/inventory/fleet.* (run by hand where ansible-core is
installed; the tests only read the result, tests/inventory/expected.json): for each fixture, every
host's merged variables (`ansible-inventory --list`) and, for each pattern, the hosts
`ansible all --limit PATTERN --list-hosts` lists, in order (or the error it gives).

Ansible orders the hosts of grandchild groups by iterating a Python set of groups, so that order
changes with the string hash seed: each pattern is run under several PYTHONHASHSEED values and
every distinct order is recorded."""
import json, os, subprocess, sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "inventory")
PATTERNS = {
    "fleet.ini": ["all", "*", "webservers", "web*", "~^db-", "prod:&dbservers", "prod:!webservers",
                  "webservers[0]", "webservers[1:2]", "webservers[-1]", "webservers[4:]",
                  "webservers,dbservers", "webservers:dbservers:&prod:!db-b.example.com",
                  "*.example.com:!web*", "!webservers", "&prod", "staging:bastion.example.com",
                  "ungrouped", "worker?.example.com", "db-[ab].example.com", "nope", "web:nope"],
    "fleet.yml": ["all", "eu", "eu_web:&eu", "databases:!us", "~\\.us\\.", "*_db", "us[1]",
                  "2001:db8::1", "all:!eu", "databases,&eu", "missing"],
    "fleet.json": ["all", "databases:!us", "eu_web", "*_db:&eu"],
}
SEEDS = 6
ENV = {"PATH": "/usr/bin:/bin", "ANSIBLE_HOST_PATTERN_MISMATCH": "error",
       "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}


def source(name):
    # Ansible reads `ansible-inventory --list` JSON through an inventory script.
    path = os.path.join(HERE, name)
    if not name.endswith(".json"):
        return path, None
    script = "/tmp/inventory_expected.sh"
    with open(script, "w") as f:
        f.write("#!/bin/sh\ncat '%s'\n" % path)
    os.chmod(script, 0o755)
    return script, script


out = {}
for name, patterns in PATTERNS.items():
    src, _ = source(name)
    inv = json.loads(subprocess.run(["ansible-inventory", "-i", src, "--list"], env=ENV,
                                    check=True, capture_output=True, text=True).stdout)
    hostvars = inv["_meta"]["hostvars"]
    for v in hostvars.values():
        v.pop("inventory_file", None)
        v.pop("inventory_dir", None)
    limits = {}
    for p in patterns:
        orders = []
        for seed in range(SEEDS):
            r = subprocess.run(["ansible", "all", "-i", src, "--limit", p, "--list-hosts"],
                               env={**ENV, "PYTHONHASHSEED": str(seed)},
                               capture_output=True, text=True)
            if r.returncode != 0:
                limits[p] = {"error": (r.stderr.strip().splitlines() or [""])[-1]}
                break
            hosts = [l.strip() for l in r.stdout.splitlines()[1:]]
            if hosts not in orders:
                orders.append(hosts)
        else:
            limits[p] = {"orders": orders}
    out[name] = {"hostvars": hostvars, "limits": limits}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
