// Venue-sized market lists: thousands of extra spot symbols (Binance ~3000, OKX ~600) generated from the seed, so a
// client sees listing sizes and shapes like the real venues'. Generated once per process per (venue, seed, size).

import { deriveSeed, mulberry32 } from "./prng.ts";
import type { MarketConfig, VenueId } from "./types.ts";

/** A generated market: its config plus the venue status (Binance BREAK = listed, not trading). */
export interface CatalogMarket extends MarketConfig {
  status: "TRADING" | "BREAK";
}

/** Quote assets with their share of the listing, a USD value of one unit, and the venue's min notional in it. */
const QUOTES: Record<VenueId, { asset: string; share: number; usd: number; minNotional: number }[]> = {
  binance: [
    { asset: "USDT", share: 0.42, usd: 1, minNotional: 5 },
    { asset: "FDUSD", share: 0.1, usd: 1, minNotional: 5 },
    { asset: "USDC", share: 0.12, usd: 1, minNotional: 5 },
    { asset: "BTC", share: 0.14, usd: 65_000, minNotional: 0.0001 },
    { asset: "ETH", share: 0.07, usd: 3_200, minNotional: 0.001 },
    { asset: "BNB", share: 0.05, usd: 580, minNotional: 0.01 },
    { asset: "TRY", share: 0.05, usd: 0.03, minNotional: 100 },
    { asset: "EUR", share: 0.05, usd: 1.08, minNotional: 5 },
  ],
  okx: [
    { asset: "USDT", share: 0.7, usd: 1, minNotional: 0 },
    { asset: "USDC", share: 0.15, usd: 1, minNotional: 0 },
    { asset: "BTC", share: 0.08, usd: 65_000, minNotional: 0 },
    { asset: "ETH", share: 0.04, usd: 3_200, minNotional: 0 },
    { asset: "EUR", share: 0.03, usd: 1.08, minNotional: 0 },
  ],
};

/** Default listing sizes, close to the venues' spot listings today (Binance ~3000 symbols incl. delisted-in-break). */
export const CATALOG_SIZE: Record<VenueId, number> = { binance: 3000, okx: 600 };
/** Share of Binance symbols in BREAK (listed but not trading). */
const BREAK_SHARE = 0.08;

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const cache = new Map<string, CatalogMarket[]>();

/** 10^n, exact for the small n used here. */
const pow10 = (n: number) => Number(`1e${n}`);

/** The generated list for a venue and seed (the engine drops symbols its config already has). */
export function generateCatalog(venue: VenueId, seed: number, size = CATALOG_SIZE[venue]): CatalogMarket[] {
  const key = `${venue}:${seed}:${size}`;
  let list = cache.get(key);
  if (!list) {
    list = build(venue, seed, size);
    cache.set(key, list);
  }
  return list;
}

function build(venue: VenueId, seed: number, size: number): CatalogMarket[] {
  const random = mulberry32(deriveSeed(seed, `catalog:${venue}`));
  const quotes = QUOTES[venue];
  const seen = new Set<string>();
  const out: CatalogMarket[] = [];
  let guard = 0;
  while (out.length < size && guard++ < size * 20) {
    const length = 3 + Math.floor(random() * 4); // 3-6 letters
    let base = "";
    for (let i = 0; i < length; i++) base += LETTERS[Math.floor(random() * 26)];
    let pick = random();
    const quote = quotes.find((q) => (pick -= q.share) < 0) ?? quotes[0];
    // Binance ids glue base and quote (ABCUSDT): keep the glued id unique too.
    if (base === quote.asset || seen.has(`${base}${quote.asset}`)) continue;
    seen.add(`${base}${quote.asset}`);
    const usd = Math.exp(Math.log(0.0001) + random() * (Math.log(20_000) - Math.log(0.0001)));
    const rawPrice = usd / quote.usd;
    const magnitude = Math.floor(Math.log10(rawPrice));
    const tickExp = Math.max(-8, magnitude - 4); // five significant digits, Binance-like
    const tickSize = pow10(tickExp);
    const price = Math.max(tickSize * 100, Number(rawPrice.toFixed(Math.max(0, -tickExp))));
    const stepExp = Math.min(0, Math.max(-8, -(Math.floor(Math.log10(usd)) + 1)));
    const stepSize = pow10(stepExp);
    out.push({
      symbol: `${base}/${quote.asset}`,
      tickSize,
      stepSize,
      minQty: stepSize,
      maxQty: Math.round(9e8 * stepSize * 1e8) / 1e8,
      minNotional: quote.minNotional,
      price,
      spreadBps: 2 + random() * 20,
      volatilityBps: 2 + random() * 10,
      driftBps: 0,
      topOfBookQty: Number(Math.max(stepSize, Math.round((2000 / usd) / stepSize) * stepSize).toFixed(8)),
      status: venue === "binance" && random() < BREAK_SHARE ? "BREAK" : "TRADING",
    });
  }
  return out;
}
