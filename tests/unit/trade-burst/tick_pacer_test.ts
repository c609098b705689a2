import assert from "node:assert/strict";
import {
  MIN_DECISION_SPACING_MS,
  ROUND_BUDGET,
  TickPacer,
  type TopWake,
} from "../../../supabase/functions/trade-burst/tick_pacer.ts";
import { ManualClock } from "../../support/manual_clock.ts";
import { Wakeups } from "../../../supabase/functions/_shared/wakeups.ts";

/**
 * The two members TickPacer uses; `nextTop` records how long it was asked to wait and answers `arrives`. `state`
 * changes what it answers next.
 */
function fakeStream(unseen: boolean, arrives = true) {
  const waits: number[] = [];
  /** The other source each wait was also woken by (the order stream's), if any. */
  const alsoWokenBy: (Wakeups | undefined)[] = [];
  const state = { unseen, arrives };
  const stream: TopWake = {
    hasUnseenTop: () => state.unseen,
    nextTop: (ms: number, also?: Wakeups) => {
      waits.push(ms);
      alsoWokenBy.push(also);
      return Promise.resolve(state.arrives);
    },
  };
  return { stream, waits, state, alsoWokenBy };
}

Deno.test("polling: the next tick starts burst_tick_ms after the last one started", async () => {
  const clock = new ManualClock();
  const pacer = new TickPacer(clock, 1000);
  const start = clock.monotonicMs();
  clock.advance(300);
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [700]);
  assert.equal(pacer.maxTicks(10_000), 11);
});

Deno.test("streaming: a top no round has taken starts the next round at once", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual([clock.sleeps, waits], [[], []], "no pause and no wait for a top already there");
});

Deno.test("streaming: the budget lets the tops of one moment go back to back, then refills one round per spacing", async () => {
  const clock = new ManualClock();
  const { stream } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  for (let round = 0; round < ROUND_BUDGET; round++) await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [], `${ROUND_BUDGET} rounds without a timer`);

  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [MIN_DECISION_SPACING_MS], "the next waits for a round to come back");

  clock.advance(MIN_DECISION_SPACING_MS / 2);
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [MIN_DECISION_SPACING_MS, MIN_DECISION_SPACING_MS / 2], "half a round already back");

  // A quiet spell refills the budget, never beyond it.
  clock.advance(MIN_DECISION_SPACING_MS * ROUND_BUDGET * 10);
  for (let round = 0; round < ROUND_BUDGET; round++) await pacer.waitForData(prepared, clock.monotonicMs());
  assert.equal(clock.sleeps.length, 2);
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.equal(clock.sleeps.length, 3);
  assert.equal(pacer.maxTicks(1000), Math.ceil(1000 / MIN_DECISION_SPACING_MS) + 1 + ROUND_BUDGET);
});

Deno.test("streaming: without a top, waits for one until burst_tick_ms after the last prepared tick", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(false, false);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  clock.advance(250);
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, []);
  assert.deepEqual(waits, [750]);

  // burst_tick_ms already gone by: the prepared tick polls now, no wait at all.
  clock.advance(800);
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(waits, [750]);
});

Deno.test("streaming: a top that wakes an empty budget waits for a round to come back", async () => {
  const clock = new ManualClock();
  const { stream, waits, state } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const prepared = clock.monotonicMs();
  for (let round = 0; round < ROUND_BUDGET; round++) await pacer.waitForData(prepared, clock.monotonicMs());
  // No top waiting now: the pacer waits for one, and the one that comes finds the budget empty.
  state.unseen = false;
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(waits, [1000]);
  assert.deepEqual(clock.sleeps, [MIN_DECISION_SPACING_MS]);
});

/** The order stream's two members the pacer uses; `nextEvent` answers `arrives` and records how long it was asked. */
function fakeOrders(pending: boolean, arrives: boolean) {
  const waits: number[] = [];
  return {
    orders: {
      eventArrivals: new Wakeups(),
      hasEvent: () => pending,
      nextEvent: (ms: number) => {
        waits.push(ms);
        return Promise.resolve(arrives);
      },
    },
    waits,
  };
}

Deno.test("order stream: an update already waiting starts the next tick at once, budget or not", async () => {
  const clock = new ManualClock();
  const { stream, waits: topWaits } = fakeStream(false);
  const { orders, waits } = fakeOrders(true, true);
  const pacer = new TickPacer(clock, 1000, stream, orders);
  const start = clock.monotonicMs();
  clock.advance(10);
  await pacer.waitForData(start, clock.monotonicMs());
  assert.deepEqual([clock.sleeps, topWaits, waits], [[], [], []]);
});

Deno.test("order stream: the wait for a round ends when an update arrives; polling waits on updates, not the clock", async () => {
  const clock = new ManualClock();
  const tops = fakeStream(true);
  const streaming = fakeOrders(false, true);
  const pacer = new TickPacer(clock, 1000, tops.stream, streaming.orders);
  const start = clock.monotonicMs();
  for (let round = 0; round < ROUND_BUDGET; round++) await pacer.waitForData(start, clock.monotonicMs());
  assert.deepEqual(streaming.waits, []);
  clock.advance(5);
  await pacer.waitForData(start, clock.monotonicMs());
  assert.deepEqual(streaming.waits, [MIN_DECISION_SPACING_MS - 5], "waited for an update while the budget refilled");
  assert.deepEqual([clock.sleeps, tops.waits], [[], []], "then ticked without waiting for a top");

  const polling = fakeOrders(false, false);
  const polled = new TickPacer(clock, 1000, undefined, polling.orders);
  const at = clock.monotonicMs();
  clock.advance(300);
  await polled.wait(at, clock.monotonicMs());
  assert.deepEqual(polling.waits, [700]);
});

Deno.test("order stream: waiting for a top is one wait that an update also ends, not a race of two", async () => {
  const clock = new ManualClock();
  const tops = fakeStream(false, true);
  const { orders, waits } = fakeOrders(false, false);
  const pacer = new TickPacer(clock, 1000, tops.stream, orders);
  const prepared = clock.monotonicMs();
  clock.advance(100);
  await pacer.waitForData(prepared, clock.monotonicMs());
  assert.deepEqual(tops.waits, [900]);
  assert.equal(tops.alsoWokenBy[0], orders.eventArrivals, "the order stream's arrivals end the same wait");
  assert.deepEqual(waits, [], "no wait of the order stream's own beside it");
});
