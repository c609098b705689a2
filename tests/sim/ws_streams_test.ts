// Conformance: unmodified ccxt.pro (binance, okx) against the simulator's WebSocket streams over real loopback.

import assert from "node:assert/strict";
import type { Exchange } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { proClient, simWsOrigin } from "../support/ccxt_pro.ts";

async function setup(): Promise<Simulator> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed: 5, config });
  for (const venue of ["binance", "okx"] as const) {
    sim.market.setQuote(venue, "BTC/USDT", { bid: 60_000, ask: 60_010 });
    sim.market.setQuote(venue, "ETH/USDT", { bid: 3_000, ask: 3_000.5 });
  }
  return sim;
}

type Tops = Record<string, { bid?: number; ask?: number }>;

/**
 * Watches until `done` holds for ccxt's own cache of tops (bounded): a watch returns only the symbols that changed
 * while it waited, so a push that lands between two watches shows only in the cache.
 */
async function watchUntil(ex: Exchange, watch: () => Promise<unknown>, done: (t: Tops) => boolean, limit = 50) {
  const merged: Tops = {};
  for (let i = 0; i < limit; i++) {
    await watch();
    Object.assign(merged, ex.bidsasks);
    if (done(merged)) return merged;
  }
  throw new Error(`no matching push in ${limit} messages`);
}

for (const venue of ["binance", "okx"] as const) {
  Deno.test(`ccxt.pro ${venue} watchBidsAsks: current top at subscribe, then each change`, async () => {
    const sim = await setup();
    const ex = proClient(venue, sim);
    try {
      const params = venue === "okx" ? { channel: "tickers" } : {};
      const watch = () => ex.watchBidsAsks(["BTC/USDT", "ETH/USDT"], params);
      const first = await watchUntil(ex, watch, (t) => t["BTC/USDT"] !== undefined && t["ETH/USDT"] !== undefined);
      assert.equal(first["BTC/USDT"].bid, 60_000);
      assert.equal(first["BTC/USDT"].ask, 60_010);
      assert.equal(first["ETH/USDT"].ask, 3_000.5);
      sim.market.setQuote(venue, "ETH/USDT", { bid: 3_100, ask: 3_100.5 });
      const moved = await watchUntil(ex, watch, (t) => t["ETH/USDT"]?.bid === 3_100);
      assert.equal(moved["ETH/USDT"].ask, 3_100.5);
      assert.ok(sim.streams.stats.pushes >= 3);
    } finally {
      await ex.close();
      await sim.stop();
    }
  });
}

Deno.test("ccxt.pro okx watchBidsAsks on bbo-tbt (ccxt's default channel)", async () => {
  const sim = await setup();
  const ex = proClient("okx", sim);
  try {
    const t = await watchUntil(ex, () => ex.watchBidsAsks(["BTC/USDT"]), (v) => !!v["BTC/USDT"]);
    assert.equal(t["BTC/USDT"].bid, 60_000);
    assert.equal(t["BTC/USDT"].ask, 60_010);
  } finally {
    await ex.close();
    await sim.stop();
  }
});

/** A raw socket for protocol details ccxt does not show: replies, pong, faults. */
async function rawSocket(url: string): Promise<{ ws: WebSocket; next: () => Promise<string> }> {
  const ws = new WebSocket(url);
  const queue: string[] = [];
  const waiting: ((s: string) => void)[] = [];
  ws.onmessage = (e) => {
    const w = waiting.shift();
    if (w) w(String(e.data));
    else queue.push(String(e.data));
  };
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  return {
    ws,
    next: () => {
      const q = queue.shift();
      return q !== undefined ? Promise.resolve(q) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

async function closed(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  await new Promise((resolve) => ws.addEventListener("close", resolve));
}

Deno.test("okx public socket: subscribe answered per arg, ping → pong, unknown instId refused", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/okx/ws/v5/public`);
  try {
    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "tickers", instId: "NOPE-USDT" }] }));
    assert.equal(JSON.parse(await next()).code, "60018");
    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "tickers", instId: "BTC-USDT" }] }));
    const ack = JSON.parse(await next());
    assert.deepEqual([ack.event, ack.arg.instId], ["subscribe", "BTC-USDT"]);
    assert.equal(JSON.parse(await next()).data[0].bidPx, "60000");
    ws.send("ping");
    assert.equal(await next(), "pong");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("binance combined stream: depth5@100ms in {stream, data}, five levels, every 100 ms; listed by name", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/binance/stream?streams=ethusdt@depth5@100ms`);
  try {
    const first = JSON.parse(await next());
    assert.equal(first.stream, "ethusdt@depth5@100ms");
    assert.equal(first.data.bids.length, 5);
    assert.equal(first.data.asks.length, 5);
    assert.deepEqual([first.data.bids[0][0], first.data.asks[0][0]], ["3000", "3000.5"]);
    assert.ok(Number(first.data.bids[1][0]) < 3000 && Number(first.data.asks[1][0]) > 3000.5);
    // Unchanged, the top is sent again on the interval (the clock is the simulator's real one: wait on the message).
    const again = JSON.parse(await next());
    assert.deepEqual([again.stream, again.data.bids[0][0]], ["ethusdt@depth5@100ms", "3000"]);
    assert.ok(again.data.lastUpdateId > first.data.lastUpdateId);
    ws.send(JSON.stringify({ method: "SUBSCRIBE", params: ["btcusdt@bookTicker"], id: 3 }));
    ws.send(JSON.stringify({ method: "LIST_SUBSCRIPTIONS", id: 4 }));
    const seen: Record<string, unknown>[] = [];
    for (let i = 0; i < 20 && !seen.some((m) => m.id === 4); i++) seen.push(JSON.parse(await next()));
    const list = seen.find((m) => m.id === 4);
    assert.deepEqual((list?.result as string[]).toSorted(), ["btcusdt@bookTicker", "ethusdt@depth5@100ms"]);
    const ticker = seen.find((m) => m.stream === "btcusdt@bookTicker");
    assert.equal((ticker?.data as { b: string }).b, "60000", "a bookTicker push is wrapped on /stream too");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("okx tickers: at most one push per 100 ms per instrument, the latest top; bbo-tbt every change", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/okx/ws/v5/public`);
  try {
    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "tickers", instId: "BTC-USDT" }] }));
    assert.equal(JSON.parse(await next()).event, "subscribe");
    assert.equal(JSON.parse(await next()).data[0].bidPx, "60000");
    const before = sim.streams.stats.pushes;
    // Five changes in one synchronous burst: far inside one 100 ms window, so at most one of them goes out now.
    for (let i = 1; i <= 5; i++) {
      sim.market.setQuote("okx", "BTC/USDT", { bid: 60_000 + i, ask: 60_010 + i });
      sim.streams.pushChanged();
    }
    assert.ok(sim.streams.stats.pushes - before <= 1, `pushes in the window: ${sim.streams.stats.pushes - before}`);
    let last = JSON.parse(await next());
    for (let i = 0; i < 5 && last.data[0].bidPx !== "60005"; i++) last = JSON.parse(await next());
    assert.equal(last.data[0].bidPx, "60005", "the window's latest top is sent when it ends");

    ws.send(JSON.stringify({ op: "subscribe", args: [{ channel: "bbo-tbt", instId: "ETH-USDT" }] }));
    const seen: { arg?: { channel: string }; data?: { bids: string[][] }[] }[] = [];
    for (let i = 0; i < 10 && !seen.some((m) => m.arg?.channel === "bbo-tbt" && m.data); i++) {
      seen.push(JSON.parse(await next()));
    }
    const beforeBbo = sim.streams.stats.pushes;
    for (let i = 1; i <= 3; i++) {
      sim.market.setQuote("okx", "ETH/USDT", { bid: 3_000 + i, ask: 3_000.5 + i });
      sim.streams.pushChanged();
    }
    assert.equal(sim.streams.stats.pushes - beforeBbo, 3, "bbo-tbt: one push per change");
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});

Deno.test("binance socket faults: garbage, duplicates, stall, drop", async () => {
  const sim = await setup();
  const { ws, next } = await rawSocket(`${simWsOrigin(sim)}/binance/ws`);
  try {
    ws.send(JSON.stringify({ method: "SUBSCRIBE", params: ["btcusdt@bookTicker"], id: 7 }));
    assert.deepEqual(JSON.parse(await next()), { result: null, id: 7 });
    assert.equal(JSON.parse(await next()).b, "60000");

    sim.streams.faults.garbage("binance", 1);
    sim.market.setQuote("binance", "BTC/USDT", { bid: 60_001, ask: 60_010 });
    const garbled = await next();
    assert.throws(() => JSON.parse(garbled));
    sim.streams.faults.duplicate("binance");
    sim.market.setQuote("binance", "BTC/USDT", { bid: 60_002, ask: 60_010 });
    const a = JSON.parse(await next());
    const b = JSON.parse(await next());
    assert.deepEqual(a, b);
    assert.equal(a.b, "60002");
    sim.streams.faults.clear("binance");

    // A stall sends nothing; after it the next change arrives.
    sim.streams.faults.stall("binance", 60_000);
    sim.market.setQuote("binance", "BTC/USDT", { bid: 60_003, ask: 60_010 });
    sim.streams.pushChanged();
    assert.ok(sim.streams.faults.applied.stalledPushes >= 1);
    sim.streams.faults.resume("binance");
    sim.market.setQuote("binance", "BTC/USDT", { bid: 60_004, ask: 60_010 });
    assert.equal(JSON.parse(await next()).b, "60004");

    sim.streams.faults.drop("binance");
    await closed(ws);
    assert.equal(sim.streams.connections, 0);
  } finally {
    ws.close();
    await closed(ws);
    await sim.stop();
  }
});
