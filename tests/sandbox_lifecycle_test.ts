import assert, { deepStrictEqual, deepStrictEqual as assertEquals } from "node:assert/strict";
import { startSandbox } from "./support/sandbox.ts";
import { alive, until } from "./support/poll.ts";

const JOBS = "/com/ubuntu/Upstart/jobs";

Deno.test("a service starts, publishes a live pid, and stopping it kills the process", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  const [path] = await sb.call("Start", "asb", [[], true], `${JOBS}/svc`);
  assertEquals(path, `${JOBS}/svc/_`);
  const props = await sb.client.getAllProperties({
    destination: "com.ubuntu.Upstart",
    path: `${JOBS}/svc/_`,
    interface: "com.ubuntu.Upstart0_6.Instance",
  });
  assertEquals(props.goal, "start");
  assertEquals(props.state, "running");
  const procs = props.processes as [string, number][];
  assertEquals(procs.length, 1);
  assertEquals(procs[0][0], "main");
  const pid = procs[0][1];
  assert(alive(pid));
  await sb.call("Stop", "asb", [[], true], `${JOBS}/svc`);
  await until(() => !alive(pid), "the process to be gone", 5000);
  const [all] = await sb.call("GetAllInstances", "", [], `${JOBS}/svc`);
  deepStrictEqual(all, []);
});

Deno.test("signals for start and stop come in Upstart's order", async () => {
  await using sb = await startSandbox({ jobs: { svc: "exec sleep 1000\n" } });
  await using rec = await sb.record();
  await sb.call("Start", "asb", [[], false], `${JOBS}/svc`);
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "started");
  await sb.call("Stop", "asb", [[], false], `${JOBS}/svc`);
  await rec.until((m) => m.member === "EventEmitted" && m.body[0] === "stopped");
  assertEquals(rec.summary(), [
    `InstanceAdded(${JOBS}/svc/_)`,
    "GoalChanged(start)",
    "StateChanged(starting)",
    "StateChanged(security-spawning)",
    "StateChanged(security)",
    "StateChanged(pre-starting)",
    "StateChanged(pre-start)",
    "StateChanged(spawning)",
    "StateChanged(spawned)",
    "EventEmitted(starting)",
    "StateChanged(post-starting)",
    "StateChanged(post-start)",
    "StateChanged(running)",
    "EventEmitted(started)",
    "GoalChanged(stop)",
    "StateChanged(pre-stopping)",
    "StateChanged(pre-stop)",
    "StateChanged(stopping)",
    "StateChanged(killed)",
    "EventEmitted(stopping)",
    "StateChanged(post-stopping)",
    "StateChanged(post-stop)",
    "StateChanged(waiting)",
    `InstanceRemoved(${JOBS}/svc/_)`,
    "EventEmitted(stopped)",
  ]);
  const stopping = rec.seen.find((m) => m.member === "EventEmitted" && m.body[0] === "stopping")!;
  deepStrictEqual(stopping.body[1], ["JOB=svc", "INSTANCE=", "RESULT=ok"]);
  const started = rec.seen.find((m) => m.member === "EventEmitted" && m.body[0] === "started")!;
  deepStrictEqual(started.body[1], ["JOB=svc", "INSTANCE="]);
});
