import assert from "node:assert/strict";
import {
  MIN_DECISION_SPACING_MS,
  TickPacer,
  type TopWake,
} from "../../../supabase/functions/trade-burst/tick_pacer.ts";
import { ManualClock } from "../../support/manual_clock.ts";

/** The two members TickPacer uses; `nextTop` records how long it was asked to wait and answers `arrives`. */
function fakeStream(unseen: boolean, arrives = true) {
  const waits: number[] = [];
  const stream: TopWake = {
    hasUnseenTop: () => unseen,
    nextTop: (ms: number) => {
      waits.push(ms);
      return Promise.resolve(arrives);
    },
  };
  return { stream, waits };
}

Deno.test("polling: the next tick starts burst_tick_ms after the last one started", async () => {
  const clock = new ManualClock();
  const pacer = new TickPacer(clock, 1000);
  const start = clock.monotonicMs();
  clock.advance(300);
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [700]);
  assert.equal(pacer.minSpacingMs, 1000);
});

Deno.test("streaming: a top no round has taken starts the next round at once after a quiet spell", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  clock.advance(MIN_DECISION_SPACING_MS + 5);
  await pacer.waitForData(prepared, prepared, clock.monotonicMs());
  assert.deepEqual([clock.sleeps, waits], [[], []], "no pause and no wait for a top already there");
});

Deno.test("streaming: tops within the spacing after a round wait for its end, then go together", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  clock.advance(5);
  await pacer.waitForData(prepared, clock.monotonicMs() - 2, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [MIN_DECISION_SPACING_MS - 2]);
  assert.deepEqual(waits, []);
});

Deno.test("streaming: without a top, waits for one until burst_tick_ms after the last prepared tick", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(false, false);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  clock.advance(250);
  await pacer.waitForData(prepared, prepared, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [], "past the spacing already");
  assert.deepEqual(waits, [750]);
  assert.equal(pacer.minSpacingMs, MIN_DECISION_SPACING_MS);

  // burst_tick_ms already gone by: the prepared tick polls now, no wait at all.
  clock.advance(800);
  await pacer.waitForData(prepared, prepared + 250, clock.monotonicMs());
  assert.deepEqual(waits, [750]);
});

/** The order stream's two members the pacer uses; `nextEvent` answers `arrives` and records how long it was asked. */
function fakeOrders(pending: boolean, arrives: boolean) {
  const waits: number[] = [];
  return {
    orders: {
      hasEvent: () => pending,
      nextEvent: (ms: number) => {
        waits.push(ms);
        return Promise.resolve(arrives);
      },
    },
    waits,
  };
}

Deno.test("order stream: an update already waiting starts the next tick at once, spacing or not", async () => {
  const clock = new ManualClock();
  const { stream, waits: topWaits } = fakeStream(false);
  const { orders, waits } = fakeOrders(true, true);
  const pacer = new TickPacer(clock, 1000, stream, orders);
  const start = clock.monotonicMs();
  clock.advance(10);
  await pacer.waitForData(start, start + 5, clock.monotonicMs());
  assert.deepEqual([clock.sleeps, topWaits, waits], [[], [], []]);
});

Deno.test("order stream: the spacing wait ends when an update arrives; polling waits on updates, not the clock", async () => {
  const clock = new ManualClock();
  const { stream, waits: topWaits } = fakeStream(false);
  const streaming = fakeOrders(false, true);
  const pacer = new TickPacer(clock, 1000, stream, streaming.orders);
  const start = clock.monotonicMs();
  clock.advance(30);
  await pacer.waitForData(start, clock.monotonicMs() - 5, clock.monotonicMs());
  assert.deepEqual(streaming.waits, [MIN_DECISION_SPACING_MS - 5], "waited for an update during the spacing");
  assert.deepEqual([clock.sleeps, topWaits], [[], []], "then ticked without waiting for a top");

  const polling = fakeOrders(false, false);
  const polled = new TickPacer(clock, 1000, undefined, polling.orders);
  const at = clock.monotonicMs();
  clock.advance(300);
  await polled.wait(at, clock.monotonicMs());
  assert.deepEqual(polling.waits, [700]);
});
