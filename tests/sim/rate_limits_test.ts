// Conformance: the venues' rate limits, enforced by the simulator and seen by unmodified ccxt over loopback HTTP.
// The simulator runs on a ManualClock so the fixed windows are the test's to move; ccxt's nonce follows that clock,
// and ccxt's own throttle is off: these tests hammer on purpose.

import assert from "node:assert/strict";
import { DDoSProtection, type Exchange, RateLimitExceeded } from "ccxt";
import { ManualClock } from "../../dev/sim/clock.ts";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import type { RateLimitConfig, VenueId } from "../../dev/sim/types.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

/** One second into a minute: every window (2 s, 10 s, 1 min) starts exactly on a multiple of it. */
const START = Date.UTC(2026, 0, 1, 0, 0, 0);

async function withSim(
  venue: VenueId,
  limits: RateLimitConfig | undefined,
  body: (sim: Simulator, ex: Exchange, clock: ManualClock) => Promise<void>,
): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  if (limits) config[venue].rateLimits = limits;
  const clock = new ManualClock(START);
  const sim = await startSimulator({ seed: 9, config, clock });
  const keys = venue === "binance"
    ? { apiKey: sim.binance.apiKey, secret: sim.binance.secret }
    : { apiKey: sim.okx.apiKey, secret: sim.okx.secret, password: sim.okx.passphrase };
  const ex = createCcxtClient(venue, { baseUrl: sim[venue].baseUrl, ...keys });
  ex.enableRateLimit = false;
  ex.nonce = () => clock.now();
  try {
    await body(sim, ex, clock);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

/** A header of ccxt's last HTTP answer. */
function lastHeader(ex: Exchange, name: string): string | undefined {
  const headers = (ex.last_response_headers ?? {}) as Record<string, string>;
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}

async function get(url: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function rejectsWith(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => Error) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof errorClass, `expected ${errorClass.name}, got ${err}`);
    return true;
  });
}

Deno.test("Binance: X-MBX-USED-WEIGHT-1M counts the published weight of each endpoint on every answer", async () => {
  await withSim("binance", undefined, async (sim) => {
    const base = `${sim.binance.baseUrl}/api/v3`;
    const steps: [string, number][] = [
      ["/time", 1],
      ["/ping", 1],
      ["/exchangeInfo", 20],
      ["/exchangeInfo?symbol=BTCUSDT", 20],
      ["/ticker/bookTicker?symbol=BTCUSDT", 2],
      ["/ticker/bookTicker", 4],
      ['/ticker/bookTicker?symbols=["BTCUSDT","ETHUSDT"]', 4],
      ["/ticker/24hr?symbol=BTCUSDT", 2],
      ['/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]', 2],
      ["/ticker/24hr", 80],
      ["/ticker/price", 4],
      ["/depth?symbol=BTCUSDT&limit=100", 5],
      ["/depth?symbol=BTCUSDT&limit=500", 25],
      ["/ticker/bookTicker?symbol=NOPE", 2], // an error answer still weighs and still says so
    ];
    let expected = 0;
    for (const [path, weight] of steps) {
      const res = await get(base + path);
      expected += weight;
      assert.equal(res.headers.get("x-mbx-used-weight-1m"), String(expected), path);
    }
    const info = await get(`${base}/exchangeInfo`);
    assert.deepEqual(info.body.rateLimits, [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
    ]);
  });
});

Deno.test("Binance: signed calls weigh what Binance publishes and answers carry the account's order counts", async () => {
  await withSim("binance", undefined, async (sim, ex) => {
    await ex.loadMarkets(); // 20
    const weight = () => Number(lastHeader(ex, "x-mbx-used-weight-1m"));
    await ex.fetchBalance();
    assert.equal(weight(), 40, "account 20");
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "0");
    const order = await ex.createOrder("BTC/USDT", "limit", "buy", 0.001, 50_000);
    assert.equal(weight(), 41, "order 1");
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "1");
    assert.equal(lastHeader(ex, "x-mbx-order-count-1d"), "1");
    await ex.fetchOrder(order.id!, "BTC/USDT");
    assert.equal(weight(), 45, "query order 4");
    await ex.fetchOpenOrders("BTC/USDT");
    assert.equal(weight(), 51, "openOrders with symbol 6");
    await ex.fetchMyTrades("BTC/USDT");
    assert.equal(weight(), 71, "myTrades 20");
    await ex.cancelOrder(order.id!, "BTC/USDT");
    assert.equal(weight(), 72, "cancel 1");
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "1", "a cancel is not a new order");
    sim.requestLog.clear();
  });
});

Deno.test("Binance: REQUEST_WEIGHT 6000 per minute: the request past it is 429 -1003 with Retry-After to the minute's end", async () => {
  await withSim("binance", undefined, async (sim, ex, clock) => {
    clock.advance(1_000);
    const url = `${sim.binance.baseUrl}/api/v3/exchangeInfo`;
    for (let i = 1; i <= 300; i++) {
      const res = await fetch(url);
      await res.body?.cancel();
      assert.equal(res.status, 200, `request ${i} of 300 (weight ${i * 20})`);
    }
    const over = await get(url);
    assert.equal(over.status, 429);
    assert.equal(over.body.code, -1003);
    assert.match(String(over.body.msg), /current limit is 6000 request weight per 1 MINUTE/);
    assert.equal(over.headers.get("retry-after"), "59");
    assert.equal(over.headers.get("x-mbx-used-weight-1m"), "6020");
    await rejectsWith(ex.fetchTime(), DDoSProtection);

    clock.advance(59_000); // the next minute
    assert.equal(typeof await ex.fetchTime(), "number");
    assert.equal(lastHeader(ex, "x-mbx-used-weight-1m"), "1");
  });
});

Deno.test("Binance: an IP that keeps sending into 429s is banned with 418 and Retry-After; the second ban lasts twice as long", async () => {
  await withSim("binance", { requestWeightPerMinute: 10, banAfter429s: 2 }, async (sim, _ex, clock) => {
    const url = `${sim.binance.baseUrl}/api/v3/ticker/bookTicker?symbol=BTCUSDT`; // weight 2
    for (let i = 0; i < 5; i++) assert.equal((await get(url)).status, 200);
    assert.equal((await get(url)).status, 429);
    assert.equal((await get(url)).status, 429);
    const ban = await get(url);
    assert.equal(ban.status, 418);
    assert.equal(ban.body.code, -1003);
    assert.match(String(ban.body.msg), new RegExp(`IP banned until ${START + 120_000}`));
    assert.equal(ban.headers.get("retry-after"), "120");

    clock.advance(60_000); // a fresh weight window does not lift the ban
    const still = await get(url);
    assert.equal(still.status, 418);
    assert.equal(still.headers.get("retry-after"), "60");
    clock.advance(60_000);
    assert.equal((await get(url)).status, 200, "the ban is over");

    for (let i = 0; i < 4; i++) await get(url);
    assert.equal((await get(url)).status, 429);
    assert.equal((await get(url)).status, 429);
    const second = await get(url);
    assert.equal(second.status, 418);
    assert.equal(second.headers.get("retry-after"), "240");
  });
});

Deno.test("Binance: ORDERS per 10 s per account: the order past it is 429 -1015, the 10 s window reopens, the day count goes on", async () => {
  await withSim("binance", { ordersPer10s: 3 }, async (_sim, ex, clock) => {
    await ex.loadMarkets();
    for (let i = 0; i < 3; i++) await ex.createOrder("BTC/USDT", "limit", "buy", 0.001, 50_000);
    await rejectsWith(ex.createOrder("BTC/USDT", "limit", "buy", 0.001, 50_000), DDoSProtection);
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "4");
    assert.equal(lastHeader(ex, "retry-after"), "10");
    assert.equal((await ex.fetchOpenOrders("BTC/USDT")).length, 3, "the refused order was not placed");
    clock.advance(10_000);
    await ex.createOrder("BTC/USDT", "limit", "buy", 0.001, 50_000);
    assert.equal(lastHeader(ex, "x-mbx-order-count-10s"), "1");
    assert.equal(lastHeader(ex, "x-mbx-order-count-1d"), "5");
  });
});

Deno.test("Binance: limits switched off by config still count, and the admin API switches them and resets the counts", async () => {
  await withSim("binance", { enabled: false, requestWeightPerMinute: 20 }, async (sim) => {
    const url = `${sim.binance.baseUrl}/api/v3/exchangeInfo`;
    for (let i = 0; i < 3; i++) assert.equal((await get(url)).status, 200);
    const post = (body: unknown) =>
      fetch(`${sim.adminUrl}/rate-limits`, { method: "POST", body: JSON.stringify(body) }).then((r) => r.json());
    assert.deepEqual(await post({ venue: "binance", enabled: true }), { venue: "binance", enabled: true });
    const over = await get(url);
    assert.equal(over.status, 429);
    assert.equal(over.headers.get("x-mbx-used-weight-1m"), "80");
    await post({ venue: "binance", reset: true });
    const fresh = await get(url);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get("x-mbx-used-weight-1m"), "20");
    const shown = await (await fetch(`${sim.adminUrl}/rate-limits`)).json();
    assert.equal(shown.binance.enabled, true);
    assert.equal(shown.binance.figures.requestWeightPerMinute, 20);
    assert.equal(shown.okx.figures["GET /api/v5/public/time"], 10);
  });
});

Deno.test("OKX: public/time 10 per 2 s, then HTTP 429 code 50011 'Too Many Requests' (ccxt RateLimitExceeded); endpoints count apart", async () => {
  await withSim("okx", undefined, async (sim, ex, clock) => {
    for (let i = 0; i < 10; i++) assert.equal(typeof await ex.fetchTime(), "number");
    await rejectsWith(ex.fetchTime(), RateLimitExceeded);
    const raw = await get(`${sim.okx.baseUrl}/api/v5/public/time`);
    assert.equal(raw.status, 429);
    assert.deepEqual(raw.body, { code: "50011", msg: "Too Many Requests", data: [] });

    const ticker = `${sim.okx.baseUrl}/api/v5/market/ticker?instId=BTC-USDT`;
    for (let i = 0; i < 20; i++) assert.equal((await get(ticker)).status, 200, `ticker ${i + 1} of 20`);
    assert.equal((await get(ticker)).status, 429);

    clock.advance(2_000);
    assert.equal(typeof await ex.fetchTime(), "number", "the next 2 s window is open");
  });
});

Deno.test("OKX: private limits count per account (balance 10 per 2 s; ccxt's one-order batch counts as place order, 60 per 2 s)", async () => {
  await withSim("okx", undefined, async (_sim, ex, clock) => {
    await ex.loadMarkets();
    for (let i = 0; i < 10; i++) await ex.fetchBalance();
    await rejectsWith(ex.fetchBalance(), RateLimitExceeded);
    for (let i = 0; i < 60; i++) await ex.createOrder("BTC/USDT", "limit", "buy", 0.0001, 50_000);
    await rejectsWith(ex.createOrder("BTC/USDT", "limit", "buy", 0.0001, 50_000), RateLimitExceeded);
    clock.advance(2_000);
    assert.equal((await ex.fetchOpenOrders("BTC/USDT")).length, 60, "the refused order was not placed");
  });
});

Deno.test("OKX: per-endpoint figures are configurable", async () => {
  await withSim("okx", { per2s: { "GET /api/v5/market/tickers": 2 } }, async (_sim, ex) => {
    await ex.loadMarkets();
    await ex.fetchTickers(["BTC/USDT"]);
    await ex.fetchTickers(["BTC/USDT"]);
    await rejectsWith(ex.fetchTickers(["BTC/USDT"]), RateLimitExceeded);
  });
});
