/** The cap on calls in flight: never exceeded, even by a caller arriving as a slot frees. */
import assert from "node:assert/strict";
import { Limiter } from "../src/_client.ts";

Deno.test("Limiter never runs more than its limit at once, and runs everything", async () => {
  const limiter = new Limiter(2);
  let active = 0;
  let most = 0;
  const task = (ms: number) =>
    limiter.run(async () => {
      most = Math.max(most, ++active);
      await new Promise((r) => setTimeout(r, ms));
      active--;
      return ms;
    });
  const first = [task(5), task(1), task(3), task(2)];
  // Callers that arrive just as the first slot is handed over must queue, not slip in.
  const late = first[1].then(() => Promise.all([task(1), task(1)]));
  assert.deepEqual(await Promise.all(first), [5, 1, 3, 2]);
  assert.deepEqual(await late, [1, 1]);
  assert.equal(most, 2);
  assert.throws(() => new Limiter(0), RangeError);
});
