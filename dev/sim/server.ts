// The simulator's HTTP server: one loopback listener, venues on their own path prefixes, plus the admin API.
//
//   http://127.0.0.1:<port>/binance/...  → Binance spot handler (sees /api/v3/...)   base URL for ccxt: .../binance
//   http://127.0.0.1:<port>/okx/...      → OKX v5 handler (sees /api/v5/...)         base URL for ccxt: .../okx
//   http://127.0.0.1:<port>/admin/...    → admin API (admin.ts)
// Unprefixed /api/v5/... goes to OKX and /api/..., /sapi/... to Binance, for clients that cannot keep a path prefix.
// VenueContext and VenueHandler are defined in venue_context.ts; handlers are `handleBinance` and `handleOkx`.

import { handleAdmin } from "./admin.ts";
import { handleBinance } from "./binance.ts";
import { defaultSimConfig } from "./config.ts";
import { type Clock, realClock } from "./clock.ts";
import { createMarketControls, type MarketControls } from "./controls.ts";
import { createEngines, type VenueEngine } from "./engine.ts";
import type { SimConfig, VenueId } from "./types.ts";
import type { VenueHandler, VenueLimiters } from "./venue_context.ts";
import { BinanceLimiter, OkxLimiter } from "./rate_limits.ts";
import { FaultInjector, faultResponse, MAX_HANG_MS, unknownStatusResponse } from "./faults.ts";
import { handleOkx } from "./okx.ts";
import { deriveSeed, mulberry32 } from "./prng.ts";
import { RequestLog } from "./request_log.ts";
import { StreamHub } from "./ws_hub.ts";
import { UserStreamHub } from "./ws_user_hub.ts";

export interface SimulatorOptions {
  /** seeds every price walk and the latency jitter; default 1 */
  seed?: number;
  config?: SimConfig;
  /** 0 (default) picks a free port */
  port?: number;
  /** injected clock for market time; the real clock by default */
  clock?: Clock;
}

export interface Simulator {
  binance: { baseUrl: string; apiKey: string; secret: string };
  okx: { baseUrl: string; apiKey: string; secret: string; passphrase: string };
  adminUrl: string;
  /** the listener's origin, e.g. http://127.0.0.1:54321 */
  origin: string;
  engines: Record<VenueId, VenueEngine>;
  market: MarketControls;
  faults: FaultInjector;
  requestLog: RequestLog;
  /** WebSocket streams (ws_hub.ts): ws://.../binance/ws, ws://.../okx/ws/v5/public; faults in `streams.faults` */
  streams: StreamHub;
  /**
   * Private order streams (ws_user_hub.ts): ws://.../binance/ws-api/v3 (user-data subscription, executionReport),
   * ws://.../okx/ws/v5/private (login, `orders`); their own faults in `orderStreams.faults`
   */
  orderStreams: UserStreamHub;
  /** the venues' rate limiters (on by default; `enabled = false` or config `rateLimits.enabled: false` to switch off) */
  limits: VenueLimiters;
  stop(): Promise<void>;
}

const HANDLERS: Record<VenueId, VenueHandler> = { binance: handleBinance, okx: handleOkx };

/** Which venue a path belongs to, and the path the venue handler sees. */
export function routeVenue(pathname: string): { venue: VenueId; path: string } | undefined {
  for (const venue of ["binance", "okx"] as const) {
    const prefix = `/${venue}`;
    if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
      return { venue, path: pathname.slice(prefix.length) || "/" };
    }
  }
  if (pathname.startsWith("/api/v5/")) return { venue: "okx", path: pathname };
  if (pathname.startsWith("/api/") || pathname.startsWith("/sapi/")) return { venue: "binance", path: pathname };
  return undefined;
}

/** Waits `ms`, or less when any signal aborts. */
function pause(ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signals.some((s) => s.aborted)) return resolve();
    const done = () => {
      clearTimeout(timer);
      for (const s of signals) s.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const s of signals) s.addEventListener("abort", done);
  });
}

function isSigned(req: Request, url: URL): boolean {
  return url.searchParams.has("signature") || req.headers.has("ok-access-sign");
}

function hasApiKey(req: Request): boolean {
  return req.headers.has("x-mbx-apikey") || req.headers.has("ok-access-key");
}

interface ServerState {
  engines: Record<VenueId, VenueEngine>;
  faults: FaultInjector;
  log: RequestLog;
  clock: Clock;
  stopping: AbortSignal;
  controls: MarketControls;
  limits: VenueLimiters;
}

async function handleVenue(
  req: Request,
  url: URL,
  venue: VenueId,
  path: string,
  state: ServerState,
): Promise<Response> {
  const entry = state.log.start({
    venue,
    method: req.method,
    path,
    query: url.search,
    private: hasApiKey(req),
    signed: isSigned(req, url),
  });
  let status = 0;
  try {
    const decision = state.faults.decide(venue, req.method, path);
    if (decision.delayMs > 0) await pause(decision.delayMs, [state.stopping]);
    const fault = decision.fault;
    if (fault) entry.fault = fault.kind;
    if (fault?.kind === "hang") {
      // Hold the request for hangMs (or until shutdown), then answer a gateway timeout the client no longer awaits.
      await pause(Math.min(fault.hangMs ?? 30_000, MAX_HANG_MS), [state.stopping]);
      status = 504;
      return new Response("gateway timeout", { status });
    }
    if (fault && fault.kind !== "unknown_after_place") {
      const response = faultResponse(venue, fault, state.engines[venue].clock.now());
      status = response.status;
      return response;
    }
    const engine = state.engines[venue];
    engine.sync();
    const inner = new Request(new URL(path + url.search, url.origin), {
      method: req.method,
      headers: req.headers,
      body: req.body,
    });
    // The handler sees the venue's clock (offset included): its time answers and signature windows use it.
    const response = await HANDLERS[venue](inner, {
      venue,
      engine,
      clock: engine.clock,
      log: entry,
      limits: state.limits,
    });
    if (fault?.kind === "unknown_after_place") {
      // The venue did the work; the client only learns that the outcome is unknown.
      await response.body?.cancel();
      const unknown = unknownStatusResponse(venue, path, engine.clock.now());
      status = unknown.status;
      return unknown;
    }
    status = response.status;
    return response;
  } catch (error) {
    status = 500;
    console.error(`sim ${venue} ${req.method} ${path} failed:`, error);
    return Response.json({ error: "simulator internal error" }, { status });
  } finally {
    state.log.finish(entry, status);
  }
}

/** Starts the simulator on loopback. Stop it with `stop()`. */
export function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const config = options.config ?? defaultSimConfig();
  const clock = options.clock ?? realClock;
  const engines = createEngines(config, { seed, clock });
  const faults = new FaultInjector(mulberry32(deriveSeed(seed, "faults")));
  const log = new RequestLog();
  const stopper = new AbortController();

  const controls = createMarketControls(engines);
  const streams = new StreamHub(engines);
  const orderStreams = new UserStreamHub(engines);
  const limits: VenueLimiters = {
    binance: new BinanceLimiter(config.binance.rateLimits),
    okx: new OkxLimiter(config.okx.rateLimits),
  };
  const state: ServerState = { engines, faults, log, clock, stopping: stopper.signal, controls, limits };

  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: "127.0.0.1",
      port: options.port ?? 0,
      signal: stopper.signal,
      onListen: () => {},
    }, (req) => {
      const url = new URL(req.url);
      if (url.pathname === "/admin" || url.pathname.startsWith("/admin/")) {
        return handleAdmin(req, url.pathname.slice("/admin".length) || "/", { ...state, log });
      }
      const route = routeVenue(url.pathname);
      if (!route) {
        const entry = log.start({
          venue: "unknown",
          method: req.method,
          path: url.pathname,
          query: url.search,
          private: false,
          signed: false,
        });
        log.finish(entry, 404);
        return Response.json({ error: "no venue at this path" }, { status: 404 });
      }
      if (req.headers.get("upgrade")?.toLowerCase() === "websocket") {
        if (UserStreamHub.matches(route.venue, route.path)) return orderStreams.accept(req, route.venue);
        if (StreamHub.matches(route.venue, route.path)) return streams.accept(req, url, route.venue, route.path);
      }
      return handleVenue(req, url, route.venue, route.path, state);
    });
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const binanceAccount = engines.binance.listAccounts()[0];
    const okxAccount = engines.okx.listAccounts()[0];
    resolve({
      binance: { baseUrl: `${origin}/binance`, apiKey: binanceAccount.apiKey, secret: binanceAccount.secret },
      okx: {
        baseUrl: `${origin}/okx`,
        apiKey: okxAccount.apiKey,
        secret: okxAccount.secret,
        passphrase: okxAccount.passphrase ?? "",
      },
      adminUrl: `${origin}/admin`,
      origin,
      engines,
      market: controls,
      faults,
      requestLog: log,
      streams,
      orderStreams,
      limits,
      stop: async () => {
        await streams.close();
        await orderStreams.close();
        stopper.abort();
        await server.finished;
      },
    });
  });
}
