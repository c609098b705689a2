// Conformance: unmodified ccxt `binance` (built by ccxt_client.ts) against the simulator over real loopback HTTP.

import assert from "node:assert/strict";
import {
  AuthenticationError,
  BadRequest,
  DDoSProtection,
  type Exchange,
  ExchangeError,
  ExchangeNotAvailable,
  InsufficientFunds,
  InvalidNonce,
  InvalidOrder,
  NetworkError,
  OrderNotFound,
  RequestTimeout,
} from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

/** A simulator whose prices move only when the test says so, and a ccxt client pointed at it. */
async function setup(options: { topOfBookQty?: number; timeoutMs?: number; keys?: boolean } = {}) {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  // The legacy four markets only: these tests pin the exact listing (the venue-sized one is in market_list_test.ts).
  config.binance.marketList = "short";
  config.okx.marketList = "short";
  if (options.topOfBookQty !== undefined) {
    config.binance.markets = config.binance.markets.map((m) => ({ ...m, topOfBookQty: options.topOfBookQty! }));
  }
  const sim = await startSimulator({ seed: 11, config });
  sim.market.setQuote("binance", "BTC/USDT", { bid: 60_000, ask: 60_010 });
  sim.market.setQuote("binance", "ETH/USDT", { bid: 3_000, ask: 3_000.5 });
  const withKeys = options.keys ?? true;
  const ex = createCcxtClient("binance", {
    baseUrl: sim.binance.baseUrl,
    apiKey: withKeys ? sim.binance.apiKey : undefined,
    secret: withKeys ? sim.binance.secret : undefined,
    timeoutMs: options.timeoutMs,
  });
  return { sim, ex };
}

async function withSim(
  options: Parameters<typeof setup>[0],
  body: (sim: Simulator, ex: Exchange) => Promise<void>,
): Promise<void> {
  const { sim, ex } = await setup(options);
  try {
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

/** Asserts the promise rejects with `errorClass` (and reports what it got otherwise). */
async function rejectsWith(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => Error) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(
      err instanceof errorClass,
      `expected ${errorClass.name}, got ${(err as Error)?.constructor?.name}: ${err}`,
    );
    return true;
  });
}

const BTC = "BTC/USDT";

Deno.test("loadMarkets asks only for spot exchangeInfo and sees the simulator's filters", async () => {
  await withSim({ keys: false }, async (sim, ex) => {
    const markets = await ex.loadMarkets();
    assert.deepEqual(Object.keys(markets).sort(), ["BNB/USDT", "BTC/USDT", "ETH/USDT", "SOL/USDT"]);
    assert.ok(Object.values(markets).every((m) => m!.spot && m!.type === "spot"));
    const btc = markets[BTC]!;
    assert.equal(btc.precision.price, 0.01);
    assert.equal(btc.precision.amount, 0.00001);
    assert.equal(btc.limits.amount?.min, 0.00001);
    assert.equal(btc.limits.cost?.min, 5);
    const paths = sim.requestLog.list({ venue: "binance" }).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(paths, ["GET /api/v3/exchangeInfo"]);
  });
});

Deno.test("public market data: time, tickers and bids/asks for several symbols in one request each", async () => {
  await withSim({ keys: false }, async (sim, ex) => {
    await ex.loadMarkets();
    const before = Date.now();
    const time = await ex.fetchTime();
    assert.ok(time !== undefined && time >= before && time <= Date.now(), `server time ${time}`);

    const afterMarkets = sim.requestLog.lastId();
    const tickers = await ex.fetchTickers([BTC, "ETH/USDT", "SOL/USDT"]);
    assert.deepEqual(Object.keys(tickers).sort(), [BTC, "ETH/USDT", "SOL/USDT"]);
    assert.equal(tickers[BTC].bid, 60_000);
    assert.equal(tickers[BTC].ask, 60_010);
    assert.equal(tickers["ETH/USDT"].ask, 3_000.5);

    const bidsAsks = await ex.fetchBidsAsks([BTC, "ETH/USDT"]);
    assert.equal(bidsAsks[BTC].bid, 60_000);
    assert.equal(bidsAsks["ETH/USDT"].bid, 3_000);
    assert.equal(bidsAsks["ETH/USDT"].askVolume, sim.engines.binance.quote("ETH/USDT").askQty);

    const calls = sim.requestLog.list({ venue: "binance", afterId: afterMarkets });
    assert.deepEqual(calls.map((e) => e.path), ["/api/v3/ticker/24hr", "/api/v3/ticker/bookTicker"]);
    assert.match(decodeURIComponent(calls[1].query), /symbols=\["BTCUSDT","ETHUSDT"\]/);

    sim.market.setQuote("binance", BTC, { bid: 61_000, ask: 61_002 });
    const one = await ex.fetchTicker(BTC);
    assert.deepEqual([one.bid, one.ask], [61_000, 61_002]);
    const book = await ex.fetchOrderBook(BTC, 5);
    assert.deepEqual(book.bids[0], [61_000, sim.engines.binance.quote(BTC).bidQty]);
    assert.equal(sim.requestLog.list({ venue: "binance", private: true }).length, 0, "no private endpoint called");
  });
});

Deno.test("fetchBalance reports free and used, and orders move them", async () => {
  await withSim({}, async (sim, ex) => {
    const start = await ex.fetchBalance();
    assert.equal(start.USDT.free, 10_000);
    assert.equal(start.USDT.used, 0);
    assert.equal(start.BTC.total, 0.1);
    await ex.createOrder(BTC, "limit", "buy", 0.01, 59_000);
    const after = await ex.fetchBalance();
    assert.equal(after.USDT.free, 10_000 - 590);
    assert.equal(after.USDT.used, 590);
    assert.equal(after.USDT.total, 10_000);
    const balanceCalls = sim.requestLog.list({ venue: "binance", path: "/api/v3/account" });
    assert.ok(balanceCalls.every((e) => e.private && e.signed && e.status === 200));
  });
});

Deno.test("a limit order's life: open, found by id and client id, filled as maker with fee and trades", async () => {
  await withSim({}, async (sim, ex) => {
    const placed = await ex.createOrder(BTC, "limit", "buy", 0.01, 59_990, { clientOrderId: "entry-1" });
    assert.equal(placed.status, "open");
    assert.equal(placed.clientOrderId, "entry-1");
    assert.equal(placed.filled, 0);
    assert.equal(placed.remaining, 0.01);

    const byId = await ex.fetchOrder(placed.id!, BTC);
    assert.equal(byId.clientOrderId, "entry-1");
    const byClientId = await ex.fetchOrder("", BTC, { origClientOrderId: "entry-1" });
    assert.equal(byClientId.id, placed.id);
    const open = await ex.fetchOpenOrders(BTC);
    assert.deepEqual(open.map((o) => o.id), [placed.id]);

    sim.market.setQuote("binance", BTC, { bid: 59_980, ask: 59_985 });
    const filled = await ex.fetchOrder(placed.id!, BTC);
    assert.equal(filled.status, "closed");
    assert.equal(filled.filled, 0.01);
    assert.equal(filled.remaining, 0);
    assert.equal(filled.average, 59_990);
    assert.equal(filled.cost, 599.9);
    assert.deepEqual(await ex.fetchOpenOrders(BTC), []);

    const trades = await ex.fetchMyTrades(BTC);
    assert.equal(trades.length, 1);
    assert.equal(trades[0].order, placed.id);
    assert.equal(trades[0].takerOrMaker, "maker");
    assert.equal(trades[0].side, "buy");
    assert.deepEqual(trades[0].fee, { currency: "BTC", cost: 0.00001 });
    const balance = await ex.fetchBalance();
    assert.equal(balance.BTC.total, 0.1 + 0.01 - 0.00001);
  });
});

Deno.test("a market order fills as taker and reports average, fee and its fills", async () => {
  await withSim({}, async (_sim, ex) => {
    const order = await ex.createOrder("ETH/USDT", "market", "buy", 0.1, undefined, { clientOrderId: "mkt-1" });
    assert.equal(order.status, "closed");
    assert.equal(order.clientOrderId, "mkt-1");
    assert.equal(order.filled, 0.1);
    assert.equal(order.average, 3_000.5);
    assert.equal(order.cost, 300.05);
    assert.deepEqual(order.fee, { currency: "ETH", cost: 0.0001 });
    assert.equal(order.trades.length, 1);
    const sell = await ex.createOrder("ETH/USDT", "market", "sell", 0.05);
    assert.equal(sell.average, 3_000);
    assert.equal(sell.fee?.currency, "USDT");
    assert.equal(sell.fee?.cost, 0.15);
  });
});

Deno.test("partial fills show as open with filled and remaining, then complete on later price steps", async () => {
  await withSim({ topOfBookQty: 0.004 }, async (sim, ex) => {
    const order = await ex.createOrder(BTC, "limit", "buy", 0.01, 60_010, { clientOrderId: "part-1" });
    assert.equal(order.status, "open");
    assert.equal(order.filled, 0.004);
    assert.equal(order.remaining, 0.006);
    assert.equal(order.info.status, "PARTIALLY_FILLED");

    sim.market.setPath("binance", BTC, [{ bid: 60_000, ask: 60_010 }]);
    sim.market.step("binance", 1);
    const mid = await ex.fetchOrder(order.id!, BTC);
    assert.equal(mid.filled, 0.008);
    sim.market.step("binance", 1);
    const done = await ex.fetchOrder("", BTC, { origClientOrderId: "part-1" });
    assert.equal(done.status, "closed");
    assert.equal(done.filled, 0.01);
    const trades = await ex.fetchMyTrades(BTC);
    assert.deepEqual(trades.map((t) => t.amount), [0.004, 0.004, 0.002]);
    assert.deepEqual(trades.map((t) => t.takerOrMaker), ["taker", "maker", "maker"]);
  });
});

Deno.test("cancelOrder cancels, releases funds, and a second cancel is OrderNotFound", async () => {
  await withSim({}, async (_sim, ex) => {
    const order = await ex.createOrder(BTC, "limit", "buy", 0.01, 55_000, { clientOrderId: "cx-1" });
    const cancelled = await ex.cancelOrder(order.id!, BTC);
    assert.equal(cancelled.status, "canceled");
    assert.equal((await ex.fetchOrder(order.id!, BTC)).status, "canceled");
    const balance = await ex.fetchBalance();
    assert.equal(balance.USDT.used, 0);
    assert.equal(balance.USDT.free, 10_000);
    await rejectsWith(ex.cancelOrder(order.id!, BTC), OrderNotFound);
    await rejectsWith(ex.fetchOrder("999999", BTC), OrderNotFound);
  });
});

Deno.test("venue rejections map to the ccxt classes the real venue produces", async (t) => {
  await withSim({}, async (sim, ex) => {
    await ex.loadMarkets();
    await t.step("unknown API key → AuthenticationError (-2015)", async () => {
      const bad = createCcxtClient("binance", { baseUrl: sim.binance.baseUrl, apiKey: "nope", secret: "nope" });
      await rejectsWith(bad.fetchBalance(), AuthenticationError);
      await bad.close();
    });
    await t.step("wrong secret → AuthenticationError (-1022)", async () => {
      const bad = createCcxtClient("binance", {
        baseUrl: sim.binance.baseUrl,
        apiKey: sim.binance.apiKey,
        secret: "x",
      });
      await rejectsWith(bad.fetchBalance(), AuthenticationError);
      await bad.close();
    });
    await t.step("price off the tick → InvalidOrder (PRICE_FILTER)", async () => {
      const raw = { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001" };
      // ccxt rounds createOrder prices itself, so send the raw request through its implicit API.
      await rejectsWith(ex.privatePostOrder({ ...raw, price: "50000.005" }), InvalidOrder);
    });
    await t.step("amount off the lot step → InvalidOrder (LOT_SIZE)", async () => {
      const raw = { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "50000" };
      await rejectsWith(ex.privatePostOrder({ ...raw, quantity: "0.000015" }), InvalidOrder);
    });
    await t.step("notional under 5 USDT → BadRequest (-1013 NOTIONAL: ccxt's mapping, not InvalidOrder)", async () => {
      await rejectsWith(ex.createOrder(BTC, "limit", "buy", 0.00005, 50_000), BadRequest);
    });
    await t.step("not enough USDT → InsufficientFunds (-2010)", async () => {
      await rejectsWith(ex.createOrder(BTC, "limit", "buy", 1, 50_000), InsufficientFunds);
    });
    await t.step("duplicate open client order id → InvalidOrder (-2010 Duplicate order sent.)", async () => {
      await ex.createOrder(BTC, "limit", "buy", 0.001, 50_000, { clientOrderId: "dup-1" });
      await rejectsWith(ex.createOrder(BTC, "limit", "buy", 0.001, 50_000, { clientOrderId: "dup-1" }), InvalidOrder);
    });
    const rejected = sim.requestLog.list({ venue: "binance", path: "/api/v3/order" }).filter((e) => e.status === 400);
    assert.equal(rejected.length, 5, "each rejection was answered by the simulator, not raised client-side");
  });
});

Deno.test("a stale timestamp is refused like Binance does (-1021 → InvalidNonce)", async () => {
  await withSim({}, async (_sim, ex) => {
    ex.options["recvWindow"] = 1_000;
    const realNonce = ex.nonce.bind(ex);
    ex.nonce = () => realNonce() - 5_000;
    await assert.rejects(ex.fetchBalance(), (err: unknown) => {
      assert.ok(err instanceof InvalidNonce && String(err).includes("-1021"), String(err));
      return true;
    });
  });
});

Deno.test("injected faults surface as the ccxt errors a real outage produces", async (t) => {
  await withSim({ timeoutMs: 400 }, async (sim, ex) => {
    await ex.loadMarkets();
    await t.step("429 with Retry-After → DDoSProtection (ccxt binance raises it for 418 and 429)", async () => {
      sim.faults.add({
        venue: "binance",
        kind: "rate_limit",
        path: "/api/v3/ticker/bookTicker",
        retryAfterSeconds: 7,
        times: 1,
      });
      await rejectsWith(ex.fetchBidsAsks([BTC]), DDoSProtection);
      const headers = ex.last_response_headers as Record<string, string> | undefined;
      assert.equal(headers?.["retry-after"] ?? headers?.["Retry-After"], "7");
      assert.ok((await ex.fetchBidsAsks([BTC]))[BTC], "one-shot fault is spent");
    });
    await t.step("418 ban → DDoSProtection", async () => {
      sim.faults.add({ venue: "binance", kind: "ban", times: 1 });
      await rejectsWith(ex.fetchTicker(BTC), DDoSProtection);
    });
    await t.step("502 gateway page → ExchangeNotAvailable (a NetworkError)", async () => {
      sim.faults.add({ venue: "binance", kind: "server_error", status: 502, times: 1 });
      await rejectsWith(ex.fetchTicker(BTC), ExchangeNotAvailable);
    });
    await t.step("503 Service Unavailable → a NetworkError", async () => {
      sim.faults.add({ venue: "binance", kind: "server_error", status: 503, times: 1 });
      await rejectsWith(ex.fetchTicker(BTC), NetworkError);
    });
    await t.step("a hang past the client timeout → RequestTimeout", async () => {
      sim.faults.add({ venue: "binance", kind: "hang", hangMs: 1_500, times: 1 });
      await rejectsWith(ex.fetchTicker(BTC), RequestTimeout);
    });
    await t.step("a malformed 200 body is NOT a ccxt error: the exchange layer has to validate", async () => {
      // Real ccxt 4.5.84 returns the raw text when JSON parsing fails; parsers then see a string.
      sim.faults.add({ venue: "binance", kind: "malformed", path: "/api/v3/account", times: 1 });
      const balance = await ex.fetchBalance();
      assert.equal(typeof balance.info, "string", "info is the unparsed body");
      assert.deepEqual(balance.total, {}, "no assets at all: silently empty, not an error");
      sim.faults.add({ venue: "binance", kind: "malformed", path: "/api/v3/ticker/24hr", times: 1 });
      await assert.rejects(ex.fetchTicker(BTC), (err: unknown) => {
        assert.ok(err instanceof TypeError && !(err instanceof ExchangeError), String(err));
        return true;
      });
    });
    const faulted = sim.requestLog.list({ venue: "binance" }).filter((e) => e.fault !== undefined);
    assert.deepEqual(faulted.map((e) => e.fault), [
      "rate_limit",
      "ban",
      "server_error",
      "server_error",
      "hang",
      "malformed",
      "malformed",
    ]);
  });
});

Deno.test("Binance's 503 'unknown' to an order that was placed: the order is there when looked up by client id", async () => {
  await withSim({}, async (sim, ex) => {
    sim.faults.add({ venue: "binance", kind: "unknown_after_place", path: "/api/v3/order", method: "POST", times: 1 });
    await rejectsWith(ex.createOrder(BTC, "limit", "buy", 0.01, 59_000, { clientOrderId: "unknown-1" }), NetworkError);
    const found = await ex.fetchOrder("", BTC, { origClientOrderId: "unknown-1" });
    assert.equal(found.status, "open");
    assert.equal(found.amount, 0.01);
    assert.equal((await ex.fetchBalance()).USDT.used, 590);
  });
});

Deno.test("added latency delays the answer without changing it", async () => {
  await withSim({ keys: false }, async (sim, ex) => {
    sim.faults.add({ venue: "binance", kind: "latency", path: "/api/v3/time", latencyMs: 150 });
    const time = await ex.fetchTime();
    assert.ok(typeof time === "number");
    const [entry] = sim.requestLog.list({ venue: "binance", path: "/api/v3/time" });
    assert.equal(entry.status, 200);
    assert.ok(entry.respondedAtPerf! - entry.arrivedAtPerf >= 150, "the log shows the injected delay");
  });
});

Deno.test("the admin endpoint sets faults, steps prices and shows the request log", async () => {
  await withSim({ keys: false }, async (sim, ex) => {
    const post = (path: string, body: unknown) =>
      fetch(`${sim.adminUrl}${path}`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
    const added = await post("/faults", { venue: "binance", kind: "server_error", status: 500, times: 1 });
    assert.equal(added.fault.kind, "server_error");
    await rejectsWith(ex.fetchTime(), ExchangeNotAvailable);

    const bad = await fetch(`${sim.adminUrl}/faults`, { method: "POST", body: JSON.stringify({ venue: "kraken" }) });
    assert.equal(bad.status, 400);
    assert.ok(JSON.stringify(await bad.json()).includes("venue"));

    await post("/quote", { venue: "binance", symbol: BTC, bid: 70_000, ask: 70_001 });
    assert.equal((await ex.fetchTicker(BTC)).bid, 70_000);
    await post("/path", { venue: "binance", symbol: BTC, points: [{ bid: 71_000, ask: 71_001 }] });
    await post("/step", { venue: "binance", count: 1 });
    assert.equal((await ex.fetchTicker(BTC)).bid, 71_000);

    const log = await fetch(`${sim.adminUrl}/requests?venue=binance`).then((r) => r.json());
    assert.ok(
      log.requests.some((e: { path: string; status: number }) => e.path === "/api/v3/time" && e.status === 500),
    );
    const cleared = await fetch(`${sim.adminUrl}/faults`, { method: "DELETE" }).then((r) => r.json());
    assert.equal(cleared.removed, 0, "the one-shot fault was already spent");
  });
});
