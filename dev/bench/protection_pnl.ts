/**
 * Maker take profits vs market exits on the demo's seeded fair market (issue 15): the same burst code (runBurst,
 * paper mode, in process: memory tables, a manual clock) trades ETH/USDT on the demo's random walk (dev/run/demo/
 * market.ts: spread 0.12 %, volatility 0.08 % a step, no drift, one step per one-second tick), once with protection
 * on the venue (exit_protection = true: a resting take-profit limit, maker, at the target; a stop sold at the bid) and
 * once with the burst's own exits (market sells at the bid, taker). Each run goes on until it has closed the same
 * number of round trips; the report is the average realized PnL per round trip of each, fees included (the venue's
 * published base tier, as paper fills charge: Binance 0.1 % / 0.1 %, OKX 0.08 % maker / 0.1 % taker).
 *
 *   deno run -A dev/bench/protection_pnl.ts [--round-trips 200] [--seed 7] [--venue binance|okx]
 */
import { parseArgs } from "node:util";
import { demoSimConfig } from "../run/demo/market.ts";
import { deriveSeed, mulberry32 } from "../sim/prng.ts";
import { SymbolMarket } from "../sim/prices.ts";
import { runBurst } from "../../supabase/functions/trade-burst/run_burst.ts";
import type { VenueClient, VenueQuote } from "../../supabase/functions/_shared/exchange/venue_client.ts";
import { DEFAULT_SETTINGS, type Settings } from "../../supabase/functions/_shared/settings.ts";
import type { Venue } from "../../supabase/functions/_shared/exchange/venues.ts";
import { MemoryTradeStore } from "../../tests/support/memory_store.ts";
import { ManualClock } from "../../tests/support/manual_clock.ts";

const ETH = "ETH/USDT";
const T0 = Date.UTC(2026, 0, 1);

/** A venue that only quotes (paper mode calls nothing private): one random-walk step per quote request. */
function quoteVenue(venue: Venue, market: SymbolMarket, clock: ManualClock): VenueClient {
  const info = market.info;
  const refuse = () => Promise.reject(new Error("paper mode calls no private endpoint"));
  return {
    venue,
    fetchServerTime: () => Promise.resolve(clock.now().getTime()),
    measureServerTimeRoundTrip: () => Promise.resolve({ serverTimeMs: clock.now().getTime(), roundTripMs: 1 }),
    fetchBalances: refuse,
    fetchQuotes(symbols: readonly string[]): Promise<Record<string, VenueQuote>> {
      market.step(clock.now().getTime());
      const quote = { symbol: ETH, bid: market.bid, ask: market.ask, timestamp: null };
      return Promise.resolve(Object.fromEntries(symbols.filter((s) => s === ETH).map((s) => [s, quote])));
    },
    loadMarkets: () =>
      Promise.resolve({
        [ETH]: {
          symbol: ETH,
          base: "ETH",
          quote: "USDT",
          spot: true,
          active: true,
          precision: { amount: info.stepSize, price: info.tickSize },
          limits: { amount: { min: info.minQty }, cost: { min: info.minNotional } },
          maker: 0.001,
          taker: 0.001,
        },
      } as never),
    createOrder: refuse,
    rehearseOrder: refuse,
    fetchOrder: refuse,
    fetchOrderByClientId: refuse,
    cancelOrder: refuse,
    fetchOpenOrders: refuse,
    fetchMyTrades: refuse,
  };
}

export interface ExitRun {
  roundTrips: number;
  avgPnl: number;
  totalPnl: number;
  byReason: Record<string, number>;
  bursts: number;
}

export async function runExits(
  venueId: Venue,
  protection: boolean,
  roundTrips: number,
  seed: number,
): Promise<ExitRun> {
  const config = demoSimConfig()[venueId];
  const info = { ...config.markets.find((m) => m.symbol === ETH)!, base: "ETH", quote: "USDT" };
  const clock = new ManualClock(T0);
  const market = new SymbolMarket(info, mulberry32(deriveSeed(seed, `${venueId}:${ETH}`)), T0);
  const store = new MemoryTradeStore(() => clock.now().getTime());
  const settings: Settings = {
    ...structuredClone(DEFAULT_SETTINGS),
    mode: "paper",
    trading_enabled: true,
    symbols: [ETH],
    burst_tick_ms: 1000,
    exit_protection: protection,
    // Limits lifted: the comparison is about exits, not about the day's caps.
    max_trades_per_day: 100_000,
    max_daily_loss_usd: 1_000_000,
    paper_starting_usdt: 1_000_000,
    updated_at: new Date(T0).toISOString(),
  };
  const venue = quoteVenue(venueId, market, clock);
  let bursts = 0;
  const closed = () => store.positions.filter((p) => p.status === "closed");
  // Bounded: a fair market gives a round trip every few minutes; 20 000 one-minute bursts is far beyond need.
  while (closed().length < roundTrips && bursts < 20_000) {
    bursts += 1;
    await runBurst({
      store,
      venueClientFactory: () => venue,
      clock,
      loadSettings: () => Promise.resolve(settings),
      allowLiveTrading: false,
    }, { durationMs: 60_000, venues: [venueId] });
    clock.advance(1_000);
  }
  const trips = closed().sort((a, b) => a.closed_at!.localeCompare(b.closed_at!)).slice(0, roundTrips);
  const totalPnl = trips.reduce((sum, p) => sum + (p.realized_pnl ?? 0), 0);
  const byReason: Record<string, number> = {};
  for (const p of trips) byReason[p.exit_reason ?? "?"] = (byReason[p.exit_reason ?? "?"] ?? 0) + 1;
  return { roundTrips: trips.length, avgPnl: totalPnl / Math.max(1, trips.length), totalPnl, byReason, bursts };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      "round-trips": { type: "string", default: "200" },
      seed: { type: "string", default: "7" },
      venue: { type: "string", default: "binance" },
    },
  });
  const venueId = values.venue as Venue;
  const n = Number(values["round-trips"]);
  const seed = Number(values.seed);
  for (const protection of [true, false]) {
    const run = await runExits(venueId, protection, n, seed);
    console.log(
      JSON.stringify({
        venue: venueId,
        exits: protection ? "protection (maker take profit)" : "market (bot-managed)",
        seed,
        ...run,
      }),
    );
  }
}
