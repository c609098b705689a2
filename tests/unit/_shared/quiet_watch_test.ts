import assert from "node:assert/strict";
import { QuietWatch } from "../../../supabase/functions/_shared/quiet_watch.ts";
import { waitFor } from "../../support/wait_for.ts";

/** A watch on a fake clock (`now`), with a short stall window so its real timers come around quickly. */
function watched(stallMs = 40) {
  const state = { now: 0, listening: true, probes: 0, stalls: [] as number[], checks: 0 };
  const watch = new QuietWatch({
    stallMs,
    nowMs: () => state.now,
    // Each check asks this first.
    listening: () => (state.checks++, state.listening),
    probe: () => state.probes++,
    stalled: (quietMs) => state.stalls.push(quietMs),
  });
  return { watch, state };
}

Deno.test("QuietWatch: probes after half the stall window of quiet, reports the stall after all of it", async () => {
  const { watch, state } = watched();
  watch.heard();
  watch.start();
  try {
    state.now = 15;
    // Two of its checks go by: quiet for less than half the window, no probe.
    const checks = state.checks;
    await waitFor("two checks", () => state.checks >= checks + 2);
    assert.deepEqual([state.probes, state.stalls], [0, []]);
    assert.equal(watch.stale, false);

    state.now = 25;
    await waitFor("the probe", () => state.probes === 1);
    state.now = 35;
    const after = state.checks;
    await waitFor("another check", () => state.checks >= after + 1);
    assert.deepEqual([state.probes, state.stalls], [1, []], "one probe per quiet spell, no stall yet");

    state.now = 41;
    assert.equal(watch.stale, true);
    await waitFor("the stall", () => state.stalls.length === 1);
    assert.deepEqual(state.stalls, [41]);
  } finally {
    watch.stop();
  }
});

Deno.test("QuietWatch: a message ends the quiet spell; a socket still connecting is never quiet", async () => {
  const { watch, state } = watched();
  watch.heard();
  watch.start();
  try {
    state.now = 25;
    await waitFor("the probe", () => state.probes === 1);
    state.now = 30;
    watch.heard();
    state.now = 55;
    await waitFor("the next probe", () => state.probes === 2);
    assert.deepEqual(state.stalls, [], "heard at 30: quiet for 25 ms, not the 40 ms of a stall");

    state.listening = false;
    state.now = 500;
    const checks = state.checks;
    await waitFor("checks while connecting", () => state.checks >= checks + 2);
    assert.deepEqual([state.probes, state.stalls], [2, []]);
  } finally {
    watch.stop();
  }
});

Deno.test("QuietWatch: stopped, it checks no more", async () => {
  const { watch, state } = watched();
  watch.heard();
  watch.start();
  watch.stop();
  state.now = 1_000;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual([state.checks, state.probes, state.stalls], [0, 0, []]);
});
