// What a venue handler gets: binance.ts exports `handleBinance` and okx.ts `handleOkx`, both VenueHandlers; server.ts
// imports them by those names. A handler receives the request with the venue's URL prefix already stripped (OKX sees
// `/api/v5/...`, Binance `/api/v3/...`). The server has already applied faults and synced prices to the clock. The
// handler sets `ctx.log.private` / `ctx.log.signed` once it knows, and translates SimRejection reasons to the venue's
// codes.

import type { Clock } from "./clock.ts";
import type { VenueEngine } from "./engine.ts";
import type { BinanceLimiter, OkxLimiter } from "./rate_limits.ts";
import type { VenueId } from "./types.ts";

/** One HTTP request as the server saw it; tests assert on these (e.g. "no private endpoint was called"). */
export interface RequestLogEntry {
  id: number;
  venue: VenueId | "admin" | "unknown";
  method: string;
  /** path as the venue sees it (prefix stripped) */
  path: string;
  query: string;
  /** the endpoint needs an API key (set by the handler; defaults to "an auth header was sent") */
  private: boolean;
  /** the request carried a signature */
  signed: boolean;
  arrivedAtPerf: number;
  arrivedAtMs: number;
  respondedAtPerf?: number;
  respondedAtMs?: number;
  status?: number;
  /** the fault kind the server applied, if any */
  fault?: string;
  /** The client order ids an order placement asked for (set by the handler), so a log pairs orders with records. */
  clientOrderIds?: string[];
}

/** Everything a venue handler gets besides the request. */
export interface VenueContext {
  venue: VenueId;
  engine: VenueEngine;
  /** the venue's clock (offset included) */
  clock: Clock;
  log: RequestLogEntry;
  /** both venues' rate limiters; each handler uses its own */
  limits: VenueLimiters;
}

export interface VenueLimiters {
  binance: BinanceLimiter;
  okx: OkxLimiter;
}

/** A venue's protocol adapter: Binance in binance.ts, OKX in okx.ts. */
export type VenueHandler = (req: Request, ctx: VenueContext) => Promise<Response>;
