/**
 * The parts of a venue's markets a burst needs: which symbols it lists (spot, active), their precision rules and
 * their fee rates (for paper fills).
 */
import type { FeeRates } from "../_shared/exchange/venues.ts";
import type { PaperMarket } from "../_shared/paper/fill_engine.ts";
import { pairOf } from "../_shared/trading/pnl.ts";
import {
  CCXT_TICK_SIZE,
  type CcxtMarketLike,
  type MarketRules,
  marketRulesFromCcxt,
} from "../_shared/trading/precision.ts";

export interface BurstMarket {
  symbol: string;
  rules: MarketRules;
  paper: PaperMarket;
}

interface CcxtMarketEntry extends CcxtMarketLike {
  symbol?: string;
  base?: string;
  quote?: string;
  spot?: boolean;
  active?: boolean | null;
  maker?: number | null;
  taker?: number | null;
}

/** ccxt's default fee when a market does not state one and no venue tier is given. */
const DEFAULT_FEE = 0.001;

export interface SelectMarketsOptions {
  /** ccxt's precision mode; Binance and OKX both use TICK_SIZE. */
  precisionMode?: number;
  /** Fee rates for paper fills (a venue's baseTierSpotFees); without them the market's own ccxt figures are used. */
  paperFees?: FeeRates;
}

/**
 * Picks the wanted symbols out of ccxt's markets. A symbol that is missing, not spot, inactive or without usable
 * precision is skipped with the reason.
 */
export function selectMarkets(
  markets: Record<string, unknown> | undefined,
  symbols: readonly string[],
  options: SelectMarketsOptions = {},
): { markets: Map<string, BurstMarket>; skipped: Record<string, string> } {
  const out = new Map<string, BurstMarket>();
  const skipped: Record<string, string> = {};
  for (const symbol of symbols) {
    const market = markets?.[symbol] as CcxtMarketEntry | undefined;
    if (!market) {
      skipped[symbol] = "not_listed";
      continue;
    }
    if (market.spot === false) {
      skipped[symbol] = "not_spot";
      continue;
    }
    if (market.active === false) {
      skipped[symbol] = "inactive";
      continue;
    }
    let rules: MarketRules;
    try {
      rules = marketRulesFromCcxt(market, options.precisionMode ?? CCXT_TICK_SIZE);
    } catch {
      skipped[symbol] = "no_precision";
      continue;
    }
    const { base, quote } = pairOf(symbol);
    out.set(symbol, {
      symbol,
      rules,
      paper: {
        base: market.base ?? base,
        quote: market.quote ?? quote,
        maker: options.paperFees?.maker ?? (typeof market.maker === "number" ? market.maker : DEFAULT_FEE),
        taker: options.paperFees?.taker ?? (typeof market.taker === "number" ? market.taker : DEFAULT_FEE),
      },
    });
  }
  return { markets: out, skipped };
}
