// Conformance: venue-sized market listings (generated from the seed) and the narrow listing/ticker requests, seen by
// unmodified ccxt over loopback HTTP.

import assert from "node:assert/strict";
import { type Exchange, MarketClosed } from "ccxt";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { type Simulator, startSimulator } from "../../dev/sim/server.ts";
import type { VenueId } from "../../dev/sim/types.ts";
import { createCcxtClient } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

async function withSim(
  venue: VenueId,
  body: (sim: Simulator, ex: Exchange) => Promise<void>,
  seed = 21,
): Promise<void> {
  const config = defaultSimConfig();
  config.binance.priceStepIntervalMs = 0;
  config.okx.priceStepIntervalMs = 0;
  const sim = await startSimulator({ seed, config });
  const keys = venue === "binance"
    ? { apiKey: sim.binance.apiKey, secret: sim.binance.secret }
    : { apiKey: sim.okx.apiKey, secret: sim.okx.secret, password: sim.okx.passphrase };
  const ex = createCcxtClient(venue, { baseUrl: sim[venue].baseUrl, ...keys });
  try {
    await body(sim, ex);
  } finally {
    await ex.close();
    await sim.stop();
  }
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

type SymbolEntry = { symbol: string; status: string; filters: { filterType: string }[] };

Deno.test("Binance lists ~3000 symbols by default, mostly TRADING, some BREAK, with the four configured ones first", async () => {
  let firstIds: string[] = [];
  await withSim("binance", async (sim, ex) => {
    const info = await getJson(`${sim.binance.baseUrl}/api/v3/exchangeInfo`);
    const symbols = info.body.symbols as SymbolEntry[];
    assert.equal(symbols.length, 3004);
    assert.deepEqual(symbols.slice(0, 4).map((s) => s.symbol), ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]);
    const breaks = symbols.filter((s) => s.status === "BREAK").length;
    assert.ok(breaks > 100 && breaks < 400, `${breaks} in BREAK`);
    assert.equal(symbols.filter((s) => s.status !== "BREAK" && s.status !== "TRADING").length, 0);
    assert.equal(new Set(symbols.map((s) => s.symbol)).size, 3004, "ids are unique");
    assert.ok(
      symbols.every((s) =>
        ["PRICE_FILTER", "LOT_SIZE", "NOTIONAL"].every((f) => s.filters.some((x) => x.filterType === f))
      ),
    );
    firstIds = symbols.slice(4, 50).map((s) => s.symbol);

    const markets = await ex.loadMarkets();
    assert.equal(Object.keys(markets).length, 3004);
    assert.equal(Object.values(markets).filter((m) => m!.active === false).length, breaks, "ccxt: BREAK is inactive");
    const quotes = new Set(Object.values(markets).map((m) => m!.quote));
    for (const q of ["USDT", "BTC", "FDUSD", "USDC", "ETH", "BNB"]) assert.ok(quotes.has(q), q);
  });
  await withSim("binance", async (sim) => {
    const info = await getJson(`${sim.binance.baseUrl}/api/v3/exchangeInfo`);
    const again = (info.body.symbols as SymbolEntry[]).slice(4, 50).map((s) => s.symbol);
    assert.deepEqual(again, firstIds, "same seed, same listing");
  });
  await withSim("binance", async (sim) => {
    const info = await getJson(`${sim.binance.baseUrl}/api/v3/exchangeInfo`);
    const other = (info.body.symbols as SymbolEntry[]).slice(4, 50).map((s) => s.symbol);
    assert.notDeepEqual(other, firstIds, "another seed, another listing");
  }, 22);
});

Deno.test("Binance exchangeInfo ?symbol= and ?symbols=[...] answer only those; bookTicker takes symbols=[...]", async () => {
  await withSim("binance", async (sim) => {
    const base = `${sim.binance.baseUrl}/api/v3`;
    const one = await getJson(`${base}/exchangeInfo?symbol=ETHUSDT`);
    assert.deepEqual((one.body.symbols as SymbolEntry[]).map((s) => s.symbol), ["ETHUSDT"]);
    const many = await getJson(`${base}/exchangeInfo?symbols=${encodeURIComponent('["BTCUSDT","SOLUSDT"]')}`);
    assert.deepEqual((many.body.symbols as SymbolEntry[]).map((s) => s.symbol), ["BTCUSDT", "SOLUSDT"]);
    const unknown = await getJson(`${base}/exchangeInfo?symbol=NOPEUSDT`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, -1121);
    const res = await fetch(`${base}/ticker/bookTicker?symbols=${encodeURIComponent('["BTCUSDT","ETHUSDT"]')}`);
    const books = await res.json() as { symbol: string }[];
    assert.deepEqual(books.map((b) => b.symbol), ["BTCUSDT", "ETHUSDT"]);
    const all = await fetch(`${base}/ticker/bookTicker`).then((r) => r.json()) as unknown[];
    assert.equal(all.length, 3004, "without symbols: every listed symbol");
  });
});

Deno.test("Binance: a generated TRADING symbol trades (its walk starts), a BREAK one refuses orders", async () => {
  await withSim("binance", async (sim, ex) => {
    const markets = await ex.loadMarkets();
    const usdt = Object.values(markets).filter((m) => m!.quote === "USDT" && m!.base !== "BTC" && m!.base !== "ETH");
    const trading = usdt.find((m) => m!.active && !["SOL", "BNB"].includes(m!.base))!;
    const closed = usdt.find((m) => m!.active === false)!;
    sim.market.setBalance("binance", "USDT", 1_000_000);
    const book = await ex.fetchOrderBook(trading.symbol, 5);
    const amount = Number(ex.amountToPrecision(trading.symbol, 20 / book.asks[0][0]!));
    const order = await ex.createOrder(trading.symbol, "market", "buy", Math.max(amount, trading.limits.amount!.min!));
    assert.equal(order.status, "closed");
    assert.ok(order.filled! > 0);
    const closedBook = await ex.fetchOrderBook(closed.symbol, 5);
    const closedAmount = Number(ex.amountToPrecision(closed.symbol, 20 / closedBook.asks[0][0]!));
    await assert.rejects(
      ex.createOrder(closed.symbol, "market", "buy", Math.max(closedAmount, closed.limits.amount!.min!)),
      (err: unknown) => {
        assert.ok(err instanceof MarketClosed, `ccxt maps Binance's "Market is closed." to MarketClosed: ${err}`);
        return true;
      },
    );
    const refused = sim.requestLog.list({ venue: "binance", path: "/api/v3/order" }).filter((e) => e.status === 400);
    assert.equal(refused.length, 1, "the simulator refused it (-2010), ccxt did not refuse client-side");
  });
});

Deno.test("OKX lists several hundred SPOT instruments; instruments?instId= and market/ticker?instId= answer one", async () => {
  await withSim("okx", async (sim, ex) => {
    const markets = await ex.loadMarkets();
    assert.equal(Object.keys(markets).length, 604);
    assert.ok(Object.values(markets).every((m) => m!.spot));
    const base = `${sim.okx.baseUrl}/api/v5`;
    const one = await getJson(`${base}/public/instruments?instType=SPOT&instId=ETH-USDT`);
    assert.deepEqual((one.body.data as { instId: string }[]).map((i) => i.instId), ["ETH-USDT"]);
    const ticker = await getJson(`${base}/market/ticker?instId=SOL-USDT`);
    assert.deepEqual((ticker.body.data as { instId: string }[]).map((t) => t.instId), ["SOL-USDT"]);
    const generated = Object.values(markets).find((m) => !["BTC", "ETH", "SOL", "BNB"].includes(m!.base))!;
    const t = await ex.fetchTicker(generated.symbol);
    assert.ok(t.bid! > 0 && t.ask! > t.bid!, `${generated.symbol} is quoted`);
  });
});

Deno.test("marketList: short keeps the configured markets only", async () => {
  const config = defaultSimConfig();
  config.binance.marketList = "short";
  config.okx.marketList = "short";
  const sim = await startSimulator({ seed: 21, config });
  try {
    const info = await getJson(`${sim.binance.baseUrl}/api/v3/exchangeInfo`);
    assert.equal((info.body.symbols as unknown[]).length, 4);
    const inst = await getJson(`${sim.okx.baseUrl}/api/v5/public/instruments?instType=SPOT`);
    assert.equal((inst.body.data as unknown[]).length, 4);
  } finally {
    await sim.stop();
  }
});
