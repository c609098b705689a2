/** The real venues as the market: public data only, no keys, no base URL unless an override (a proxy) is set. */

import { type Market, NO_KEYS_ENV } from "../demo/market.ts";
import type { PaperLiveOptions } from "./args.ts";
import { PAPER_LIVE_VENUES } from "./preflight.ts";

const FUNCTION_BASE_URL_VARS = { binance: "BINANCE_BASE_URL", okx: "OKX_BASE_URL" } as const;

export function realMarket(options: Pick<PaperLiveOptions, "baseUrls" | "overridden">): Market {
  // Empty means "not set" to the functions' env schema: an inherited BINANCE_BASE_URL must not redirect paper-live.
  const functionEnv: Record<string, string> = { ...NO_KEYS_ENV, BINANCE_BASE_URL: "", OKX_BASE_URL: "" };
  for (const venue of PAPER_LIVE_VENUES) {
    if (options.overridden[venue]) functionEnv[FUNCTION_BASE_URL_VARS[venue]] = options.baseUrls[venue];
  }
  const hosts = PAPER_LIVE_VENUES.map((venue) => new URL(options.baseUrls[venue]).host).join(" and ");
  return {
    description: `real market: public quotes from ${hosts}`,
    functionEnv,
    info: { venues: { ...options.baseUrls } },
    stop: () => Promise.resolve(),
  };
}
