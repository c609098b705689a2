// Unmodified ccxt.pro clients pointed at the simulator: REST (markets) at the venue's base URL, WebSocket streams at
// the simulator's ws:// paths. Tests and benchmarks only: the functions do not ship ccxt.pro (dev/bundle/stubs.ts).

import ccxt, { type Exchange } from "ccxt";
import type { Simulator } from "../../dev/sim/server.ts";
import { VENUE_PROFILES } from "../../supabase/functions/_shared/exchange/venues.ts";
import { rewriteApiOrigins } from "../../supabase/functions/_shared/exchange/ccxt_client.ts";

export function simWsOrigin(sim: Simulator): string {
  return sim.origin.replace(/^http/, "ws");
}

export function proClient(venue: "binance" | "okx", sim: Simulator): Exchange {
  const ws = simWsOrigin(sim);
  if (venue === "binance") {
    const ex = new ccxt.pro.binance({ options: { ...VENUE_PROFILES.binance.ccxtOptions } });
    const restApi = rewriteApiOrigins(ex.urls["api"], sim.binance.baseUrl);
    ex.urls["api"] = { ...restApi, ws: { ...ex.urls["api"].ws, spot: `${ws}/binance/ws`, margin: `${ws}/binance/ws` } };
    return ex;
  }
  const ex = new ccxt.pro.okx({ options: { ...VENUE_PROFILES.okx.ccxtOptions } });
  const restApi = rewriteApiOrigins(ex.urls["api"], sim.okx.baseUrl);
  ex.urls["api"] = { ...restApi, ws: `${ws}/okx/ws/v5` };
  return ex;
}
