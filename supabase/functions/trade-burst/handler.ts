/**
 * `trade-burst` over HTTP: service role only, a strict body, then runBurst with the tables as the store. Answers the
 * burst summary as JSON; the run log row (function_runs, venue null) and one lease row per venue record it too.
 */
import { z } from "zod";
import { DbError, loadSettings } from "../_shared/db.ts";
import { NeedsHumanError } from "../_shared/exchange/errors.ts";
import { acceptServerCall } from "../_shared/accept_call.ts";
import type { VenueFunctionDeps } from "../_shared/deps.ts";
import type { VenueClient } from "../_shared/exchange/venue_client.ts";
import type { VenueClientLimits } from "../_shared/exchange/venue_factory.ts";
import { json, jsonHandler } from "../_shared/http.ts";
import { SupabaseArmedOrderStore } from "../_shared/orders/supabase_armed_store.ts";
import { SupabaseTradeStore } from "../_shared/orders/supabase_store.ts";
import { startRun } from "../_shared/run_log.ts";
import { InvalidSettingsError, type TradingMode } from "../_shared/settings.ts";
import { readTradingSwitch } from "./burst_settings.ts";
import { FUNCTION_NAME, runBurst } from "./run_burst.ts";
import { quoteStreamFactory } from "../_shared/market_data/stream_factory.ts";
import { marketQuotesSink } from "./quote_recorder.ts";
import { orderStreamFactory } from "../_shared/order_stream/stream_factory.ts";
import { credentialVarNames, type Venue, VENUES } from "../_shared/exchange/venues.ts";
import { SYMBOL_PATTERN } from "../_shared/trading/symbol.ts";

export const MIN_DURATION_MS = 1_000;
/** Edge wall clock is about 150 s; a burst must end well inside it. */
export const MAX_DURATION_MS = 120_000;
export const DEFAULT_DURATION_MS = 20_000;

const unique = (list: readonly string[]) => new Set(list).size === list.length;

export const tradeBurstBodySchema = z.object({
  duration_ms: z.number().int().min(MIN_DURATION_MS).max(MAX_DURATION_MS).default(DEFAULT_DURATION_MS),
  venues: z.array(z.enum(VENUES)).min(1).max(VENUES.length).refine(unique, "must not repeat a venue").optional(),
  symbols: z.array(z.string().regex(SYMBOL_PATTERN, "must look like BTC/USDT")).min(1).max(50)
    .refine(unique, "must not repeat a symbol").optional(),
}).strict();
export type TradeBurstBody = z.infer<typeof tradeBurstBodySchema>;

/** Outside paper mode a venue needs its keys; say which variables, rather than fail on the first private call. */
export function tradingClientFactory(
  deps: VenueFunctionDeps,
): (venue: Venue, mode: TradingMode, limits?: VenueClientLimits) => VenueClient {
  return (venue, mode, limits) => {
    const { client, facts } = deps.venues(venue, mode, limits);
    if (mode !== "paper" && !facts.hasCredentials) {
      const names = credentialVarNames(venue).join(", ");
      throw new NeedsHumanError(`no API keys for ${venue}: set ${names} to trade in ${mode} mode`, { venue });
    }
    return client;
  };
}

export function createTradeBurstHandler(getDeps: () => VenueFunctionDeps): (req: Request) => Promise<Response> {
  return jsonHandler(async (req) => {
    const { deps, body } = await acceptServerCall(req, getDeps, tradeBurstBodySchema);
    let summary;
    try {
      summary = await runBurst({
        store: new SupabaseTradeStore(deps.db),
        armedStore: new SupabaseArmedOrderStore(deps.db),
        venueClientFactory: tradingClientFactory(deps),
        quoteStreamFactory: quoteStreamFactory(deps.env),
        orderStreamFactory: orderStreamFactory(deps.env),
        clock: deps.clock,
        loadSettings: () => loadSettings(deps.db),
        readTradingSwitch: () => readTradingSwitch(deps.db),
        allowLiveTrading: deps.env.allowLiveTrading,
        exchangeTimeoutMs: deps.env.exchangeTimeoutMs,
        startRun: () => startRun(deps.db, FUNCTION_NAME, { clock: deps.clock }),
        log: (line) => console.error(line),
        recordQuotes: marketQuotesSink(deps.db),
      }, { durationMs: body.duration_ms, venues: body.venues, symbols: body.symbols });
    } catch (error) {
      // Nothing traded: say clearly why (the settings row or the database), not a bare "internal error".
      if (error instanceof InvalidSettingsError) return json(500, { error: error.message, issues: error.issues });
      if (error instanceof DbError) return json(503, { error: `database unavailable: ${error.message}` });
      throw error;
    }
    const failed = summary.venues.length > 0 && summary.venues.every((v) => v.status === "error");
    return json(failed ? 502 : 200, { function: FUNCTION_NAME, ...summary });
  });
}
