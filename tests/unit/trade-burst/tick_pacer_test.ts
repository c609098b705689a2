import assert from "node:assert/strict";
import type { QuoteStream } from "../../../supabase/functions/_shared/market_data/quote_stream.ts";
import { MIN_STREAM_TICK_MS, TickPacer } from "../../../supabase/functions/trade-burst/tick_pacer.ts";
import { ManualClock } from "../../support/manual_clock.ts";

/** The three members TickPacer uses; `nextTop` records how long it was asked to wait. */
function fakeStream(unseen: boolean) {
  const waits: number[] = [];
  let seen = 0;
  const stream = {
    hasUnseenTop: () => unseen,
    nextTop: (ms: number) => {
      waits.push(ms);
      return Promise.resolve(true);
    },
    markSeen: () => {
      seen += 1;
      unseen = false;
    },
  };
  return { stream: stream as unknown as QuoteStream, waits, seen: () => seen };
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

Deno.test("streaming: a top that arrived during the tick starts the next one after the minimum spacing", async () => {
  const clock = new ManualClock();
  const { stream, waits, seen } = fakeStream(true);
  const pacer = new TickPacer(clock, 1000, stream);
  const start = clock.monotonicMs();
  clock.advance(30);
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [MIN_STREAM_TICK_MS - 30]);
  assert.deepEqual(waits, [], "no wait for a top already there");
  assert.equal(seen(), 1);
});

Deno.test("streaming: without a top, waits for one until burst_tick_ms at the latest", async () => {
  const clock = new ManualClock();
  const { stream, waits } = fakeStream(false);
  const pacer = new TickPacer(clock, 1000, stream);
  const start = clock.monotonicMs();
  clock.advance(250);
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual(clock.sleeps, [], "past the minimum spacing already");
  assert.deepEqual(waits, [750]);
  assert.equal(pacer.minSpacingMs, MIN_STREAM_TICK_MS);
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
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual([clock.sleeps, topWaits, waits], [[], [], []]);
});

Deno.test("order stream: the spacing wait ends when an update arrives; polling waits on updates, not the clock", async () => {
  const clock = new ManualClock();
  const { stream, waits: topWaits } = fakeStream(false);
  const streaming = fakeOrders(false, true);
  const pacer = new TickPacer(clock, 1000, stream, streaming.orders);
  const start = clock.monotonicMs();
  clock.advance(30);
  await pacer.wait(start, clock.monotonicMs());
  assert.deepEqual(streaming.waits, [MIN_STREAM_TICK_MS - 30], "waited for an update during the spacing");
  assert.deepEqual([clock.sleeps, topWaits], [[], []], "then ticked without waiting for a top");

  const polling = fakeOrders(false, false);
  const polled = new TickPacer(clock, 1000, undefined, polling.orders);
  const at = clock.monotonicMs();
  clock.advance(300);
  await polled.wait(at, clock.monotonicMs());
  assert.deepEqual(polling.waits, [700]);
});
