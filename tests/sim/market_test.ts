// The simulator's market engine without HTTP: determinism, matching, partial fills, fees, free/locked accounting.

import assert from "node:assert/strict";
import { defaultBinanceConfig } from "../../dev/sim/config.ts";
import { ManualClock } from "../../dev/sim/clock.ts";
import { VenueEngine } from "../../dev/sim/engine.ts";
import { SimRejection } from "../../dev/sim/rejection.ts";
import type { MarketConfig, VenueConfig } from "../../dev/sim/types.ts";
import { FaultInjector } from "../../dev/sim/faults.ts";
import { mulberry32 } from "../../dev/sim/prng.ts";

const BTC: MarketConfig = {
  symbol: "BTC/USDT",
  tickSize: 0.01,
  stepSize: 0.00001,
  minQty: 0.00001,
  maxQty: 100,
  minNotional: 5,
  price: 60_000,
  spreadBps: 1,
  volatilityBps: 5,
  driftBps: 0,
  topOfBookQty: 1,
};

function venueConfig(overrides: Partial<MarketConfig> = {}, venue: Partial<VenueConfig> = {}): VenueConfig {
  return {
    markets: [{ ...BTC, ...overrides }],
    fees: { maker: 0.001, taker: 0.002 },
    accounts: [{ apiKey: "k", secret: "s", balances: { USDT: 10_000, BTC: 1 } }],
    priceStepIntervalMs: 0,
    clientOrderIdScope: "open",
    orderIdStart: 1,
    ...venue,
  };
}

function engine(overrides: Partial<MarketConfig> = {}, venue: Partial<VenueConfig> = {}, seed = 42) {
  const clock = new ManualClock(Date.UTC(2025, 0, 1));
  const e = new VenueEngine("binance", venueConfig(overrides, venue), { seed, clock });
  return { engine: e, clock, account: e.listAccounts()[0].id };
}

function quotes(e: VenueEngine, steps: number, symbol = "BTC/USDT"): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < steps; i++) {
    e.step();
    const q = e.quote(symbol);
    out.push([q.bid, q.ask]);
  }
  return out;
}

function assertClose(actual: number, expected: number, message?: string) {
  assert.ok(Math.abs(actual - expected) < 1e-8, `${message ?? "value"}: expected ${expected}, got ${actual}`);
}

Deno.test("same seed gives the same prices and a different seed different prices", () => {
  const a = quotes(engine({}, {}, 7).engine, 200);
  const b = quotes(engine({}, {}, 7).engine, 200);
  const c = quotes(engine({}, {}, 8).engine, 200);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // The walk really moves, stays on the tick grid and keeps bid < ask.
  assert.ok(new Set(a.map(([bid]) => bid)).size > 50, "the random walk should visit many prices");
  for (const [bid, ask] of a) {
    assert.ok(bid < ask, `bid ${bid} < ask ${ask}`);
    assert.ok(Math.abs(bid * 100 - Math.round(bid * 100)) < 1e-6, `bid ${bid} on the 0.01 tick grid`);
  }
});

Deno.test("adding a symbol does not change another symbol's price path", () => {
  const alone = quotes(engine({}, {}, 3).engine, 50);
  const withEth = new VenueEngine("binance", {
    ...venueConfig(),
    markets: [{ ...BTC, symbol: "ETH/USDT", price: 3000 }, BTC],
  }, { seed: 3, clock: new ManualClock() });
  assert.deepEqual(quotes(withEth, 50), alone);
});

Deno.test("drift moves the price in its direction", () => {
  const { engine: e } = engine({ driftBps: 20, volatilityBps: 1 });
  const start = e.quote("BTC/USDT").bid;
  e.step(100);
  assert.ok(e.quote("BTC/USDT").bid > start * 1.1, "100 steps of +20 bps drift should lift the price > 10 %");
});

Deno.test("a scripted path is followed step by step and then holds", () => {
  const { engine: e } = engine();
  e.setPath("BTC/USDT", [{ bid: 100, ask: 101 }, { mid: 200, spread: 2 }]);
  e.step();
  assert.deepEqual([e.quote("BTC/USDT").bid, e.quote("BTC/USDT").ask], [100, 101]);
  e.step();
  assert.deepEqual([e.quote("BTC/USDT").bid, e.quote("BTC/USDT").ask], [199, 201]);
  e.step(5);
  assert.deepEqual([e.quote("BTC/USDT").bid, e.quote("BTC/USDT").ask], [199, 201]);
  e.clearPath("BTC/USDT");
  e.step(20);
  assert.notEqual(e.quote("BTC/USDT").bid, 199, "the random walk resumes after clearPath");
});

Deno.test("prices step with the injected clock at the configured interval", () => {
  const { engine: e, clock } = engine({}, { priceStepIntervalMs: 1000 });
  const q0 = e.quote("BTC/USDT");
  clock.advance(999);
  assert.equal(e.sync(), 0);
  assert.deepEqual(e.quote("BTC/USDT"), q0);
  clock.advance(2001);
  assert.equal(e.sync(), 3);
  assert.equal(e.orderBook("BTC/USDT").sequence, 4);
});

Deno.test("a resting limit buy locks quote, fills as maker when the ask crosses, fee in base", () => {
  const { engine: e, account } = engine();
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_001 });
  const order = e.placeOrder(account, {
    symbol: "BTC/USDT",
    side: "buy",
    type: "limit",
    amount: 0.1,
    price: 59_000,
    clientOrderId: "c1",
  });
  assert.equal(order.status, "new");
  assert.deepEqual(e.balance(account, "USDT"), { asset: "USDT", free: 4100, locked: 5900 });
  assert.equal(e.openOrders(account).length, 1);

  e.setQuote("BTC/USDT", { bid: 58_900, ask: 58_950 });
  const filled = e.getOrder(account, { clientOrderId: "c1" });
  assert.equal(filled.status, "filled");
  assert.equal(filled.filled, 0.1);
  assert.equal(filled.average, 59_000, "a maker fills at its own limit price");
  assertClose(filled.feeTotal, 0.0001, "maker fee 0.1 % of 0.1 BTC");
  assert.equal(filled.feeAsset, "BTC");
  assert.deepEqual(e.balance(account, "USDT"), { asset: "USDT", free: 4100, locked: 0 });
  assertClose(e.balance(account, "BTC").free, 1 + 0.1 - 0.0001);
  assert.equal(e.openOrders(account).length, 0);
  const [trade] = e.myTrades(account, { orderId: order.orderId });
  assert.equal(trade.isMaker, true);
  assert.equal(trade.cost, 5900);
});

Deno.test("a marketable limit buy fills immediately as taker at the ask and refunds the price improvement", () => {
  const { engine: e, account } = engine();
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "limit", amount: 0.1, price: 61_000 });
  assert.equal(order.status, "filled");
  assert.equal(order.average, 60_010);
  assertClose(order.feeTotal, 0.0002, "taker fee 0.2 %");
  assertClose(e.balance(account, "USDT").free, 10_000 - 6001);
  assert.equal(e.balance(account, "USDT").locked, 0);
  assert.equal(e.myTrades(account)[0].isMaker, false);
});

Deno.test("a sell pays its fee in quote and locks base while resting", () => {
  const { engine: e, account } = engine();
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  e.placeOrder(account, { symbol: "BTC/USDT", side: "sell", type: "limit", amount: 0.5, price: 61_000 });
  assert.deepEqual(e.balance(account, "BTC"), { asset: "BTC", free: 0.5, locked: 0.5 });
  e.setQuote("BTC/USDT", { bid: 61_000, ask: 61_010 });
  assert.deepEqual(e.balance(account, "BTC"), { asset: "BTC", free: 0.5, locked: 0 });
  assertClose(e.balance(account, "USDT").free, 10_000 + 30_500 - 30.5, "proceeds minus 0.1 % maker fee");
});

Deno.test("top-of-book liquidity makes partial fills that complete over later steps", () => {
  const { engine: e, account } = engine({ topOfBookQty: 0.04 });
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "limit", amount: 0.1, price: 60_010 });
  assert.equal(order.status, "partially_filled");
  assert.equal(order.filled, 0.04);
  assertClose(e.balance(account, "USDT").locked, 0.06 * 60_010, "only the unfilled part stays locked");

  e.setPath("BTC/USDT", [{ bid: 60_000, ask: 60_010 }]);
  e.step();
  assert.equal(e.getOrder(account, { orderId: order.orderId }).filled, 0.08);
  e.step();
  const done = e.getOrder(account, { orderId: order.orderId });
  assert.equal(done.status, "filled");
  assert.equal(e.myTrades(account, { orderId: order.orderId }).length, 3);
  assert.equal(e.balance(account, "USDT").locked, 0);
  assertClose(e.balance(account, "USDT").free, 10_000 - 0.1 * 60_010);
});

Deno.test("a scripted quote may name its top quantities: a resting buy takes only the ask's", () => {
  const { engine: e, account } = engine({ topOfBookQty: 1 });
  e.setQuote("BTC/USDT", { bid: 59_000, ask: 59_010 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "limit", amount: 0.1, price: 59_005 });
  assert.equal(order.status, "new");
  e.setQuote("BTC/USDT", { bid: 59_000, ask: 59_005, askQty: 0.03 });
  assert.equal(e.quote("BTC/USDT").askQty, 0, "the ask's 0.03 went to the resting buy");
  const partial = e.getOrder(account, { orderId: order.orderId });
  assert.deepEqual([partial.status, partial.filled], ["partially_filled", 0.03]);
  // Without quantities the market's own come back.
  e.setQuote("BTC/USDT", { bid: 59_000, ask: 59_006 });
  assert.deepEqual([e.quote("BTC/USDT").bidQty, e.quote("BTC/USDT").askQty], [1, 1]);
});

Deno.test("a market order takes what the book has and expires the rest, releasing its lock", () => {
  const { engine: e, account } = engine({ topOfBookQty: 0.03 });
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "market", amount: 0.05 });
  assert.equal(order.status, "expired");
  assert.equal(order.filled, 0.03);
  assert.equal(e.balance(account, "USDT").locked, 0);
  assertClose(e.balance(account, "USDT").free, 10_000 - 0.03 * 60_010);
});

Deno.test("a quote-sized market buy spends at most the quote amount", () => {
  const { engine: e, account } = engine();
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_000.5 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "market", quoteAmount: 100 });
  assert.equal(order.status, "filled");
  assert.equal(order.amount, order.filled);
  // Rounded down to the lot step: within one step (0.00001 BTC ≈ 0.6 USDT) of the amount asked for.
  assert.ok(order.cost <= 100 && order.cost > 100 - 0.00001 * 60_000.5, `cost ${order.cost}`);
});

Deno.test("cancel releases the remaining lock; a filled order cannot be cancelled", () => {
  const { engine: e, account } = engine({ topOfBookQty: 0.05 });
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  const order = e.placeOrder(account, { symbol: "BTC/USDT", side: "buy", type: "limit", amount: 0.1, price: 60_010 });
  const cancelled = e.cancelOrder(account, { orderId: order.orderId });
  assert.equal(cancelled.status, "canceled");
  assert.equal(cancelled.filled, 0.05);
  assert.deepEqual(e.balance(account, "USDT"), { asset: "USDT", free: 10_000 - 0.05 * 60_010, locked: 0 });
  assert.throws(
    () => e.cancelOrder(account, { orderId: order.orderId }),
    (err) => err instanceof SimRejection && err.reason === "order_not_open",
  );
});

Deno.test("filters, funds and client ids reject with typed reasons", async (t) => {
  const { engine: e, account } = engine();
  e.setQuote("BTC/USDT", { bid: 60_000, ask: 60_010 });
  const reject = (reason: string, req: Parameters<VenueEngine["placeOrder"]>[1]) =>
    assert.throws(() => e.placeOrder(account, req), (err) => err instanceof SimRejection && err.reason === reason);
  const limit = { symbol: "BTC/USDT", side: "buy" as const, type: "limit" as const };
  await t.step("price off the tick grid", () => reject("invalid_price", { ...limit, amount: 0.01, price: 50_000.005 }));
  await t.step(
    "amount off the lot step",
    () => reject("invalid_quantity", { ...limit, amount: 0.000015, price: 50_000 }),
  );
  await t.step(
    "notional under the minimum",
    () => reject("min_notional", { ...limit, amount: 0.00009, price: 50_000 }),
  );
  await t.step("not enough quote", () => reject("insufficient_balance", { ...limit, amount: 0.5, price: 50_000 }));
  await t.step(
    "not enough base",
    () => reject("insufficient_balance", { ...limit, side: "sell", amount: 2, price: 70_000 }),
  );
  await t.step(
    "unknown symbol",
    () => reject("unknown_symbol", { ...limit, symbol: "DOGE/USDT", amount: 1, price: 1 }),
  );
  await t.step(
    "post-only that would take",
    () => reject("post_only_would_take", { ...limit, amount: 0.01, price: 60_010, postOnly: true }),
  );
  await t.step("duplicate client id while the first is open, reusable after cancel", () => {
    const first = e.placeOrder(account, { ...limit, amount: 0.01, price: 50_000, clientOrderId: "dup" });
    reject("duplicate_client_order_id", { ...limit, amount: 0.01, price: 50_000, clientOrderId: "dup" });
    e.cancelOrder(account, { clientOrderId: "dup" });
    const second = e.placeOrder(account, { ...limit, amount: 0.01, price: 50_000, clientOrderId: "dup" });
    assert.notEqual(second.orderId, first.orderId);
    assert.equal(e.getOrder(account, { clientOrderId: "dup" }).orderId, second.orderId, "newest wins");
  });
  await t.step("nothing was locked by the rejected orders", () => {
    assertClose(e.balance(account, "USDT").locked, 500, "only the open 'dup' order locks quote");
    assert.equal(e.balance(account, "BTC").locked, 0);
  });
});

Deno.test("the default Binance config has the legacy symbols with 5 USDT min notional", () => {
  const config = defaultBinanceConfig();
  assert.deepEqual(config.markets.map((m) => m.symbol), ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"]);
  assert.ok(config.markets.every((m) => m.minNotional === 5));
  assert.equal(config.fees.taker, 0.001);
  assert.equal(config.accounts[0].balances.USDT, 10_000);
});

Deno.test("faults hit matching requests the configured number of times", () => {
  const faults = new FaultInjector(mulberry32(1));
  faults.add({ venue: "binance", kind: "rate_limit", path: "/api/v3/order", method: "post", times: 2 });
  faults.add({ venue: "binance", kind: "latency", path: "/api/v3/*", latencyMs: 10, jitterMs: 5 });
  assert.equal(faults.decide("binance", "GET", "/api/v3/order").fault, undefined, "method must match");
  assert.equal(faults.decide("binance", "POST", "/api/v3/order").fault?.kind, "rate_limit");
  assert.equal(faults.decide("okx", "POST", "/api/v3/order").fault, undefined, "venue must match");
  const second = faults.decide("binance", "POST", "/api/v3/order");
  assert.equal(second.fault?.kind, "rate_limit");
  assert.ok(second.delayMs >= 10 && second.delayMs < 15);
  assert.equal(faults.decide("binance", "POST", "/api/v3/order").fault, undefined, "spent after 2 hits");
  assert.equal(faults.list().length, 1, "the latency fault stays until cleared");
  assert.equal(faults.clear({ venue: "binance" }), 1);
  assert.throws(() => faults.add({ venue: "binance", kind: "hang", hangMs: 10_000_000 }), /hangMs/);
});

Deno.test("latency jitter is deterministic for a seed", () => {
  const delays = (seed: number) => {
    const faults = new FaultInjector(mulberry32(seed));
    faults.add({ venue: "okx", kind: "latency", latencyMs: 0, jitterMs: 1000 });
    return Array.from({ length: 20 }, () => faults.decide("okx", "GET", "/api/v5/public/time").delayMs);
  };
  assert.deepEqual(delays(5), delays(5));
  assert.notDeepEqual(delays(5), delays(6));
});
