// The one place that constructs ccxt instances: spot only, no endpoints we do not use, optional base-URL override.
// What differs per venue (ccxt id, options, features off) is in venues.ts.
//
// Import cost: ccxt's package exports only its root module, so `import { binance, okx }` and `import ccxt` load the
// same ESM graph (measured 180-260 ms either way in Deno 2.9, named slightly faster); named imports keep it explicit.

import { binance, type Exchange, okx } from "ccxt";
import { type Venue, VENUE_PROFILES } from "./venues.ts";

/** ccxt's exchange classes by ccxt id (venues.ts names which one a venue uses). */
const CCXT_CLASSES: Readonly<Record<string, new (config: Record<string, unknown>) => Exchange>> = { binance, okx };

export interface CcxtClientOptions {
  apiKey?: string;
  secret?: string;
  /** OKX passphrase (ccxt calls it `password`) */
  password?: string;
  /** replaces the origin of every API URL, e.g. the simulator's `http://127.0.0.1:1234/binance` or a proxy */
  baseUrl?: string;
  /** ccxt sandbox mode (Binance spot testnet, OKX demo trading); applied before baseUrl */
  sandbox?: boolean;
  /** per-request timeout; default 10 000 ms */
  timeoutMs?: number;
}

export class CcxtClientConfigError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "CcxtClientConfigError";
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const ORIGIN = /^https?:\/\/[^/]+/;

/** Rewrites the origin of every URL string in `api` (nested objects included), keeping each URL's path. */
export function rewriteApiOrigins<T>(api: T, baseUrl: string): T {
  const base = baseUrl.replace(/\/+$/, "");
  if (typeof api === "string") return api.replace(ORIGIN, base) as T;
  if (api !== null && typeof api === "object") {
    const out: Record<string, unknown> = Array.isArray(api) ? [] as unknown as Record<string, unknown> : {};
    for (const [key, value] of Object.entries(api)) out[key] = rewriteApiOrigins(value, base);
    return out as T;
  }
  return api;
}

function checkBaseUrl(baseUrl: string): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new CcxtClientConfigError("baseUrl", `baseUrl is not a URL: ${baseUrl}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CcxtClientConfigError("baseUrl", `baseUrl must be http(s), got ${url.protocol}`);
  }
  if (url.search || url.hash) throw new CcxtClientConfigError("baseUrl", "baseUrl may not carry a query or fragment");
}

/** Builds a spot-only ccxt client for `venue`. Unmodified ccxt apart from options and (optionally) its API URLs. */
export function createCcxtClient(venue: Venue, opts: CcxtClientOptions = {}): Exchange {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeout) || timeout <= 0) {
    throw new CcxtClientConfigError("timeoutMs", `timeoutMs must be a positive integer, got ${opts.timeoutMs}`);
  }
  if (opts.baseUrl !== undefined) checkBaseUrl(opts.baseUrl);
  const profile = VENUE_PROFILES[venue];
  const ExchangeClass = CCXT_CLASSES[profile.ccxtId];
  if (!ExchangeClass) {
    throw new CcxtClientConfigError("venue", `no ccxt class for ${venue} (ccxt id ${profile.ccxtId})`);
  }
  const config = {
    apiKey: opts.apiKey,
    secret: opts.secret,
    password: opts.password,
    timeout,
    // Off: ccxt's leaky bucket never credits idle time and polls a 1 ms timer. Ours (rate_limiter.ts, venues.ts's
    // rateLimits) sits in venue_client.ts.
    enableRateLimit: false,
    options: { ...profile.ccxtOptions },
  };
  const exchange = new ExchangeClass(config);
  for (const feature of profile.ccxtFeaturesOff) exchange.has[feature] = false;
  if (opts.sandbox) exchange.setSandboxMode(true);
  if (opts.baseUrl !== undefined) {
    exchange.urls["api"] = rewriteApiOrigins(exchange.urls["api"], opts.baseUrl);
  }
  return exchange;
}
