/**
 * Turns the simulator's request log and the DB proxy's log of one burst into figures: requests per tick per venue,
 * and for every entry order the market-data-to-order latency with what happened on that path. Pure.
 *
 * Times are performance.now() of the bench process: the simulator and the proxy run inside it, so they share a clock.
 */
import type { DbRequest } from "./db_proxy.ts";

export type BenchVenue = "binance" | "okx";

/** One request the simulator saw (from its RequestLogEntry). */
export interface VenueRequest {
  venue: string;
  method: string;
  path: string;
  arrivedAt: number;
  respondedAt: number;
}

/** The market-data request of a tick: every symbol's quote in one call. */
export const TICKER_PATHS: Record<BenchVenue, string> = {
  binance: "/api/v3/ticker/bookTicker",
  okx: "/api/v5/market/tickers",
};

/** Order placement (POST). ccxt's okx places single orders through batch-orders by default (options.createOrder). */
export const ORDER_PATHS: Record<BenchVenue, readonly string[]> = {
  binance: ["/api/v3/order"],
  okx: ["/api/v5/trade/order", "/api/v5/trade/batch-orders"],
};

export const isTicker = (r: VenueRequest, venue: BenchVenue) => r.venue === venue && r.path === TICKER_PATHS[venue];
export const isOrderPost = (r: VenueRequest, venue: BenchVenue) =>
  r.venue === venue && r.method === "POST" && ORDER_PATHS[venue].includes(r.path);

export interface VenueRequestCounts {
  venue: BenchVenue;
  ticks: number;
  tickerRequests: number;
  allRequests: number;
  /** `METHOD path` → count, for the report's breakdown. */
  byEndpoint: Record<string, number>;
}

export function countVenueRequests(
  requests: readonly VenueRequest[],
  venue: BenchVenue,
  ticks: number,
): VenueRequestCounts {
  const own = requests.filter((r) => r.venue === venue);
  const byEndpoint: Record<string, number> = {};
  for (const r of own) byEndpoint[`${r.method} ${r.path}`] = (byEndpoint[`${r.method} ${r.path}`] ?? 0) + 1;
  return {
    venue,
    ticks,
    tickerRequests: own.filter((r) => isTicker(r, venue)).length,
    allRequests: own.length,
    byEndpoint,
  };
}

/** `METHOD resource` → count of DB round trips. */
export function countDbRequests(requests: readonly DbRequest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of requests) out[`${r.method} ${r.resource}`] = (out[`${r.method} ${r.resource}`] ?? 0) + 1;
  return out;
}

export interface EntryLatency {
  venue: BenchVenue;
  clientOrderId: string;
  /** When the tick's ticker answer left the simulator: entries with the same value were decided on the same tick. */
  tickerRespondedAt: number;
  /** Ticker answer (simulator's response time) → order request arrival at the simulator. */
  latencyMs: number;
  /** The track-before-send insert's round trip as the function saw it (through the proxy). */
  insertMs: number;
  /** Insert answered → order arrived (ccxt building, signing and sending it). */
  sendMs: number;
  /** DB round trips that started on the path (both venues' when two run at once). */
  dbRequestsOnPath: number;
  /** Other requests to the same venue on the path (order refreshes, balance). */
  venueRequestsOnPath: number;
}

/**
 * Pairs each `orders` insert with the order request it announced (the first POST to the venue's order endpoint that
 * arrived after the insert was answered, in sequence), keeps the entries, and finds the tick's ticker answer: the
 * last one of that venue answered before the insert started (ticks of one venue never overlap).
 */
export function entryLatencies(
  venueRequests: readonly VenueRequest[],
  dbRequests: readonly DbRequest[],
  venue: BenchVenue,
): EntryLatency[] {
  const byArrival = (a: { arrivedAt: number }, b: { arrivedAt: number }) => a.arrivedAt - b.arrivedAt;
  const orders = venueRequests.filter((r) => isOrderPost(r, venue)).sort(byArrival);
  const tickers = venueRequests.filter((r) => isTicker(r, venue)).sort((a, b) => a.respondedAt - b.respondedAt);
  const inserts = dbRequests.filter((r) => r.orderInsert?.venue === venue && r.status < 300).sort(byArrival);
  const out: EntryLatency[] = [];
  let nextOrder = 0;
  for (const insert of inserts) {
    while (nextOrder < orders.length && orders[nextOrder].arrivedAt < insert.respondedAt) nextOrder++;
    if (nextOrder >= orders.length) break;
    const order = orders[nextOrder++];
    if (insert.orderInsert?.purpose !== "entry") continue;
    const ticker = tickers.findLast((t) => t.respondedAt <= insert.arrivedAt);
    if (!ticker) continue;
    const from = ticker.respondedAt;
    const to = order.arrivedAt;
    out.push({
      venue,
      clientOrderId: insert.orderInsert.clientOrderId,
      tickerRespondedAt: from,
      latencyMs: to - from,
      insertMs: insert.respondedAt - insert.arrivedAt,
      sendMs: to - insert.respondedAt,
      dbRequestsOnPath: dbRequests.filter((r) => r.arrivedAt >= from && r.arrivedAt <= to).length,
      venueRequestsOnPath: venueRequests.filter((r) =>
        r.venue === venue && r !== order && r.arrivedAt >= from && r.arrivedAt <= to
      ).length,
    });
  }
  return out;
}
