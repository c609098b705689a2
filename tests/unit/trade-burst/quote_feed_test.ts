import assert from "node:assert/strict";
import type { VenueClient } from "../../../supabase/functions/_shared/exchange/venue_client.ts";
import type { QuoteStream } from "../../../supabase/functions/_shared/market_data/quote_stream.ts";
import type { Quote } from "../../../supabase/functions/_shared/trading/quote.ts";
import { QuoteFeed, STREAM_MOMENTUM_SAMPLE_MS } from "../../../supabase/functions/trade-burst/quote_feed.ts";
import { emptyVenueSummary } from "../../../supabase/functions/trade-burst/summary.ts";
import { ManualClock } from "../../support/manual_clock.ts";

const ETH = "ETH/USDT";
const BTC = "BTC/USDT";

/** A stream that is up with the tops the test sets; `push` marks a symbol changed, as a message would. */
function fakeStream() {
  const tops = new Map<string, Quote>();
  const changed = new Set<string>();
  const stream = {
    tops: () => tops,
    takeChanged: () => {
      const out = new Set(changed);
      changed.clear();
      return out;
    },
  };
  return {
    stream: stream as unknown as QuoteStream,
    push(symbol: string, mid: number) {
      tops.set(symbol, { bid: mid - 1, ask: mid + 1 });
      changed.add(symbol);
    },
  };
}

const noRest = { fetchQuotes: () => Promise.reject(new Error("no REST quote while the stream is up")) };

/** A feed of ETH and BTC on binance reading the fake stream, on a manual clock. */
function streamedFeed() {
  const clock = new ManualClock();
  const { stream, push } = fakeStream();
  const feed = new QuoteFeed({
    venue: "binance",
    client: noRest as unknown as VenueClient,
    symbols: [ETH, BTC],
    quotes: new Map(),
    summary: emptyVenueSummary("binance"),
    stream,
    clock,
  });
  return { clock, push, feed };
}

Deno.test("streamed reads: only pushed symbols count as changed; a mid enters momentum at most every 100 ms", async () => {
  const { clock, push, feed } = streamedFeed();
  push(ETH, 3000);
  push(BTC, 60000);
  assert.deepEqual([...(await feed.read(20))!].sort(), [BTC, ETH]);
  // Pushes every 25 ms for 200 ms: ETH's buffer takes a sample at 0, 100 and 200 ms only, each slot ending on its
  // latest mid, and the newest sample is always the latest mid.
  for (let i = 1; i <= 8; i++) {
    clock.advance(25);
    push(ETH, 3000 + i);
    assert.deepEqual([...(await feed.read(20))!], [ETH], "BTC did not move");
    assert.equal(feed.momentum(ETH).at(-1), 3000 + i);
  }
  assert.deepEqual(feed.momentum(ETH), [3003, 3007, 3008]);
  assert.equal(STREAM_MOMENTUM_SAMPLE_MS, 100);
  // A symbol without a new top is still sampled on that cadence (flat stretches count).
  assert.deepEqual(feed.momentum(BTC), [60000, 60000, 60000]);
});

Deno.test("streamed reads: a top that moves just after a flat sample is in the buffer at once", async () => {
  const { clock, push, feed } = streamedFeed();
  push(ETH, 3000);
  push(BTC, 60000);
  await feed.read(20);
  // ETH's push at 100 ms reads BTC too: a flat sample of BTC is taken then.
  clock.advance(100);
  push(ETH, 3001);
  await feed.read(20);
  assert.deepEqual(feed.momentum(BTC), [60000, 60000]);
  // BTC moves 30 ms later, inside that sample's slot: the decision on this top must see 60060, not wait a slot.
  clock.advance(30);
  push(BTC, 60060);
  assert.deepEqual([...(await feed.read(20))!], [BTC]);
  assert.deepEqual(feed.momentum(BTC), [60000, 60060]);
  // A read within the slot that BTC did not move in leaves its samples alone.
  clock.advance(20);
  push(ETH, 3002);
  await feed.read(20);
  assert.deepEqual(feed.momentum(BTC), [60000, 60060]);
});

Deno.test("restartMomentum empties every buffer; the next read samples at once", async () => {
  const { clock, push, feed } = streamedFeed();
  push(ETH, 3000);
  push(BTC, 60000);
  await feed.read(20);
  // Reads a second apart (a burst with no rounds): one sample each.
  for (let i = 1; i <= 3; i++) {
    clock.advance(1000);
    push(ETH, 3000 + 10 * i);
    await feed.read(20);
  }
  assert.deepEqual(feed.momentum(ETH), [3000, 3010, 3020, 3030]);
  feed.restartMomentum();
  assert.deepEqual([feed.momentum(ETH), feed.momentum(BTC)], [[], []]);
  // 10 ms later, inside the last sample's slot: a sample all the same, since the buffers start again.
  clock.advance(10);
  push(ETH, 3031);
  await feed.read(20);
  assert.deepEqual([feed.momentum(ETH), feed.momentum(BTC)], [[3031], [60000]]);
});
