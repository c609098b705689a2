/**
 * The parts of a venue's markets a burst needs: which symbols it lists (spot, active), their precision rules and
 * their fee rates (for paper fills).
 */
import type { PaperMarket } from "../paper/fill_engine.ts";
import { CCXT_TICK_SIZE, type CcxtMarketLike, type MarketRules, marketRulesFromCcxt } from "../trading/precision.ts";

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

/** ccxt's default fee when a market does not state one (both venues' base spot tier). */
const DEFAULT_FEE = 0.001;

/**
 * Picks the wanted symbols out of ccxt's markets. A symbol that is missing, not spot, inactive or without usable
 * precision is skipped with the reason. Binance and OKX both use ccxt's TICK_SIZE precision mode.
 */
export function selectMarkets(
  markets: Record<string, unknown> | undefined,
  symbols: readonly string[],
  precisionMode: number = CCXT_TICK_SIZE,
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
      rules = marketRulesFromCcxt(market, precisionMode);
    } catch {
      skipped[symbol] = "no_precision";
      continue;
    }
    const [base, quote] = symbol.split("/");
    out.set(symbol, {
      symbol,
      rules,
      paper: {
        base: market.base ?? base,
        quote: market.quote ?? quote,
        maker: typeof market.maker === "number" ? market.maker : DEFAULT_FEE,
        taker: typeof market.taker === "number" ? market.taker : DEFAULT_FEE,
      },
    });
  }
  return { markets: out, skipped };
}
