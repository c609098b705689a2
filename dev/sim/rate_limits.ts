// Venue rate limits as the venues define them, in fixed windows of the venue's clock:
//   Binance spot: REQUEST_WEIGHT per minute (per IP; every simulator client is on loopback, so one bucket per venue),
//     ORDERS per 10 s and per day (per account); 429 with Retry-After when exceeded; an IP that keeps sending into
//     429s is banned (418) for 2 minutes, doubling per ban up to 3 days, as Binance escalates.
//   OKX v5: a request count per endpoint per 2 s (public endpoints per IP, private ones per account); HTTP 429 with
//     code 50011 when exceeded.
// The figures are the venues' published defaults (docs/SIMULATOR.md lists them and their sources).

import type { RateLimitConfig } from "./types.ts";

export const BINANCE_DEFAULT_LIMITS = {
  requestWeightPerMinute: 6000,
  ordersPer10s: 100,
  ordersPerDay: 200_000,
  /** 429 answers within one minute window after which the IP is banned */
  banAfter429s: 10,
  firstBanMs: 120_000,
  maxBanMs: 3 * 86_400_000,
} as const;

/** OKX's published per-endpoint limits, requests per 2 s ("METHOD path"). Anything else: 20 / 2 s. */
export const OKX_DEFAULT_LIMITS_PER_2S: Readonly<Record<string, number>> = {
  "GET /api/v5/public/time": 10,
  "GET /api/v5/public/instruments": 20,
  "GET /api/v5/market/tickers": 20,
  "GET /api/v5/market/ticker": 20,
  "GET /api/v5/market/books": 40,
  "GET /api/v5/account/balance": 10,
  "GET /api/v5/account/config": 5,
  "GET /api/v5/account/trade-fee": 5,
  "GET /api/v5/asset/currencies": 6,
  "POST /api/v5/trade/order": 60,
  "GET /api/v5/trade/order": 60,
  "POST /api/v5/trade/cancel-order": 60,
  "POST /api/v5/trade/batch-orders": 300,
  "POST /api/v5/trade/cancel-batch-orders": 300,
  "GET /api/v5/trade/orders-pending": 60,
  "GET /api/v5/trade/orders-history": 40,
  "GET /api/v5/trade/orders-history-archive": 20,
  "GET /api/v5/trade/fills": 60,
  "GET /api/v5/trade/fills-history": 10,
  "POST /api/v5/trade/order-algo": 20,
  "POST /api/v5/trade/cancel-algos": 20,
  "GET /api/v5/trade/order-algo": 20,
  "GET /api/v5/trade/orders-algo-pending": 20,
  "GET /api/v5/trade/orders-algo-history": 20,
};
const OKX_FALLBACK_PER_2S = 20;

/** A count that starts over at every multiple of `sizeMs` of the venue clock (the venues' windows are fixed). */
class FixedWindow {
  private window = Number.NaN;
  private count = 0;
  constructor(private readonly sizeMs: number) {}

  add(now: number, n: number): number {
    this.roll(now);
    this.count += n;
    return this.count;
  }

  value(now: number): number {
    this.roll(now);
    return this.count;
  }

  /** ms until this window ends */
  remainingMs(now: number): number {
    return (Math.floor(now / this.sizeMs) + 1) * this.sizeMs - now;
  }

  private roll(now: number): void {
    const w = Math.floor(now / this.sizeMs);
    if (w !== this.window) {
      this.window = w;
      this.count = 0;
    }
  }
}

/** Whole seconds, at least 1: what Retry-After says. */
const retryAfterSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export type BinanceLimitVerdict =
  | { ok: true }
  | { ok: false; status: 429 | 418; code: number; msg: string; retryAfterSeconds: number };

/** Binance's REQUEST_WEIGHT (per IP) and ORDERS (per account) limits. */
export class BinanceLimiter {
  private weight = new FixedWindow(60_000);
  private rejections = new FixedWindow(60_000);
  private readonly orders = new Map<string, { tenSeconds: FixedWindow; day: FixedWindow }>();
  private bannedUntil = 0;
  private bans = 0;
  private readonly limits: { -readonly [K in keyof typeof BINANCE_DEFAULT_LIMITS]: number };
  enabled: boolean;

  constructor(config: RateLimitConfig = {}) {
    const { enabled, per2s: _okxOnly, ...figures } = config;
    this.limits = { ...BINANCE_DEFAULT_LIMITS, ...figures };
    this.enabled = enabled ?? true;
  }

  /** The figures in force. */
  figures(): Record<string, number> {
    return { ...this.limits };
  }

  /** Forgets every count and any ban. */
  reset(): void {
    this.weight = new FixedWindow(60_000);
    this.rejections = new FixedWindow(60_000);
    this.orders.clear();
    this.bannedUntil = 0;
    this.bans = 0;
  }

  /** Counts a request of `weight` and says whether it may run. Banned IPs are not counted. */
  request(now: number, weight: number): BinanceLimitVerdict {
    if (!this.enabled) {
      this.weight.add(now, weight);
      return { ok: true };
    }
    if (now < this.bannedUntil) return this.banned(now);
    const used = this.weight.add(now, weight);
    if (used <= this.limits.requestWeightPerMinute) return { ok: true };
    if (this.rejections.add(now, 1) > this.limits.banAfter429s) {
      this.bannedUntil = now + Math.min(this.limits.firstBanMs * 2 ** this.bans, this.limits.maxBanMs);
      this.bans++;
      return this.banned(now);
    }
    return {
      ok: false,
      status: 429,
      code: -1003,
      msg: `Too much request weight used; current limit is ${this.limits.requestWeightPerMinute} request weight ` +
        "per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
      retryAfterSeconds: retryAfterSeconds(this.weight.remainingMs(now)),
    };
  }

  /** Counts `n` new orders of an account (an order list counts each of its orders) and says whether they may run. */
  newOrders(accountId: string, now: number, n: number): BinanceLimitVerdict {
    const counts = this.counts(accountId);
    const tenSeconds = counts.tenSeconds.add(now, n);
    const day = counts.day.add(now, n);
    if (!this.enabled) return { ok: true };
    if (tenSeconds > this.limits.ordersPer10s) {
      return {
        ok: false,
        status: 429,
        code: -1015,
        msg: `Too many new orders; current limit is ${this.limits.ordersPer10s} orders per 10 SECOND.`,
        retryAfterSeconds: retryAfterSeconds(counts.tenSeconds.remainingMs(now)),
      };
    }
    if (day > this.limits.ordersPerDay) {
      return {
        ok: false,
        status: 429,
        code: -1015,
        msg: `Too many new orders; current limit is ${this.limits.ordersPerDay} orders per 1 DAY.`,
        retryAfterSeconds: retryAfterSeconds(counts.day.remainingMs(now)),
      };
    }
    return { ok: true };
  }

  /** The X-MBX-* headers: used weight always, order counts when the account is known. */
  headers(now: number, accountId?: string): Record<string, string> {
    const out: Record<string, string> = { "x-mbx-used-weight-1m": String(this.weight.value(now)) };
    if (accountId !== undefined) {
      const counts = this.counts(accountId);
      out["x-mbx-order-count-10s"] = String(counts.tenSeconds.value(now));
      out["x-mbx-order-count-1d"] = String(counts.day.value(now));
    }
    return out;
  }

  private banned(now: number): BinanceLimitVerdict {
    return {
      ok: false,
      status: 418,
      code: -1003,
      msg: `Way too much request weight used; IP banned until ${this.bannedUntil}. ` +
        "Please use WebSocket Streams for live updates to avoid bans.",
      retryAfterSeconds: retryAfterSeconds(this.bannedUntil - now),
    };
  }

  private counts(accountId: string) {
    let counts = this.orders.get(accountId);
    if (!counts) {
      counts = { tenSeconds: new FixedWindow(10_000), day: new FixedWindow(86_400_000) };
      this.orders.set(accountId, counts);
    }
    return counts;
  }
}

/** OKX's per-endpoint limits per 2 s, counted per IP (public) or per account (private). */
export class OkxLimiter {
  private readonly windows = new Map<string, FixedWindow>();
  private readonly limits: Record<string, number>;
  enabled: boolean;

  constructor(config: RateLimitConfig = {}) {
    this.limits = { ...OKX_DEFAULT_LIMITS_PER_2S, ...config.per2s };
    this.enabled = config.enabled ?? true;
  }

  /** The figures in force. */
  figures(): Record<string, number> {
    return { ...this.limits, "*": OKX_FALLBACK_PER_2S };
  }

  /** Forgets every count. */
  reset(): void {
    this.windows.clear();
  }

  limitFor(endpoint: string): number {
    return this.limits[endpoint] ?? OKX_FALLBACK_PER_2S;
  }

  /** Counts `n` requests to `endpoint` ("METHOD path") by `who` (an account id, or "ip"); false when over the limit. */
  allow(endpoint: string, who: string, now: number, n = 1): boolean {
    const key = `${endpoint}|${who}`;
    let window = this.windows.get(key);
    if (!window) {
      window = new FixedWindow(2_000);
      this.windows.set(key, window);
    }
    const count = window.add(now, n);
    return !this.enabled || count <= this.limitFor(endpoint);
  }
}
