import assert from "node:assert/strict";
import { whileBurstRuns } from "../../support/burst_in_flight.ts";

Deno.test("a step that throws waits for the burst in flight before its error goes on", async () => {
  let finish!: () => void;
  let burstDone = false;
  const burst = new Promise<void>((resolve) => finish = resolve).then(() => {
    burstDone = true;
  });
  const failing = whileBurstRuns(burst, () => Promise.reject(new Error("assertion")));
  let settled = false;
  failing.catch(() => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(settled, false, "still waiting for the burst");
  finish();
  await assert.rejects(failing, /assertion/);
  assert.equal(burstDone, true);
});

Deno.test("steps that pass give their result; a burst that failed does not hide the step's own error", async () => {
  assert.equal(await whileBurstRuns(Promise.resolve(), () => Promise.resolve(7)), 7);
  const refused = Promise.reject(new Error("burst refused"));
  await assert.rejects(whileBurstRuns(refused, () => Promise.reject(new Error("step"))), /step/);
});
