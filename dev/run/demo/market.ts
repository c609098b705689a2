/**
 * The demo's market: the exchange simulator with livelier prices than its defaults, so the strategy, on its legacy
 * settings (untouched), finds entries and hits its exits within the first minute. Only the market is tuned:
 *
 * - spread 0.12 %: wider than the widest band's min spread (defensive, 0.10 %), so entries are possible whatever
 *   latency band a loaded machine lands in;
 * - volatility 0.08 % per one-second step, no drift: a take profit (+0.2 %) or stop loss (−0.2 %) is a few seconds
 *   away, in either direction; momentum is up about half the time, as in a fair random walk.
 */

import { defaultSimConfig } from "../../sim/config.ts";
import type { SimConfig } from "../../sim/types.ts";
import { startSimulator } from "../../sim/server.ts";

export const DEMO_SPREAD_BPS = 12;
export const DEMO_VOLATILITY_BPS = 8;
export const DEMO_DRIFT_BPS = 0;
export const DEMO_PRICE_STEP_MS = 1_000;

export function demoSimConfig(): SimConfig {
  const config = defaultSimConfig();
  for (const venue of [config.binance, config.okx]) {
    venue.priceStepIntervalMs = DEMO_PRICE_STEP_MS;
    venue.markets = venue.markets.map((market) => ({
      ...market,
      spreadBps: DEMO_SPREAD_BPS,
      volatilityBps: DEMO_VOLATILITY_BPS,
      driftBps: DEMO_DRIFT_BPS,
    }));
  }
  return config;
}

/** One line for the screen: what market the demo trades on. */
export function describeDemoMarket(seed: number): string {
  return `simulated market (seed ${seed}): spread ${DEMO_SPREAD_BPS / 100} %, volatility ${
    DEMO_VOLATILITY_BPS / 100
  } % per ${DEMO_PRICE_STEP_MS / 1000} s step, drift ${DEMO_DRIFT_BPS}`;
}

/** What the bot's functions need to see the market: the simulator's base URLs, no keys (paper mode). */
export interface Market {
  /** For the screen. */
  description: string;
  /** Exchange part of the functions' environment. */
  functionEnv: Record<string, string>;
  /** For the start-up JSON line. */
  info: Record<string, unknown>;
  /** The simulator's origin (it serves /binance and /okx), for the latency model's proxies (`--regions`). */
  simOrigin?: string;
  stop(): Promise<void>;
}

/** No keys in the functions' env, whatever the caller's shell holds: paper mode needs none, and the demo uses none. */
export const NO_KEYS_ENV: Record<string, string> = {
  BINANCE_API_KEY: "",
  BINANCE_API_SECRET: "",
  OKX_API_KEY: "",
  OKX_API_SECRET: "",
  OKX_PASSPHRASE: "",
  ALLOW_LIVE_TRADING: "false",
};

export interface DemoMarketOptions {
  /**
   * `--regions`: each modelled Edge region calls a venue from its own addresses, so the venue's per-IP limits do not
   * add up across regions; the simulator counts every caller against one limit, which four regions sampling at once
   * would exceed (OKX public/time: 10 per 2 s). Off then, as in tests/e2e/regions_test.ts.
   */
  perCallerLimits?: boolean;
}

export async function startDemoMarket(seed: number, options: DemoMarketOptions = {}): Promise<Market> {
  const sim = await startSimulator({ seed, config: demoSimConfig() });
  if (options.perCallerLimits === false) {
    sim.limits.binance.enabled = false;
    sim.limits.okx.enabled = false;
  }
  return {
    description: describeDemoMarket(seed),
    functionEnv: {
      ...NO_KEYS_ENV,
      BINANCE_BASE_URL: sim.binance.baseUrl,
      OKX_BASE_URL: sim.okx.baseUrl,
      EXCHANGE_TIMEOUT_MS: "5000",
    },
    info: { simulator: { binance: sim.binance.baseUrl, okx: sim.okx.baseUrl, adminUrl: sim.adminUrl, seed } },
    simOrigin: sim.origin,
    stop: () => sim.stop(),
  };
}
