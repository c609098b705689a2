// The simulator's configuration: defaults that look like the real venues, and a zod schema for config files.

import { z } from "zod";
import type { MarketConfig, SimConfig, VenueConfig } from "./types.ts";

const marketSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z0-9]+\/[A-Z0-9]+$/, "symbol must look like BTC/USDT"),
  tickSize: z.number().positive(),
  stepSize: z.number().positive(),
  minQty: z.number().min(0),
  maxQty: z.number().positive(),
  minNotional: z.number().min(0),
  price: z.number().positive(),
  spreadBps: z.number().min(0),
  volatilityBps: z.number().min(0),
  driftBps: z.number(),
  topOfBookQty: z.number().positive(),
});

const accountSchema = z.strictObject({
  apiKey: z.string().min(1),
  secret: z.string().min(1),
  passphrase: z.string().min(1).optional(),
  balances: z.record(z.string(), z.number().min(0)),
  bnbFees: z.boolean().optional(),
});

const venueSchema = z.strictObject({
  markets: z.array(marketSchema).min(1),
  fees: z.strictObject({ maker: z.number().min(0).max(0.1), taker: z.number().min(0).max(0.1) }),
  accounts: z.array(accountSchema).min(1),
  priceStepIntervalMs: z.number().int().min(0),
  clientOrderIdScope: z.enum(["open", "all"]),
  orderIdStart: z.number().int().positive(),
  bnbFeeDiscount: z.number().min(0).max(1),
  clockOffsetMs: z.number().int(),
  marketList: z.enum(["full", "short"]),
  rateLimits: z.strictObject({
    enabled: z.boolean().optional(),
    requestWeightPerMinute: z.number().int().positive().optional(),
    ordersPer10s: z.number().int().positive().optional(),
    ordersPerDay: z.number().int().positive().optional(),
    banAfter429s: z.number().int().min(0).optional(),
    firstBanMs: z.number().int().positive().optional(),
    maxBanMs: z.number().int().positive().optional(),
    per2s: z.record(z.string().regex(/^(GET|POST) \/api\/v5\//), z.number().int().positive()).optional(),
  }),
});

/** A config file: every key optional; what is given replaces the default for that venue key. */
export const simConfigFileSchema = z.strictObject({
  binance: venueSchema.partial().optional(),
  okx: venueSchema.partial().optional(),
});

export type SimConfigFile = z.input<typeof simConfigFileSchema>;

const DEMO_BALANCES = { USDT: 10_000, BTC: 0.1, ETH: 1, SOL: 10, BNB: 5 };

/** Realistic spot rules for the legacy symbols (tick, lot, min notional as the venues publish them). */
function defaultMarkets(minNotional: number): MarketConfig[] {
  return [
    {
      symbol: "BTC/USDT",
      tickSize: 0.01,
      stepSize: 0.00001,
      minQty: 0.00001,
      maxQty: 9000,
      minNotional,
      price: 65_000,
      spreadBps: 0.5,
      volatilityBps: 3,
      driftBps: 0,
      topOfBookQty: 2,
    },
    {
      symbol: "ETH/USDT",
      tickSize: 0.01,
      stepSize: 0.0001,
      minQty: 0.0001,
      maxQty: 9000,
      minNotional,
      price: 3_200,
      spreadBps: 0.8,
      volatilityBps: 4,
      driftBps: 0,
      topOfBookQty: 30,
    },
    {
      symbol: "SOL/USDT",
      tickSize: 0.01,
      stepSize: 0.001,
      minQty: 0.001,
      maxQty: 90_000,
      minNotional,
      price: 150,
      spreadBps: 1,
      volatilityBps: 5,
      driftBps: 0,
      topOfBookQty: 500,
    },
    {
      symbol: "BNB/USDT",
      tickSize: 0.01,
      stepSize: 0.001,
      minQty: 0.001,
      maxQty: 90_000,
      minNotional,
      price: 580,
      spreadBps: 1,
      volatilityBps: 4,
      driftBps: 0,
      topOfBookQty: 100,
    },
  ];
}

export function defaultBinanceConfig(): VenueConfig {
  return {
    markets: defaultMarkets(5),
    fees: { maker: 0.001, taker: 0.001 },
    accounts: [{ apiKey: "sim-binance-demo-key", secret: "sim-binance-demo-secret", balances: { ...DEMO_BALANCES } }],
    priceStepIntervalMs: 1000,
    clientOrderIdScope: "open",
    orderIdStart: 1_000_001,
    bnbFeeDiscount: 0.25,
  };
}

export function defaultOkxConfig(): VenueConfig {
  return {
    // OKX has no min notional on spot, only a min size; keep 0 here and let minQty do the work.
    markets: defaultMarkets(0).map((m) => ({ ...m, minQty: m.stepSize * 10 })),
    fees: { maker: 0.0008, taker: 0.001 },
    accounts: [{
      apiKey: "sim-okx-demo-key",
      secret: "sim-okx-demo-secret",
      passphrase: "sim-okx-demo-passphrase",
      balances: { ...DEMO_BALANCES },
    }],
    priceStepIntervalMs: 1000,
    clientOrderIdScope: "open",
    orderIdStart: 600_000_000_001,
  };
}

export function defaultSimConfig(): SimConfig {
  return { binance: defaultBinanceConfig(), okx: defaultOkxConfig() };
}

/** Defaults overlaid with a (validated) config file's values. */
export function resolveSimConfig(file: unknown = {}): SimConfig {
  const parsed = simConfigFileSchema.parse(file);
  const defaults = defaultSimConfig();
  return {
    binance: { ...defaults.binance, ...parsed.binance },
    okx: { ...defaults.okx, ...parsed.okx },
  };
}
