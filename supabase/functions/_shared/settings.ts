/**
 * The one `bot_settings` row (id = 1), validated when read.
 *
 * Two stages, as freqtrade does: a zod schema checks each column on its own (types, ranges, numeric strings from
 * PostgREST's `numeric` columns), then cross-field checks say how to fix combinations that cannot work.
 * Column names are the snake_case names PostgREST returns. Ranges match the check constraints in
 * supabase/migrations/*_bot_settings.sql, so a row the database accepts parses here.
 */
import { z } from "zod";
import { numeric } from "./numeric_text.ts";
import { SYMBOL_PATTERN } from "./trading/symbol.ts";

export const TRADING_MODES = ["paper", "testnet", "live"] as const;
export type TradingMode = (typeof TRADING_MODES)[number];

export const LATENCY_BAND_NAMES = ["aggressive", "normal", "cautious", "defensive"] as const;
export type LatencyBandName = (typeof LATENCY_BAND_NAMES)[number];

/** ccxt unified spot symbol: BASE/QUOTE in upper case, e.g. BTC/USDT. */

const num = () => z.number(); // zod 4 numbers already refuse NaN and Infinity
const int = () => z.number().int();

export const latencyBandSchema = z.object({
  name: z.enum(LATENCY_BAND_NAMES),
  /** Upper bound of the average latency for this band, in ms; null on the last band ("anything slower"). */
  max_ms: numeric(num().positive()).nullable(),
  /** Minimum (ask - bid) / mid in percent before an entry is considered. */
  min_spread_pct: numeric(num().min(0)),
  size_usd: numeric(num().positive()),
  /** Multiplies size_usd; 1 = full size. */
  throttle: numeric(num().positive().max(1)),
});
export type LatencyBand = z.infer<typeof latencyBandSchema>;

export const MARKET_DATA_SOURCES = ["stream", "poll"] as const;
/** How often a streamed top arrives: at most every 100 ms per symbol, or on every change (market_data/protocols.ts). */
export const BOOK_UPDATES = ["conflated", "every_change"] as const;
export type BookUpdates = typeof BOOK_UPDATES[number];

export const settingsSchema = z.object({
  id: numeric(z.literal(1)),
  mode: z.enum(TRADING_MODES),
  trading_enabled: z.boolean(),
  live_trading_enabled: z.boolean(),
  symbols: z.array(z.string().regex(SYMBOL_PATTERN, "must look like BASE/QUOTE in upper case, e.g. BTC/USDT"))
    .min(1).max(50),
  latency_bands: z.array(latencyBandSchema).min(1).max(LATENCY_BAND_NAMES.length),
  latency_window: numeric(int().min(1).max(10_000)),
  latency_failure_ratio_defensive: numeric(num().positive().max(1)),
  latency_samples_per_call: numeric(int().min(1).max(50)),
  latency_sample_spacing_ms: numeric(int().min(0).max(10_000)),
  max_trades_per_day: numeric(int().min(0).max(100_000)),
  max_daily_loss_usd: numeric(num().positive().max(1_000_000)),
  /** Over every venue of the mode. */
  max_open_positions: numeric(int().min(0).max(1_000)),
  /** Optional limit per venue (null = only the global one). */
  max_open_positions_per_venue: numeric(int().min(0).max(1_000)).nullable(),
  max_order_usd: numeric(num().positive().max(1_000_000)),
  min_order_balance_usdt: numeric(num().min(0)),
  balance_use_fraction: numeric(num().positive().max(1)),
  momentum_window: numeric(int().min(2).max(1_000)),
  momentum_min_samples: numeric(int().min(2)),
  momentum_min_pct: numeric(num().min(0).max(100)),
  drawdown_throttle_floor: numeric(num().min(0).max(1)),
  drawdown_throttle_slope: numeric(num().min(0).max(10)),
  take_profit_pct: numeric(num().positive().max(100)),
  stop_loss_pct: numeric(num().positive().lt(100)),
  /** true: the venue holds a take profit and a stop loss for every open position (protection.ts). */
  exit_protection: z.boolean(),
  time_stop_seconds: numeric(int().min(1).max(86_400)),
  entry_timeout_seconds: numeric(int().min(1).max(3_600)),
  burst_tick_ms: numeric(int().min(100).max(60_000)),
  /** Quotes from the venues' WebSocket streams (REST while a stream is down), or REST polls only. */
  market_data: z.enum(MARKET_DATA_SOURCES),
  /** Which book-top channel a stream subscribes to; conflated keeps a burst's CPU independent of market activity. */
  book_updates: z.enum(BOOK_UPDATES),
  paper_starting_usdt: numeric(num().min(0)),
  balance_snapshot_minutes: numeric(int().min(1).max(10_080)),
  latency_retention_days: numeric(int().min(1).max(3_650)),
  run_log_retention_days: numeric(int().min(1).max(3_650)),
  /** timestamptz as PostgREST writes it; null only in DEFAULT_SETTINGS (the database sets it). */
  updated_at: z.string().refine((s) => !Number.isNaN(Date.parse(s)), "must be a timestamp").nullable(),
});
export type Settings = z.infer<typeof settingsSchema>;

export interface SettingsIssue {
  /** Column path, e.g. `latency_bands[3].max_ms`. */
  field: string;
  message: string;
}

/** The row failed validation; `issues` names every bad field and the message says how to fix it. */
export class InvalidSettingsError extends Error {
  constructor(readonly issues: readonly SettingsIssue[]) {
    super(`invalid bot_settings: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`);
    this.name = "InvalidSettingsError";
  }
}

/** The legacy bot's constants (scalper.py); the migration seeds the same row. */
export const DEFAULT_SETTINGS: Settings = deepFreeze<Settings>({
  id: 1,
  mode: "paper",
  // Same as the migration's seed: paper mode trades by default (simulated fills); live needs both opt-ins.
  trading_enabled: true,
  live_trading_enabled: false,
  symbols: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"],
  latency_bands: [
    { name: "aggressive", max_ms: 40, min_spread_pct: 0.03, size_usd: 600, throttle: 1.0 },
    { name: "normal", max_ms: 70, min_spread_pct: 0.05, size_usd: 550, throttle: 0.9 },
    { name: "cautious", max_ms: 85, min_spread_pct: 0.07, size_usd: 500, throttle: 0.7 },
    // legacy max_ms 9999: "everything slower"
    { name: "defensive", max_ms: null, min_spread_pct: 0.10, size_usd: 350, throttle: 0.5 },
  ],
  latency_window: 200,
  latency_failure_ratio_defensive: 0.5,
  latency_samples_per_call: 5,
  latency_sample_spacing_ms: 200,
  max_trades_per_day: 250,
  max_daily_loss_usd: 50,
  max_open_positions: 4,
  max_open_positions_per_venue: null,
  max_order_usd: 600,
  min_order_balance_usdt: 10,
  balance_use_fraction: 0.95,
  momentum_window: 10,
  momentum_min_samples: 5,
  momentum_min_pct: 0.01,
  drawdown_throttle_floor: 0.4,
  drawdown_throttle_slope: 0.6,
  take_profit_pct: 0.2,
  stop_loss_pct: 0.2,
  exit_protection: true,
  time_stop_seconds: 180,
  entry_timeout_seconds: 15,
  burst_tick_ms: 1000,
  market_data: "stream",
  book_updates: "conflated",
  paper_starting_usdt: 10000,
  balance_snapshot_minutes: 60,
  latency_retention_days: 7,
  run_log_retention_days: 14,
  updated_at: null,
});

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key),
    "",
  ) || "(row)";
}

/** Stage two: combinations of individually valid columns that cannot work. */
export function crossFieldIssues(s: Settings): SettingsIssue[] {
  const issues: SettingsIssue[] = [];

  const seen = new Set<string>();
  s.symbols.forEach((symbol, i) => {
    if (seen.has(symbol)) {
      issues.push({ field: `symbols[${i}]`, message: `${symbol} is listed twice; remove the duplicate` });
    }
    seen.add(symbol);
  });

  const names = new Set<string>();
  const bands = s.latency_bands;
  bands.forEach((band, i) => {
    if (names.has(band.name)) {
      issues.push({ field: `latency_bands[${i}].name`, message: `band ${band.name} appears twice; keep one` });
    }
    names.add(band.name);
    const isLast = i === bands.length - 1;
    if (isLast && band.max_ms !== null) {
      issues.push({
        field: `latency_bands[${i}].max_ms`,
        message: `the last band must have max_ms null (it catches every slower average), got ${band.max_ms}`,
      });
    }
    if (!isLast && band.max_ms === null) {
      issues.push({
        field: `latency_bands[${i}].max_ms`,
        message: "only the last band may have max_ms null; give this band a limit or move it last",
      });
    }
    const previous = bands[i - 1]?.max_ms ?? null;
    if (band.max_ms !== null && previous !== null && band.max_ms <= previous) {
      issues.push({
        field: `latency_bands[${i}].max_ms`,
        message:
          `bands must be sorted by max_ms ascending: ${band.max_ms} is not above the previous band's ${previous}`,
      });
    }
  });

  if (s.momentum_min_samples > s.momentum_window) {
    issues.push({
      field: "momentum_min_samples",
      message: `must be <= momentum_window (${s.momentum_window}), got ${s.momentum_min_samples}; ` +
        "the buffer never holds more than momentum_window mids",
    });
  }
  return issues;
}

/** Validates a `bot_settings` row as PostgREST returns it. Throws InvalidSettingsError naming every bad field. */
export function parseSettings(row: unknown): Settings {
  const parsed = settingsSchema.safeParse(row);
  if (!parsed.success) {
    throw new InvalidSettingsError(
      parsed.error.issues.map((issue) => ({ field: fieldPath(issue.path), message: issue.message })),
    );
  }
  const issues = crossFieldIssues(parsed.data);
  if (issues.length > 0) throw new InvalidSettingsError(issues);
  return parsed.data;
}
