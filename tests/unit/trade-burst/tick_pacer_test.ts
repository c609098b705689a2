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
