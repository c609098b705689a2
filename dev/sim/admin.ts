// The admin HTTP API: faults, request log, prices and balances, for tests in other processes and for humans with curl.
// Loopback only (the server binds 127.0.0.1), JSON in and out, bodies validated with zod.

import { z } from "zod";
import { SimRejection } from "./rejection.ts";
import type { VenueId } from "./types.ts";
import type { MarketControls } from "./controls.ts";
import type { VenueEngine } from "./engine.ts";
import { type FaultInjector, faultSpecSchema } from "./faults.ts";
import type { RequestLog } from "./request_log.ts";
import type { VenueLimiters } from "./venue_context.ts";

/** What the admin API works on: the server hands in its own state. */
export interface AdminState {
  engines: Record<VenueId, VenueEngine>;
  faults: FaultInjector;
  log: RequestLog;
  controls: MarketControls;
  limits: VenueLimiters;
}

const venueSchema = z.enum(["binance", "okx"]);
const pricePointSchema = z.union([
  z.strictObject({ bid: z.number().positive(), ask: z.number().positive() }),
  z.strictObject({ mid: z.number().positive(), spread: z.number().min(0) }),
]);

const stepSchema = z.strictObject({
  venue: venueSchema.optional(),
  count: z.number().int().min(1).max(10_000).default(1),
});
const pathSchema = z.strictObject({
  venue: venueSchema,
  symbol: z.string(),
  points: z.array(pricePointSchema).min(1),
  advance: z.enum(["clock", "read"]).default("clock"),
});
const quoteSchema = z.strictObject({
  venue: venueSchema,
  symbol: z.string(),
  bid: z.number().positive(),
  ask: z.number().positive(),
});
const balanceSchema = z.strictObject({
  venue: venueSchema,
  asset: z.string().min(1),
  free: z.number().min(0),
  locked: z.number().min(0).optional(),
  accountId: z.string().optional(),
});

const bnbFeesSchema = z.strictObject({
  venue: z.literal("binance").default("binance"),
  enabled: z.boolean(),
  accountId: z.string().optional(),
});

const clockOffsetSchema = z.strictObject({
  venue: venueSchema,
  offsetMs: z.number().int().min(-86_400_000).max(86_400_000),
});

const rateLimitsSchema = z.strictObject({
  venue: venueSchema,
  enabled: z.boolean().optional(),
  /** forget the counts (and a Binance ban) */
  reset: z.boolean().optional(),
});

class AdminError extends Error {
  constructor(readonly status: number, message: string, readonly details?: unknown) {
    super(message);
  }
}

async function body<T extends z.ZodType>(req: Request, schema: T): Promise<z.output<T>> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    throw new AdminError(400, "body must be JSON");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new AdminError(400, "invalid body", parsed.error.issues);
  return parsed.data;
}

function queryVenue(url: URL, required: boolean): VenueId | undefined {
  const value = url.searchParams.get("venue");
  if (value === null) {
    if (required) throw new AdminError(400, "query parameter venue is required (binance or okx)");
    return undefined;
  }
  const parsed = venueSchema.safeParse(value);
  if (!parsed.success) throw new AdminError(400, `venue must be binance or okx, got ${value}`);
  return parsed.data;
}

const ROUTES = [
  "GET /admin/faults",
  "POST /admin/faults {venue, kind, path?, method?, latencyMs?, jitterMs?, status?, retryAfterSeconds?, hangMs?, times?}",
  "DELETE /admin/faults[?venue=&id=]",
  "GET /admin/requests[?venue=&afterId=&private=true|false]",
  "DELETE /admin/requests",
  "POST /admin/step {venue?, count?}",
  "POST /admin/path {venue, symbol, points: [{bid, ask} | {mid, spread}], advance?: clock | read}",
  "DELETE /admin/path?venue=&symbol=",
  "POST /admin/quote {venue, symbol, bid, ask}",
  "POST /admin/balance {venue, asset, free, locked?, accountId?}",
  "GET /admin/balances?venue=[&accountId=]",
  "GET /admin/rate-limits",
  "POST /admin/rate-limits {venue, enabled?, reset?}",
  "GET /admin/clock",
  "POST /admin/clock-offset {venue, offsetMs}",
  "POST /admin/bnb-fees {venue?: binance, enabled, accountId?}",
  "GET /admin/tickers?venue=",
  "GET /admin/orders?venue=[&accountId=]",
];

async function route(req: Request, path: string, url: URL, state: AdminState): Promise<unknown> {
  const key = `${req.method} ${path}`;
  const demo = (venue: VenueId) => url.searchParams.get("accountId") ?? state.engines[venue].listAccounts()[0].id;
  switch (key) {
    case "GET /":
      return { routes: ROUTES };
    case "GET /faults":
      return { faults: state.faults.list() };
    case "POST /faults": {
      const spec = await body(req, faultSpecSchema);
      return { fault: state.faults.add(spec) };
    }
    case "DELETE /faults": {
      const id = url.searchParams.get("id") ?? undefined;
      return { removed: state.faults.clear({ id, venue: queryVenue(url, false) }) };
    }
    case "GET /requests": {
      const afterId = url.searchParams.get("afterId");
      const priv = url.searchParams.get("private");
      return {
        requests: state.log.list({
          venue: queryVenue(url, false),
          afterId: afterId === null ? undefined : Number(afterId),
          private: priv === null ? undefined : priv === "true",
        }),
      };
    }
    case "DELETE /requests":
      state.log.clear();
      return { cleared: true };
    case "POST /step": {
      const { venue, count } = await body(req, stepSchema);
      state.controls.step(venue, count);
      return { stepped: count };
    }
    case "POST /path": {
      const { venue, symbol, points, advance } = await body(req, pathSchema);
      state.controls.setPath(venue, symbol, points, advance);
      return { ok: true };
    }
    case "DELETE /path": {
      const venue = queryVenue(url, true)!;
      state.controls.clearPath(venue, url.searchParams.get("symbol") ?? "");
      return { ok: true };
    }
    case "POST /quote": {
      const { venue, symbol, bid, ask } = await body(req, quoteSchema);
      state.controls.setQuote(venue, symbol, { bid, ask });
      return { quote: state.engines[venue].quote(symbol) };
    }
    case "POST /balance": {
      const b = await body(req, balanceSchema);
      state.controls.setBalance(b.venue, b.asset, b.free, { locked: b.locked, accountId: b.accountId });
      return { ok: true };
    }
    case "GET /rate-limits":
      return Object.fromEntries(
        (["binance", "okx"] as const).map((v) => [
          v,
          { enabled: state.limits[v].enabled, figures: state.limits[v].figures() },
        ]),
      );
    case "POST /rate-limits": {
      const b = await body(req, rateLimitsSchema);
      const limiter = state.limits[b.venue];
      if (b.enabled !== undefined) limiter.enabled = b.enabled;
      if (b.reset) limiter.reset();
      return { venue: b.venue, enabled: limiter.enabled };
    }
    case "GET /clock":
      return Object.fromEntries(
        (["binance", "okx"] as const).map((v) => [
          v,
          { offsetMs: state.engines[v].clockOffsetMs(), now: state.engines[v].clock.now() },
        ]),
      );
    case "POST /clock-offset": {
      const b = await body(req, clockOffsetSchema);
      state.controls.setClockOffset(b.venue, b.offsetMs);
      return { venue: b.venue, offsetMs: b.offsetMs };
    }
    case "POST /bnb-fees": {
      const b = await body(req, bnbFeesSchema);
      state.controls.setBnbFees(b.enabled, b.accountId);
      return { bnbFees: b.enabled };
    }
    case "GET /balances": {
      const venue = queryVenue(url, true)!;
      return { balances: state.engines[venue].balances(demo(venue)) };
    }
    case "GET /tickers": {
      const venue = queryVenue(url, true)!;
      return { tickers: state.engines[venue].tickers() };
    }
    case "GET /orders": {
      const venue = queryVenue(url, true)!;
      return { orders: state.engines[venue].allOrders(demo(venue)) };
    }
    default:
      throw new AdminError(404, `no admin route ${key}; GET /admin lists them`);
  }
}

/** Serves `/admin/*` (`path` is below `/admin`). */
export async function handleAdmin(req: Request, path: string, state: AdminState): Promise<Response> {
  const url = new URL(req.url);
  const entry = state.log.start({
    venue: "admin",
    method: req.method,
    path,
    query: url.search,
    private: false,
    signed: false,
  });
  let response: Response;
  try {
    response = Response.json(await route(req, path, url, state));
  } catch (error) {
    if (error instanceof AdminError) {
      response = Response.json({ error: error.message, details: error.details }, { status: error.status });
    } else if (error instanceof SimRejection) {
      response = Response.json({ error: error.message, reason: error.reason }, { status: 400 });
    } else {
      console.error("sim admin failed:", error);
      response = Response.json({ error: "admin internal error" }, { status: 500 });
    }
  }
  state.log.finish(entry, response.status);
  return response;
}
