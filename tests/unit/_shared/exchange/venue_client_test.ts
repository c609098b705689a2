import assert from "node:assert/strict";
import { AuthenticationError, InsufficientFunds, RateLimitExceeded, RequestTimeout } from "ccxt";
import { RateLimiter } from "../../../../supabase/functions/_shared/exchange/rate_limiter.ts";
import { VENUE_PROFILES } from "../../../../supabase/functions/_shared/exchange/venues.ts";
import { ManualClock } from "../../../support/manual_clock.ts";
import type { Env } from "../../../../supabase/functions/_shared/env.ts";
import {
  FinalExchangeError,
  NeedsHumanError,
  RateLimitedError,
  TemporaryExchangeError,
} from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  acceptedAsOpen,
  type CcxtExchange,
  createVenueClient,
  InvalidExchangeResponseError,
  normalizeBalances,
  normalizeOrder,
  type VenueOrder,
} from "../../../../supabase/functions/_shared/exchange/venue_client.ts";
import { buildVenueClient, venueSetup } from "../../../../supabase/functions/_shared/exchange/venue_factory.ts";
import { createCcxtClient } from "../../../../supabase/functions/_shared/exchange/ccxt_client.ts";

const noWait = { sleep: () => Promise.resolve(), attempts: 3, baseDelayMs: 1, maxDelayMs: 5000 };

/** A stand-in for a ccxt instance: only the members the venue client calls, each scripted per test. */
function fakeExchange(overrides: Partial<Record<keyof CcxtExchange, unknown>>): CcxtExchange & { calls: string[] } {
  const calls: string[] = [];
  const handler: ProxyHandler<Record<string, unknown>> = {
    get(target, prop: string) {
      if (prop === "calls") return calls;
      if (prop === "last_response_headers") return target[prop];
      const impl = target[prop];
      if (impl !== undefined && typeof impl !== "function") return impl; // scripted data (markets)
      if (typeof impl !== "function") return () => Promise.reject(new Error(`fake: ${prop} not scripted`));
      return (...args: unknown[]) => {
        calls.push(prop);
        return (impl as (...a: unknown[]) => unknown)(...args);
      };
    },
  };
  return new Proxy(overrides as Record<string, unknown>, handler) as unknown as CcxtExchange & { calls: string[] };
}

Deno.test("normalizeBalances keeps every asset with free/used/total and derives what ccxt left out", () => {
  const out = normalizeBalances({
    info: { raw: true },
    timestamp: 1,
    free: { USDT: 10 },
    used: { USDT: 5 },
    total: { USDT: 15 },
    USDT: { free: 10, used: 5, total: 15 },
    BTC: { free: 0.5, used: undefined, total: 0.5 },
    ETH: { free: 1, used: 2, total: undefined },
    BNB: { free: 0, used: 0, total: 0 },
  });
  assert.deepEqual(out, {
    USDT: { free: 10, used: 5, total: 15 },
    BTC: { free: 0.5, used: 0, total: 0.5 },
    ETH: { free: 1, used: 2, total: 3 },
    BNB: { free: 0, used: 0, total: 0 },
  });
});

Deno.test("normalizeBalances refuses negative or non-numeric figures, naming the asset", () => {
  assert.throws(
    () => normalizeBalances({ USDT: { free: -1, used: 0, total: -1 } }),
    (e) => e instanceof InvalidExchangeResponseError && /balances\.USDT\.free/.test(e.message),
  );
  assert.throws(
    () => normalizeBalances({ BTC: { free: "abc", used: 0, total: 1 } }),
    (e) => e instanceof InvalidExchangeResponseError && /balances\.BTC/.test(e.message),
  );
  assert.throws(() => normalizeBalances(null), InvalidExchangeResponseError);
});

Deno.test("normalizeOrder maps a ccxt order and keeps the raw answer", () => {
  const order = normalizeOrder({
    id: 123,
    clientOrderId: "ours-1",
    symbol: "BTC/USDT",
    side: "buy",
    type: "limit",
    status: "open",
    price: 100,
    amount: 0.1,
    filled: 0,
    remaining: 0.1,
    average: undefined,
    cost: 0,
    fee: undefined,
    timestamp: 1700000000000,
    info: { orderId: 123 },
  });
  assert.equal(order.id, "123");
  assert.equal(order.average, null);
  assert.equal(order.fee, null);
  assert.deepEqual(order.raw, { orderId: 123 });
  assert.throws(() => normalizeOrder({ id: "1", price: "abc" }), InvalidExchangeResponseError);
});

Deno.test("reads are retried on temporary errors and translated", async () => {
  let attempts = 0;
  const exchange = fakeExchange({
    fetchBalance: () => {
      attempts++;
      if (attempts < 3) return Promise.reject(new RequestTimeout("binance GET timed out"));
      return Promise.resolve({ USDT: { free: 0, used: 0, total: 0 } });
    },
  });
  const client = createVenueClient("binance", exchange, { retry: noWait });
  assert.deepEqual(await client.fetchBalances(), { USDT: { free: 0, used: 0, total: 0 } });
  assert.equal(attempts, 3);
});

Deno.test("a read that keeps failing ends as our TemporaryExchangeError after the cap", async () => {
  const exchange = fakeExchange({ fetchBalance: () => Promise.reject(new RequestTimeout("down")) });
  const client = createVenueClient("okx", exchange, { retry: noWait });
  await assert.rejects(client.fetchBalances(), (e) => e instanceof TemporaryExchangeError && e.venue === "okx");
  assert.equal(exchange.calls.length, 3);
});

Deno.test("authentication errors are not retried and need a human", async () => {
  const exchange = fakeExchange({ fetchBalance: () => Promise.reject(new AuthenticationError("Invalid API-key")) });
  const client = createVenueClient("binance", exchange, { retry: noWait });
  await assert.rejects(client.fetchBalances(), NeedsHumanError);
  assert.equal(exchange.calls.length, 1);
});

Deno.test("createOrder is sent once, with our client order id, even on a timeout", async () => {
  const seen: unknown[][] = [];
  const exchange = fakeExchange({
    createOrder: (...args: unknown[]) => {
      seen.push(args);
      return Promise.reject(new RequestTimeout("timed out"));
    },
  });
  const client = createVenueClient("binance", exchange, { retry: noWait });
  const order = {
    symbol: "BTC/USDT",
    side: "buy" as const,
    type: "limit" as const,
    amount: 0.001,
    price: 100,
    clientOrderId: "cid-1",
  };
  await assert.rejects(client.createOrder(order), TemporaryExchangeError);
  assert.equal(seen.length, 1, "never retried");
  assert.deepEqual(seen[0], ["BTC/USDT", "limit", "buy", 0.001, 100, { clientOrderId: "cid-1" }]);
});

Deno.test("createOrder failures the venue refuses are final", async () => {
  const exchange = fakeExchange({
    createOrder: () => Promise.reject(new InsufficientFunds("Account has insufficient")),
  });
  const client = createVenueClient("okx", exchange, { retry: noWait });
  await assert.rejects(
    client.createOrder({ symbol: "BTC/USDT", side: "buy", type: "market", amount: 1, clientOrderId: "c" }),
    FinalExchangeError,
  );
});

Deno.test("fetchOrderByClientId asks ccxt by client order id", async () => {
  const seen: unknown[][] = [];
  const exchange = fakeExchange({
    fetchOrder: (...args: unknown[]) => {
      seen.push(args);
      return Promise.resolve({ id: "9", clientOrderId: "cid-9", status: "closed", info: {} });
    },
  });
  const client = createVenueClient("okx", exchange, { retry: noWait });
  const order = await client.fetchOrderByClientId("cid-9", "ETH/USDT");
  assert.equal(order.clientOrderId, "cid-9");
  assert.deepEqual(seen[0], [undefined, "ETH/USDT", { clientOrderId: "cid-9" }]);
});

Deno.test("fetchQuotes uses one request: bid/ask tickers on Binance, tickers on OKX parsed for our symbols only", async () => {
  const tickers = { "BTC/USDT": { bid: 100, ask: 101, timestamp: 5 }, "ETH/USDT": { bid: 10, ask: 10.1 } };
  const binance = fakeExchange({ fetchBidsAsks: () => Promise.resolve(tickers) });
  // OKX answers its whole list (here with one instrument we do not trade); only our instIds reach parseTicker.
  const parsed: string[] = [];
  const okxRaw = [
    { instId: "BTC-USDT", bidPx: "100", askPx: "101", ts: "5" },
    { instId: "DOGE-USDT", bidPx: "1", askPx: "1.1" },
    { instId: "ETH-USDT", bidPx: "10", askPx: "10.1" },
  ];
  const okx = fakeExchange({
    markets: {
      "BTC/USDT": { id: "BTC-USDT", symbol: "BTC/USDT" },
      "ETH/USDT": { id: "ETH-USDT", symbol: "ETH/USDT" },
      "DOGE/USDT": { id: "DOGE-USDT", symbol: "DOGE/USDT" },
    },
    publicGetMarketTickers: () => Promise.resolve({ code: "0", data: okxRaw }),
    parseTicker: (entry: { instId: string; bidPx: string; askPx: string; ts?: string }) => {
      parsed.push(entry.instId);
      return { bid: Number(entry.bidPx), ask: Number(entry.askPx), timestamp: entry.ts ? Number(entry.ts) : undefined };
    },
  } as Record<string, unknown>);
  const symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"];
  const fromBinance = await createVenueClient("binance", binance, { retry: noWait }).fetchQuotes(symbols);
  const fromOkx = await createVenueClient("okx", okx, { retry: noWait }).fetchQuotes(symbols);
  assert.deepEqual(binance.calls, ["fetchBidsAsks"]);
  assert.deepEqual(okx.calls, ["publicGetMarketTickers", "parseTicker", "parseTicker"]);
  assert.deepEqual(parsed, ["BTC-USDT", "ETH-USDT"], "the instrument we do not trade is never parsed");
  assert.deepEqual(fromBinance, fromOkx);
  assert.deepEqual(fromBinance["BTC/USDT"], { symbol: "BTC/USDT", bid: 100, ask: 101, timestamp: 5 });
  assert.equal(fromBinance["SOL/USDT"], undefined, "a symbol the venue did not list stays missing");
  const bad = fakeExchange({ fetchBidsAsks: () => Promise.resolve({ "BTC/USDT": { bid: -1, ask: 2 } }) });
  await assert.rejects(
    createVenueClient("binance", bad, { retry: { ...noWait, attempts: 1 } }).fetchQuotes(["BTC/USDT"]),
    InvalidExchangeResponseError,
  );
});

Deno.test("fetchServerTime with retry off makes exactly one request", async () => {
  const exchange = fakeExchange({ fetchTime: () => Promise.reject(new RequestTimeout("slow")) });
  const client = createVenueClient("binance", exchange, { retry: noWait });
  await assert.rejects(client.fetchServerTime({ retry: false }), TemporaryExchangeError);
  assert.equal(exchange.calls.length, 1);
});

const ENV: Env = {
  supabaseUrl: "http://127.0.0.1:1",
  secretKeys: {},
  serviceRoleKey: "k",
  serverKey: "k",
  credentials: { binance: { apiKey: "bk", secret: "bs" } },
  baseUrls: { binance: "http://127.0.0.1:9/binance" },
  allowLiveTrading: false,
  exchangeTimeoutMs: 3000,
};

Deno.test("venueSetup: paper has no keys, testnet is sandbox with keys, live exposes the opt-in fact", () => {
  const paper = venueSetup("binance", ENV, "paper");
  assert.equal(paper.ccxtOptions.apiKey, undefined);
  assert.equal(paper.ccxtOptions.sandbox, false);
  assert.equal(paper.facts.hasCredentials, true);
  const testnet = venueSetup("binance", ENV, "testnet");
  assert.equal(testnet.ccxtOptions.apiKey, "bk");
  assert.equal(testnet.ccxtOptions.sandbox, true);
  assert.equal(testnet.ccxtOptions.baseUrl, "http://127.0.0.1:9/binance");
  assert.equal(testnet.ccxtOptions.timeoutMs, 3000);
  const live = venueSetup("binance", ENV, "live");
  assert.equal(live.ccxtOptions.sandbox, false);
  assert.equal(live.facts.liveAllowedByEnv, false);
  const okx = venueSetup("okx", ENV, "testnet");
  assert.equal(okx.facts.hasCredentials, false);
  assert.equal(okx.ccxtOptions.apiKey, undefined);
});

/** A loopback server that answers the first /api/v3/time with 429 + Retry-After, then the time. */
function rateLimitingServer() {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (path.endsWith("/api/v3/time") && hits.length === 1) {
      return new Response(JSON.stringify({ code: -1003, msg: "Too many requests" }), {
        status: 429,
        headers: { "retry-after": "1", "content-type": "application/json" },
      });
    }
    if (path.endsWith("/api/v3/time")) return Response.json({ serverTime: 1_700_000_000_000 });
    return new Response("not found", { status: 404 });
  });
  return { server, hits, baseUrl: `http://127.0.0.1:${server.addr.port}` };
}

Deno.test("real ccxt against a loopback 429: Retry-After is read from ccxt's response headers", async () => {
  const { server, hits, baseUrl } = rateLimitingServer();
  try {
    const waits: number[] = [];
    const { client } = buildVenueClient("binance", { ...ENV, baseUrls: { binance: baseUrl } }, "testnet", {
      retry: { sleep: (ms) => (waits.push(ms), Promise.resolve()), attempts: 3, baseDelayMs: 10, maxDelayMs: 5000 },
      ccxtFactory: (venue, options) => createCcxtClient(venue, options),
    });
    assert.equal(await client.fetchServerTime(), 1_700_000_000_000);
    assert.equal(hits.length, 2);
    assert.deepEqual(waits, [1000], "waited what Retry-After asked, not the 10 ms backoff");
  } finally {
    await server.shutdown();
  }
});

Deno.test("real ccxt: a 429 surfaces as RateLimitedError with retryAfterMs when retries are off", async () => {
  const { server, baseUrl } = rateLimitingServer();
  try {
    const { client } = buildVenueClient("binance", { ...ENV, baseUrls: { binance: baseUrl } }, "paper");
    await assert.rejects(
      client.fetchServerTime({ retry: false }),
      (e) => e instanceof RateLimitedError && e.retryAfterMs === 1000,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("real ccxt: a failed market load is retried with a new request, not ccxt's cached rejection", async () => {
  const hits: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    hits.push(path);
    if (hits.length === 1) {
      return Response.json({ code: -1003, msg: "Too many requests" }, { status: 429, headers: { "retry-after": "0" } });
    }
    return Response.json({ timezone: "UTC", serverTime: 1, rateLimits: [], exchangeFilters: [], symbols: [] });
  });
  try {
    const { client } = buildVenueClient(
      "binance",
      { ...ENV, baseUrls: { binance: `http://127.0.0.1:${server.addr.port}` } },
      "paper",
      { retry: noWait },
    );
    assert.deepEqual(await client.loadMarkets(), {});
    assert.deepEqual(hits, ["/api/v3/exchangeInfo", "/api/v3/exchangeInfo"]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("real ccxt: the latency probe times the HTTP round trip only, and never retries", async () => {
  let hits = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    hits++;
    if (hits === 2) return new Response("<html>502</html>", { status: 502, headers: { "content-type": "text/html" } });
    return Response.json({ serverTime: 1_700_000_000_000 });
  });
  try {
    // A fake monotonic clock that moves 7 ms per reading: the only readings are around ccxt's fetch.
    let now = 0;
    const exchange = createCcxtClient("binance", { baseUrl: `http://127.0.0.1:${server.addr.port}` });
    const client = createVenueClient("binance", exchange, { retry: noWait, nowMs: () => (now += 7) });
    assert.deepEqual(await client.measureServerTimeRoundTrip(), { serverTimeMs: 1_700_000_000_000, roundTripMs: 7 });
    await assert.rejects(client.measureServerTimeRoundTrip(), TemporaryExchangeError);
    assert.equal(hits, 2, "the failed probe was not retried");
  } finally {
    await server.shutdown();
  }
});

Deno.test("our limiter is charged each request's cost, and a 429's Retry-After pauses it", async () => {
  const clock = new ManualClock(0);
  const limiter = new RateLimiter(VENUE_PROFILES.binance.rateLimits.limits, {
    nowMs: () => clock.monotonicMs(),
    sleep: (ms) => clock.sleep(ms),
  });
  let limited = true;
  const exchange = fakeExchange({
    fetchBidsAsks: () =>
      limited
        ? Promise.reject(new RateLimitExceeded("binance 429 Too many requests"))
        : Promise.resolve({ "BTC/USDT": { bid: 1, ask: 2 } }),
    createOrder: () =>
      Promise.resolve({ id: "1", clientOrderId: "c1", status: "open", amount: 1, filled: 0, info: {} }),
    last_response_headers: { "Retry-After": "2" },
  });
  const client = createVenueClient("binance", exchange, { retry: { ...noWait, attempts: 1 }, limiter });
  await assert.rejects(client.fetchQuotes(["BTC/USDT"]), (e) => e instanceof RateLimitedError);
  assert.deepEqual(limiter.spent, { weight: 4 });
  limited = false;
  await client.createOrder({
    symbol: "BTC/USDT",
    side: "buy",
    type: "limit",
    amount: 1,
    price: 1,
    clientOrderId: "c1",
  });
  assert.equal(clock.monotonicMs(), 2_000, "the order waited out the venue's Retry-After");
  assert.deepEqual(limiter.spent, { weight: 5, orders: 1 });
  await client.fetchQuotes(["BTC/USDT"]);
  assert.deepEqual(limiter.spent, { weight: 9, orders: 1 });
});

Deno.test("a placement answer with an id and no state (OKX) reads as accepted and open, not as an unknown outcome", () => {
  const answered: VenueOrder = {
    id: "778",
    clientOrderId: "c1",
    symbol: "ETH/USDT",
    side: "buy",
    type: "limit",
    status: null,
    price: null,
    amount: null,
    filled: null,
    remaining: null,
    average: null,
    cost: null,
    fee: null,
    timestamp: null,
    raw: {},
  };
  assert.deepEqual([acceptedAsOpen(answered).status, acceptedAsOpen(answered).filled], ["open", 0]);
  // A stated status is kept, and an answer naming no order is left as it is (its outcome is unknown).
  assert.equal(acceptedAsOpen({ ...answered, status: "closed" }).status, "closed");
  assert.equal(acceptedAsOpen({ ...answered, id: "" }).status, null);
});
