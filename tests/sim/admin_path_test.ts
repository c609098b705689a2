// Scripting prices over the admin API, as a script in another process does it: plain HTTP to /admin and to the
// venues, no in-process engine call. Covers the idle-gap defect (a path set after a quiet spell was swallowed by the
// steps the clock had made due) and the `advance: "read"` paths the e2e tests drive the bot with.

import assert from "node:assert/strict";
import { ManualClock } from "../../dev/sim/clock.ts";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";

const POINTS = [
  { bid: 60_100, ask: 60_101 },
  { bid: 60_200, ask: 60_201 },
  { bid: 60_300, ask: 60_301 },
];

async function withSim(clock: ManualClock | undefined, body: (sim: Simulator) => Promise<void>): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 1_000;
  config.okx.priceStepIntervalMs = 1_000;
  const sim = await startSimulator({ seed: 5, config, clock });
  try {
    await body(sim);
  } finally {
    await sim.stop();
  }
}

async function admin(sim: Simulator, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${sim.adminUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
  const text = await res.text();
  assert.equal(res.status, 200, text);
}

async function binanceBook(sim: Simulator): Promise<{ bid: number; ask: number }> {
  const res = await fetch(`${sim.binance.baseUrl}/api/v3/ticker/bookTicker?symbol=BTCUSDT`);
  assert.equal(res.status, 200);
  const body = await res.json() as { bidPrice: string; askPrice: string };
  return { bid: Number(body.bidPrice), ask: Number(body.askPrice) };
}

async function okxBook(sim: Simulator): Promise<{ bid: number; ask: number }> {
  const res = await fetch(`${sim.okx.baseUrl}/api/v5/market/tickers?instType=SPOT`);
  assert.equal(res.status, 200);
  const body = await res.json() as { data: { instId: string; bidPx: string; askPx: string }[] };
  const btc = body.data.find((t) => t.instId === "BTC-USDT")!;
  return { bid: Number(btc.bidPx), ask: Number(btc.askPx) };
}

Deno.test("after an idle gap, POST /admin/path starts the path now: each later step shows the next point", async () => {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  await withSim(clock, async (sim) => {
    await binanceBook(sim);
    clock.advance(60_000); // a minute without a venue request: 60 steps are due
    await admin(sim, "/path", { venue: "binance", symbol: "BTC/USDT", points: POINTS });
    const seen = [];
    for (let i = 0; i < POINTS.length + 2; i++) {
      clock.advance(1_000);
      seen.push(await binanceBook(sim));
    }
    assert.deepEqual(seen, [...POINTS, POINTS[2], POINTS[2]], "the points in order, then the last one holds");
  });
});

Deno.test("POST /admin/quote after an idle gap is not overwritten by the steps that were due", async () => {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  await withSim(clock, async (sim) => {
    clock.advance(60_000);
    await admin(sim, "/path", { venue: "binance", symbol: "BTC/USDT", points: [POINTS[0]] });
    clock.advance(30_000);
    await admin(sim, "/quote", { venue: "binance", symbol: "BTC/USDT", ...POINTS[1] });
    assert.deepEqual(await binanceBook(sim), POINTS[1]);
  });
});

Deno.test("a path with advance=read moves one point per market-data request, however much time passes", async () => {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  await withSim(clock, async (sim) => {
    await admin(sim, "/path", { venue: "binance", symbol: "BTC/USDT", points: POINTS, advance: "read" });
    await admin(sim, "/path", { venue: "okx", symbol: "BTC/USDT", points: POINTS, advance: "read" });
    const binance = [];
    const okx = [];
    for (const gapMs of [0, 5_000, 120_000, 0, 10]) {
      clock.advance(gapMs); // clock steps never move a read-advanced path
      binance.push(await binanceBook(sim));
      okx.push(await okxBook(sim));
    }
    const expected = [...POINTS, POINTS[2], POINTS[2]];
    assert.deepEqual(binance, expected);
    assert.deepEqual(okx, expected);
    // Requests that read no quote (server time, exchange info) leave the path alone; an explicit step moves it.
    await admin(sim, "/path", { venue: "binance", symbol: "BTC/USDT", points: POINTS, advance: "read" });
    await (await fetch(`${sim.binance.baseUrl}/api/v3/time`)).body?.cancel();
    await (await fetch(`${sim.binance.baseUrl}/api/v3/exchangeInfo`)).body?.cancel();
    assert.deepEqual(await binanceBook(sim), POINTS[0]);
    await admin(sim, "/step", { venue: "binance", count: 1 }); // shows POINTS[1]; the read below moves on
    assert.deepEqual(await binanceBook(sim), POINTS[2]);
  });
});

Deno.test("POST /admin/path refuses an unknown advance mode, naming the field", async () => {
  await withSim(undefined, async (sim) => {
    const res = await fetch(`${sim.adminUrl}/path`, {
      method: "POST",
      body: JSON.stringify({ venue: "binance", symbol: "BTC/USDT", points: POINTS, advance: "sometimes" }),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /advance/);
  });
});
