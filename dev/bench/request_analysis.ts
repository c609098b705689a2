/**
 * Turns the simulator's request log and the DB proxy's log of one burst into figures: requests per tick per venue,
 * and for every entry order the market-data-to-order latency with what happened on that path. Pure.
 *
 * Times are performance.now() of the bench process: the simulator and the proxy run inside it, so they share a clock.
 */
import type { DbRequest, OrderInsert } from "./db_proxy.ts";
import { departedAt, type OrderDeparture } from "./order_departures.ts";
import { ORDER_PATHS } from "./order_paths.ts";

export type BenchVenue = "binance" | "okx";

/** One request the simulator saw (from its RequestLogEntry). */
export interface VenueRequest {
  venue: string;
  method: string;
  path: string;
  arrivedAt: number;
  respondedAt: number;
  /** An order placement's client order ids (the simulator logs them), absent elsewhere. */
  clientOrderIds?: string[];
}

/** The market-data request of a tick: every symbol's quote in one call. */
export const TICKER_PATHS: Record<BenchVenue, string> = {
  binance: "/api/v3/ticker/bookTicker",
  okx: "/api/v5/market/tickers",
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

/** Each order a request recorded, with the request, in the order the requests arrived. */
function recordsOf(dbRequests: readonly DbRequest[], venue: BenchVenue, armedOnly = false) {
  return dbRequests.filter((r) => r.status < 300).sort((a, b) => a.arrivedAt - b.arrivedAt).flatMap((request) =>
    (request.orderInserts ?? []).filter((o) => o.venue === venue && (!armedOnly || o.armed)).map((recorded) => ({
      request,
      recorded,
    }))
  );
}

/** Whether the orders' log names their client order ids (the simulator's does): then records pair by id. */
const pairsById = (orders: readonly VenueRequest[]) => orders.some((o) => o.clientOrderIds !== undefined);

/**
 * The order POST a record stands for: by client order id where the log carries them (the simulator's does);
 * otherwise by time: a record before its send pairs with the first POST after its answer, an armed entry's (written
 * after the send) with the last POST answered before it arrived.
 */
function pairedOrder(
  orders: readonly VenueRequest[],
  byId: boolean,
  paired: ReadonlySet<VenueRequest>,
  request: DbRequest,
  recorded: OrderInsert,
): VenueRequest | undefined {
  if (byId) {
    return orders.find((o) => !paired.has(o) && o.clientOrderIds?.includes(recorded.clientOrderId));
  }
  return recorded.armed
    ? orders.findLast((o) => !paired.has(o) && o.respondedAt <= request.arrivedAt)
    : orders.find((o) => !paired.has(o) && o.arrivedAt >= request.respondedAt);
}

/**
 * Every entry order with the tick's ticker answer it was decided on. Two shapes of entry:
 * - recorded before its send (an `orders` insert, or a batched write's new order): the ticker is the last one
 *   answered before the record started;
 * - armed before the quote (its rows written after the send, by `record_armed_entry` or in a batched write): the
 *   ticker is the last one answered before the order arrived, and no insert sits on the path (insertMs 0).
 * Ticks of one venue never overlap, so "last ticker before" is the tick's.
 */
export function entryLatencies(
  venueRequests: readonly VenueRequest[],
  dbRequests: readonly DbRequest[],
  venue: BenchVenue,
): EntryLatency[] {
  const byArrival = (a: { arrivedAt: number }, b: { arrivedAt: number }) => a.arrivedAt - b.arrivedAt;
  const orders = venueRequests.filter((r) => isOrderPost(r, venue)).sort(byArrival);
  const byId = pairsById(orders);
  const tickers = venueRequests.filter((r) => isTicker(r, venue)).sort((a, b) => a.respondedAt - b.respondedAt);
  const out: EntryLatency[] = [];
  const paired = new Set<VenueRequest>();
  const onPath = (from: number, to: number, order: VenueRequest) => ({
    dbRequestsOnPath: dbRequests.filter((r) => r.arrivedAt >= from && r.arrivedAt <= to).length,
    venueRequestsOnPath:
      venueRequests.filter((r) => r.venue === venue && r !== order && r.arrivedAt >= from && r.arrivedAt <= to).length,
  });
  for (const { request: record, recorded } of recordsOf(dbRequests, venue)) {
    const order = pairedOrder(orders, byId, paired, record, recorded);
    if (!order) continue;
    paired.add(order);
    if (recorded.purpose !== "entry") continue;
    // The tick's ticker: the last one answered before the order's record started (armed: before the order itself).
    const before = recorded.armed ? order.arrivedAt : record.arrivedAt;
    const ticker = tickers.findLast((t) => t.respondedAt <= before);
    if (!ticker) continue;
    // An armed entry has no insert on its path: it is sent from the ticker answer.
    const sentFrom = recorded.armed ? ticker.respondedAt : record.respondedAt;
    out.push({
      venue,
      clientOrderId: recorded.clientOrderId,
      tickerRespondedAt: ticker.respondedAt,
      latencyMs: order.arrivedAt - ticker.respondedAt,
      insertMs: recorded.armed ? 0 : record.respondedAt - record.arrivedAt,
      sendMs: order.arrivedAt - sentFrom,
      ...onPath(ticker.respondedAt, order.arrivedAt, order),
    });
  }
  return out;
}

/** A push as the simulator sent it: a book top (its stream hub's log) or an order update (its order streams' log). */
export interface PushSent {
  venue: string;
  symbol: string;
  sentAt: number;
  /** absent: a book top */
  kind?: "top" | "order";
}

/** One armed entry: ms from the push taken as its trigger to the order's arrival, and which kind of push that was. */
export interface PushToOrder {
  ms: number;
  /** From the same push to the moment the burst handed the order to fetch (with departure stamps only). */
  handedOverMs?: number;
  trigger: "top" | "order_update";
}

/**
 * With streamed quotes: for each armed entry, the push that let it go → the order's arrival, in ms. That is the last
 * book-top push of its symbol the simulator sent before the order arrived, unless order updates of that symbol came
 * after that top (its previous position's fills, the cancel of its unfilled entry: the symbol was busy until then, and
 * the entry was decided on the top it already had); then the first of those updates. A later top than the one the
 * decision used would shorten the figure; an update of another symbol that freed a slot is not taken as the trigger,
 * which lengthens it. The tick's wait for its spacing is inside it.
 *
 * The order's arrival is read by the simulator, which shares the machine (and its process with the DB proxy): a busy
 * simulator lengthens `ms` after the order has left. With `departures` (order_departures.ts), `handedOverMs` ends
 * where the burst handed the order to fetch instead, a little before it leaves the process.
 */
export function pushToOrderLatencies(
  venueRequests: readonly VenueRequest[],
  dbRequests: readonly DbRequest[],
  pushes: readonly PushSent[],
  venue: BenchVenue,
  departures?: readonly OrderDeparture[],
): PushToOrder[] {
  const orders = venueRequests.filter((r) => isOrderPost(r, venue)).sort((a, b) => a.arrivedAt - b.arrivedAt);
  const byId = pairsById(orders);
  const paired = new Set<VenueRequest>();
  const bySymbol = Map.groupBy(pushes.filter((p) => p.venue === venue), (p) => p.symbol);
  const out: PushToOrder[] = [];
  for (const { request, recorded } of recordsOf(dbRequests, venue, true)) {
    const order = pairedOrder(orders, byId, paired, request, recorded);
    if (!order) continue;
    paired.add(order);
    const ofSymbol = bySymbol.get(recorded.symbol ?? "") ?? [];
    const top = ofSymbol.findLast((p) => (p.kind ?? "top") === "top" && p.sentAt <= order.arrivedAt);
    if (!top) continue;
    const update = ofSymbol.find((p) => p.kind === "order" && p.sentAt > top.sentAt && p.sentAt <= order.arrivedAt);
    const trigger = update ?? top;
    const handedOver = departures && departedAt(departures, recorded.clientOrderId, order.arrivedAt);
    out.push({
      ms: order.arrivedAt - trigger.sentAt,
      ...(handedOver !== undefined ? { handedOverMs: handedOver - trigger.sentAt } : {}),
      trigger: update ? "order_update" : "top",
    });
  }
  return out;
}
