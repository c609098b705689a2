/**
 * Builds a VenueClient from env + mode. The mode decides what ccxt gets:
 * - paper: no keys at all (public market data only; balances come from the paper ledger),
 * - testnet: the venue's keys and ccxt sandbox mode,
 * - live: the venue's keys, real endpoints. Whether live trading is allowed is the caller's decision; the facts
 *   (`liveAllowedByEnv`) are exposed here. Reading balances in live mode is not trading and needs no opt-in.
 * A base-URL override (BINANCE_BASE_URL / OKX_BASE_URL) replaces the origin of every ccxt API URL, after sandbox mode.
 */
import type { Env, VenueCredentials } from "../env.ts";
import type { TradingMode } from "../settings.ts";
import { CircuitBreaker, type Deadline, type RetryOptions } from "./retry.ts";
import { type CcxtClientOptions, createCcxtClient } from "./ccxt_client.ts";
import { type CcxtExchange, createVenueClient, type VenueClient } from "./venue_client.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { type Venue, VENUE_PROFILES } from "./venues.ts";

export interface VenueFacts {
  venue: Venue;
  mode: TradingMode;
  sandbox: boolean;
  /** The override in use, if any (the simulator in tests, a proxy in production). */
  baseUrl: string | null;
  /** Keys are configured for this venue (and, outside paper mode, handed to ccxt). */
  hasCredentials: boolean;
  /** ALLOW_LIVE_TRADING=true in env. Live trading also needs bot_settings.live_trading_enabled. */
  liveAllowedByEnv: boolean;
}

export interface VenueSetup {
  facts: VenueFacts;
  ccxtOptions: CcxtClientOptions;
  credentials?: VenueCredentials;
}

/** Pure: what a client for `venue` in `mode` gets from env. */
export function venueSetup(venue: Venue, env: Env, mode: TradingMode): VenueSetup {
  const credentials = mode === "paper" ? undefined : env.credentials[venue];
  const baseUrl = env.baseUrls[venue];
  return {
    facts: {
      venue,
      mode,
      sandbox: mode === "testnet",
      baseUrl: baseUrl ?? null,
      hasCredentials: env.credentials[venue] !== undefined,
      liveAllowedByEnv: env.allowLiveTrading,
    },
    credentials,
    ccxtOptions: {
      ...(credentials ?? {}),
      sandbox: mode === "testnet",
      ...(baseUrl ? { baseUrl } : {}),
      timeoutMs: env.exchangeTimeoutMs,
    },
  };
}

export interface BuildVenueClientOptions {
  retry?: Omit<RetryOptions, "breaker">;
  /** Monotonic clock for the circuit breaker; omit to build without one. */
  breakerNowMs?: () => number;
  /** Monotonic clock for our rate limiter; default performance.now (the limiter is always on). */
  limiterNowMs?: () => number;
  /** Swap ccxt for a fake in unit tests. Default: createCcxtClient. */
  ccxtFactory?: (venue: Venue, options: CcxtClientOptions) => CcxtExchange;
}

/** Consecutive temporary or rate-limited failures after which a venue is left alone for BREAKER_COOL_DOWN_MS. */
export const BREAKER_FAILURE_THRESHOLD = 5;
export const BREAKER_COOL_DOWN_MS = 30_000;

/** Per-client limits a caller may set (a burst passes its time budget). */
export interface VenueClientLimits {
  deadline?: Deadline;
}

export function buildVenueClient(
  venue: Venue,
  env: Env,
  mode: TradingMode,
  options: BuildVenueClientOptions = {},
  limits: VenueClientLimits = {},
): { client: VenueClient; facts: VenueFacts } {
  const setup = venueSetup(venue, env, mode);
  const factory = options.ccxtFactory ?? createCcxtClient;
  const exchange = factory(venue, setup.ccxtOptions);
  const breaker = options.breakerNowMs
    ? new CircuitBreaker(venue, {
      nowMs: options.breakerNowMs,
      failureThreshold: BREAKER_FAILURE_THRESHOLD,
      coolDownMs: BREAKER_COOL_DOWN_MS,
    })
    : undefined;
  const client = createVenueClient(venue, exchange, {
    retry: options.retry,
    breaker,
    secrets: [setup.credentials?.apiKey, setup.credentials?.secret, setup.credentials?.password],
    deadline: limits.deadline,
    limiter: new RateLimiter(VENUE_PROFILES[venue].rateLimits.limits, {
      nowMs: options.limiterNowMs ?? (() => performance.now()),
    }),
  });
  return { client, facts: setup.facts };
}

/** How handlers get venue clients; tests pass their own. */
export type VenueClientFactory = (
  venue: Venue,
  mode: TradingMode,
  limits?: VenueClientLimits,
) => { client: VenueClient; facts: VenueFacts };

/** Production factory: a fresh client (and breaker) per call, so one invocation's failures do not leak into the next. */
export function venueClientFactory(env: Env, options: BuildVenueClientOptions = {}): VenueClientFactory {
  return (venue, mode, limits) => buildVenueClient(venue, env, mode, options, limits);
}
