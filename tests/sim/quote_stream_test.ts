// Our own book-top stream client (_shared/market_data) against the simulator's WebSocket streams and faults.

import assert from "node:assert/strict";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { STREAM_PROTOCOLS } from "../../supabase/functions/_shared/market_data/protocols.ts";
import { QuoteStream } from "../../supabase/functions/_shared/market_data/quote_stream.ts";
import { BOOK_UPDATES, type BookUpdates } from "../../supabase/functions/_shared/settings.ts";

const SYMBOLS = ["BTC/USDT", "ETH/USDT"];

async function setup(): Promise<Simulator> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 3, config });
  for (const venue of ["binance", "okx"] as const) {
    sim.market.setQuote(venue, "BTC/USDT", { bid: 60_000, ask: 60_010 });
    sim.market.setQuote(venue, "ETH/USDT", { bid: 3_000, ask: 3_000.5 });
  }
  return sim;
}

function streamFor(
  sim: Simulator,
  venue: "binance" | "okx",
  updates: BookUpdates = "conflated",
  stallMs = 60_000,
): QuoteStream {
  const protocol = STREAM_PROTOCOLS[venue][updates];
  const baseUrl = venue === "binance" ? sim.binance.baseUrl : sim.okx.baseUrl;
  return new QuoteStream({ url: protocol.url({ baseUrl, sandbox: false }), protocol, symbols: SYMBOLS, stallMs });
}

/** Waits for tops until `done` holds (bounded by count; each wait ends on a top or after 2 s). */
async function until(stream: QuoteStream, done: () => boolean, limit = 100): Promise<void> {
  for (let i = 0; i < limit && !done(); i++) await stream.nextTop(2_000);
  assert.ok(done(), "condition not reached");
}

for (const [venue, updates] of (["binance", "okx"] as const).flatMap((v) => BOOK_UPDATES.map((u) => [v, u] as const))) {
  const name = `${venue} ${STREAM_PROTOCOLS[venue][updates].channel}`;
  Deno.test(`${name} stream: latest top per symbol, then each change`, async () => {
    const sim = await setup();
    const stream = streamFor(sim, venue, updates);
    try {
      stream.start();
      await until(stream, () => stream.tops()?.size === 2);
      assert.deepEqual(stream.tops()?.get("BTC/USDT"), { bid: 60_000, ask: 60_010 });
      sim.market.setQuote(venue, "ETH/USDT", { bid: 3_100, ask: 3_100.5 });
      await until(stream, () => stream.tops()?.get("ETH/USDT")?.bid === 3_100);
      assert.equal(stream.stats.garbage, 0);
      assert.equal(stream.stats.reconnects, 0);
    } finally {
      await stream.close();
      await sim.stop();
    }
  });

  Deno.test(`${name} stream: a drop is replaced and the tops come back`, async () => {
    const sim = await setup();
    const stream = streamFor(sim, venue, updates);
    try {
      stream.start();
      await until(stream, () => stream.up);
      sim.streams.faults.drop(venue);
      await until(stream, () => stream.stats.drops === 1 && stream.up);
      assert.equal(stream.stats.reconnects, 1);
      sim.market.setQuote(venue, "BTC/USDT", { bid: 61_000, ask: 61_010 });
      await until(stream, () => stream.tops()?.get("BTC/USDT")?.bid === 61_000);
    } finally {
      await stream.close();
      await sim.stop();
    }
  });

  Deno.test(`${name} stream: garbage replaces the socket; duplicates leave the latest top as it was`, async () => {
    const sim = await setup();
    const stream = streamFor(sim, venue, updates);
    try {
      stream.start();
      await until(stream, () => stream.tops()?.size === 2);
      sim.streams.faults.garbage(venue, 1);
      sim.market.setQuote(venue, "BTC/USDT", { bid: 60_001, ask: 60_010 });
      await until(stream, () => stream.stats.garbage === 1 && stream.tops()?.get("BTC/USDT")?.bid === 60_001);
      assert.equal(stream.stats.reconnects, 1);
      sim.streams.faults.duplicate(venue);
      sim.market.setQuote(venue, "BTC/USDT", { bid: 60_002, ask: 60_010 });
      await until(stream, () => stream.tops()?.get("BTC/USDT")?.bid === 60_002);
      assert.ok(sim.streams.faults.applied.duplicated >= 1);
      assert.deepEqual(stream.tops()?.get("BTC/USDT"), { bid: 60_002, ask: 60_010 });
    } finally {
      await stream.close();
      await sim.stop();
    }
  });
}

Deno.test("a stalled stream is down, replaced after stallMs, and up again once the venue speaks", async () => {
  const sim = await setup();
  // Short stall window so the test waits little; the condition polls, not a timing threshold.
  const stream = streamFor(sim, "okx", "conflated", 300);
  try {
    stream.start();
    await until(stream, () => stream.up);
    sim.streams.faults.stall("okx", 60_000);
    for (let i = 0; i < 200 && stream.stats.stalls === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(stream.stats.stalls, 1);
    assert.equal(stream.up, false);
    assert.equal(stream.tops(), undefined);
    sim.streams.faults.resume("okx");
    await until(stream, () => stream.up);
    assert.ok(stream.stats.reconnects >= 1);
  } finally {
    await stream.close();
    await sim.stop();
  }
});

Deno.test("binance depth5@100ms: a top every 100 ms, changed or not; a repeat wakes no round", async () => {
  const sim = await setup();
  const stream = streamFor(sim, "binance", "conflated");
  try {
    stream.start();
    await until(stream, () => stream.tops()?.size === 2);
    // Bounded wait on a condition: the quote does not move, so every further top is a repeat.
    for (let i = 0; i < 100 && stream.stats.repeats < 6; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(stream.stats.repeats >= 6, `repeats ${stream.stats.repeats}`);
    assert.equal(stream.hasUnseenTop(), true);
    assert.deepEqual([...stream.takeChanged()].sort(), SYMBOLS.toSorted());
    for (let i = 0; i < 100 && stream.stats.repeats < 12; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(stream.hasUnseenTop(), false, "a repeated top is not offered as changed");
    sim.market.setQuote("binance", "ETH/USDT", { bid: 3_001, ask: 3_001.5 });
    await until(stream, () => stream.hasUnseenTop());
    assert.deepEqual([...stream.takeChanged()], ["ETH/USDT"]);
    assert.deepEqual(stream.tops()?.get("ETH/USDT"), { bid: 3_001, ask: 3_001.5 });
    assert.equal(stream.stats.garbage, 0);
  } finally {
    await stream.close();
    await sim.stop();
  }
});

Deno.test("reconnects are bounded: after maxReconnects the stream stays down", async () => {
  const sim = await setup();
  const protocol = STREAM_PROTOCOLS.binance.conflated;
  const stream = new QuoteStream({
    url: protocol.url({ baseUrl: sim.binance.baseUrl, sandbox: false }),
    protocol,
    symbols: SYMBOLS,
    maxReconnects: 2,
  });
  try {
    stream.start();
    for (let i = 0; i < 3; i++) {
      await until(stream, () => stream.up);
      sim.streams.faults.drop("binance");
      for (let j = 0; j < 200 && stream.stats.drops <= i; j++) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(stream.stats.drops, 3);
    assert.equal(stream.stats.reconnects, 2);
    assert.equal(stream.up, false);
  } finally {
    await stream.close();
    await sim.stop();
  }
});
