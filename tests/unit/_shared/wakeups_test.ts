import assert from "node:assert/strict";
import { waitForAny, Wakeups } from "../../../supabase/functions/_shared/wakeups.ts";
import { trackPendingTimers } from "../../support/pending_timers.ts";

Deno.test("waitForAny: a wake of either source ends the wait, clears its timer and leaves no waiter", async () => {
  const timers = trackPendingTimers();
  try {
    const tops = new Wakeups();
    const orders = new Wakeups();
    const waiting = waitForAny([tops, orders], 60_000);
    assert.deepEqual([tops.waiting, orders.waiting, timers.pending()], [1, 1, 1], "two sources, one timer");
    orders.wakeAll();
    assert.equal(await waiting, true);
    assert.deepEqual([tops.waiting, orders.waiting], [0, 0], "removed from the source that did not wake too");
    assert.equal(timers.pending(), 0, "no timer left to wake the process later");
  } finally {
    timers.restore();
  }
});

Deno.test("waitForAny: nothing wakes, so it answers false after the timeout and leaves no waiter", async () => {
  const tops = new Wakeups();
  assert.equal(await waitForAny([tops], 1), false);
  assert.equal(tops.waiting, 0);
  assert.equal(await waitForAny([tops], 0), false, "no time to wait");
  assert.equal(await waitForAny([], 60_000), false, "nothing to wait for");
});

Deno.test("Wakeups: wakeAll wakes each current waiter once; one added meanwhile waits for the next", async () => {
  const source = new Wakeups();
  const woken: string[] = [];
  let later: Promise<boolean> | undefined;
  source.add(() => {
    woken.push("first");
    later = waitForAny([source], 60_000);
  });
  source.add(() => woken.push("second"));
  source.wakeAll();
  assert.deepEqual(woken, ["first", "second"]);
  assert.equal(source.waiting, 1, "the wait added while waking is pending");
  source.wakeAll();
  assert.equal(await later, true);
  assert.deepEqual(woken, ["first", "second"]);
});
