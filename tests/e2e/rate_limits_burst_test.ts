/**
 * A long burst at a 200 ms tick with 20 symbols on both venues stays inside the venues' published limits. The
 * simulator enforces them as the venues do (Binance request weight per minute and order count per 10 s, OKX per
 * endpoint per 2 s; 429 with Retry-After, 418 after repeated abuse), so every request it counted over a limit would
 * have been answered 429 or 418: the test asserts that none was, and recounts the simulator's own windows from its
 * request log (Binance weights by the simulator's weight table). It never asserts on time.
 *
 * Every symbol's scripted path rises, so entries, fills and exits happen on many symbols at once: the burst has
 * working orders to refresh and orders to send, not only quotes.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { binanceWeight } from "../../dev/sim/binance_weights.ts";
import { OKX_DEFAULT_LIMITS_PER_2S } from "../../dev/sim/rate_limits.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import type { MarketConfig } from "../../dev/sim/types.ts";
import type { RequestLogEntry } from "../../dev/sim/venue_context.ts";
import { rising, setPath } from "../support/reliability.ts";
import { withSql } from "../support/sql.ts";
import { keyHeaders, serverKey, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const SYMBOL_COUNT = 20;
const TICK_MS = 200;
const BURST_MS = 30_000;

/** The 4 configured markets plus 16 more with the same rules as ETH/USDT (one letter each, X1A/USDT…). */
function twentyMarkets(base: MarketConfig[]): MarketConfig[] {
  const eth = base.find((m) => m.symbol === "ETH/USDT")!;
  const extra = Array.from({ length: SYMBOL_COUNT - base.length }, (_, i) => ({
    ...eth,
    symbol: `X${String.fromCharCode(65 + i)}A/USDT`,
    price: 100 + i,
  }));
  return [...base, ...extra];
}

const binanceConfig = defaultBinanceConfig();
binanceConfig.markets = twentyMarkets(binanceConfig.markets);
const okxConfig = defaultOkxConfig();
okxConfig.markets = twentyMarkets(okxConfig.markets);
const sim = await startSimulator({ seed: 13, config: { binance: binanceConfig, okx: okxConfig } });
globalThis.addEventListener("unload", () => void sim.stop());
const symbols = binanceConfig.markets.map((m) => m.symbol);

/** Largest count in any of the simulator's fixed windows of `sizeMs` (its clock, as its limiter counts). */
function peakPerWindow(entries: readonly RequestLogEntry[], sizeMs: number, weight: (e: RequestLogEntry) => number) {
  const windows = new Map<number, number>();
  for (const e of entries) {
    const key = Math.floor(e.arrivedAtMs / sizeMs);
    windows.set(key, (windows.get(key) ?? 0) + weight(e));
  }
  return Math.max(0, ...windows.values());
}

stackTest("rate limits: a long 200 ms burst with 20 symbols on both venues never exceeds them", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("no 429 or 418, and the simulator's windows stay under every limit", async () => {
      await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true, live_trading_enabled = false,
                symbols = ${symbols}, burst_tick_ms = ${TICK_MS}, max_open_positions = ${
        SYMBOL_COUNT * 2
      }, max_trades_per_day = 1000,
                max_daily_loss_usd = 1000, entry_timeout_seconds = 15, time_stop_seconds = 5,
                market_data = 'poll' where id = 1`;
      for (const venue of ["binance", "okx"] as const) {
        sim.market.setBalance(venue, "USDT", 1_000_000);
        // Long rising paths: the momentum signal fires on every symbol, positions open and close again.
        for (const m of (venue === "binance" ? binanceConfig : okxConfig).markets) {
          setPath(sim, venue, m.symbol, rising(m.price, 400));
        }
      }
      // The simulator enforces the limits (on by default): an excess would be answered 429 or 418.
      assert.ok(sim.limits.binance.enabled && sim.limits.okx.enabled, "the simulator's limiters are on");
      const before = sim.requestLog.lastId();
      const res = await fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
        method: "POST",
        headers: { "content-type": "application/json", ...keyHeaders(serverKey(stack)) },
        body: JSON.stringify({ duration_ms: BURST_MS, venues: ["binance", "okx"], symbols }),
      });
      const body = await res.json();
      assert.equal(res.status, 200, JSON.stringify(body));

      const binance = sim.requestLog.list({ venue: "binance", afterId: before });
      const okx = sim.requestLog.list({ venue: "okx", afterId: before });
      // Not a quiet burst: many ticks, orders on many symbols, on both venues.
      for (const [venue, requests] of [["binance", binance], ["okx", okx]] as const) {
        const quotes = requests.filter((r) => /ticker/.test(r.path)).length;
        // ccxt places OKX orders through batch-orders (one order each).
        const orders = requests.filter((r) => r.method === "POST" && /\/(order|batch-orders)$/.test(r.path)).length;
        assert.ok(quotes >= 20, `${venue}: ${quotes} quote requests`);
        assert.ok(orders >= SYMBOL_COUNT, `${venue}: ${orders} orders sent`);
      }
      const refused = [...binance, ...okx].filter((r) => r.status === 429 || r.status === 418);
      assert.deepEqual(refused.map((r) => `${r.venue} ${r.method} ${r.path} ${r.status}`), [], "refused by a limit");

      const weight = (e: RequestLogEntry) => binanceWeight(`${e.method} ${e.path}`, new URLSearchParams(e.query));
      assert.ok(peakPerWindow(binance, 60_000, weight) <= 6000, "Binance request weight per minute");
      const binanceOrders = binance.filter((r) => r.method === "POST" && r.path === "/api/v3/order");
      assert.ok(peakPerWindow(binanceOrders, 10_000, () => 1) <= 100, "Binance orders per 10 s");
      for (const [endpoint, limit] of Object.entries(OKX_DEFAULT_LIMITS_PER_2S)) {
        const [method, path] = endpoint.split(" ");
        const hits = okx.filter((r) => r.method === method && r.path === path);
        assert.ok(peakPerWindow(hits, 2_000, () => 1) <= limit, `OKX ${endpoint}: over ${limit} per 2 s`);
      }
    });
  });
});
