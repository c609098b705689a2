/**
 * The market the burst benchmarks trade in: up to 50 symbols on both simulated venues, and scripted price paths
 * that keep every symbol cycling through a full round trip (entry signal, maker fill, take profit) so a burst does
 * real work on every tick: quotes, order refreshes, position moves, entries and exits. Pure.
 */
import { defaultBinanceConfig, defaultOkxConfig } from "../sim/config.ts";
import type { MarketConfig, PricePoint, SimConfig } from "../sim/types.ts";
import type { Simulator } from "../sim/server.ts";

/** bot_settings.symbols allows up to 50. */
export const MAX_BENCH_SYMBOLS = 50;
/** Enough quote balance that no entry is refused for money, whatever the symbol count. */
export const BENCH_USDT = 10_000_000;

/** The legacy four first, then synthetic X01/USDT … X46/USDT. */
export function benchSymbols(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BENCH_SYMBOLS) {
    throw new RangeError(`benchSymbols: count must be an integer in 1..${MAX_BENCH_SYMBOLS}, got ${count}`);
  }
  const legacy = ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"];
  const synthetic = Array.from(
    { length: MAX_BENCH_SYMBOLS - legacy.length },
    (_, i) => `X${String(i + 1).padStart(2, "0")}/USDT`,
  );
  return [...legacy, ...synthetic].slice(0, count);
}

function syntheticMarket(symbol: string, minNotional: number): MarketConfig {
  return {
    symbol,
    tickSize: 0.01,
    stepSize: 0.001,
    minQty: 0.001,
    maxQty: 1_000_000,
    minNotional,
    price: 1_000,
    spreadBps: 1,
    volatilityBps: 3,
    driftBps: 0,
    topOfBookQty: 1_000,
  };
}

/** Both venues list all 50 symbols; deep books so every entry fills at once; prices step every `stepMs`. */
export function benchSimConfig(stepMs: number): SimConfig {
  const symbols = benchSymbols(MAX_BENCH_SYMBOLS);
  const widen = (markets: MarketConfig[], minNotional: number, minQtyOf: (m: MarketConfig) => number) => {
    const byLegacy = new Map(markets.map((m) => [m.symbol, m]));
    return symbols.map((symbol) => {
      const market = byLegacy.get(symbol) ?? syntheticMarket(symbol, minNotional);
      return { ...market, minQty: minQtyOf(market), topOfBookQty: Math.max(market.topOfBookQty, 1_000) };
    });
  };
  const binance = defaultBinanceConfig();
  const okx = defaultOkxConfig();
  const rich = (balances: Record<string, number>) => ({ ...balances, USDT: BENCH_USDT });
  return {
    binance: {
      ...binance,
      markets: widen(binance.markets, 5, (m) => m.minQty),
      accounts: binance.accounts.map((a) => ({ ...a, balances: rich(a.balances) })),
      priceStepIntervalMs: stepMs,
    },
    okx: {
      ...okx,
      // OKX has no min notional on spot; its min size is ten lot steps (as in the simulator's defaults).
      markets: widen(okx.markets, 0, (m) => m.stepSize * 10),
      accounts: okx.accounts.map((a) => ({ ...a, balances: rich(a.balances) })),
      priceStepIntervalMs: stepMs,
    },
  };
}

/** Points per cycle: 8 rising, 1 dip, 1 jump. */
export const CYCLE_POINTS = 10;
const RISE_POINTS = 8;
/** Each cycle starts 0.5 % above the last: every open position reaches take profit on a later cycle at the latest. */
const CYCLE_GAIN = 1.005;

/**
 * One symbol's path. Per cycle with base B: eight mids rising 0.01 % a step with a 0.2 % spread (momentum up, spread
 * wide enough for every latency band: an entry at the mid), a dip with the ask at B (fills any entry of this cycle as
 * maker; bid 0.05 % under, far from the 0.2 % stop loss; the spread too narrow for an entry), then a jump to
 * B × 1.005 whose bid is 0.4 % above B (take profit for an entry of this cycle). `offset` narrow-spread points first
 * stagger the symbols so their entries do not all fall on the same tick.
 */
export function cyclePath(basePrice: number, cycles: number, offset = 0): PricePoint[] {
  if (!(basePrice > 0)) throw new RangeError(`cyclePath: basePrice must be positive, got ${basePrice}`);
  if (!Number.isInteger(cycles) || cycles < 1) throw new RangeError(`cyclePath: cycles must be >= 1, got ${cycles}`);
  const points: PricePoint[] = [];
  for (let i = 0; i < offset; i++) points.push({ mid: basePrice, spread: basePrice * 0.0002 });
  let base = basePrice;
  for (let cycle = 0; cycle < cycles; cycle++) {
    for (let j = 0; j < RISE_POINTS; j++) points.push({ mid: base * (1 + 0.0001 * j), spread: base * 0.002 });
    points.push({ bid: base * 0.9995, ask: base });
    points.push({ mid: base * CYCLE_GAIN, spread: base * 0.002 });
    base *= CYCLE_GAIN;
  }
  return points;
}

/** Cycles needed to cover `durationMs` of price steps every `stepMs`, plus slack for the burst's start-up. */
export function cyclesFor(durationMs: number, stepMs: number): number {
  return Math.ceil(durationMs / stepMs / CYCLE_POINTS) + 3;
}

/** A bench function process's env: the stack's, the database behind `supabaseUrl` (the proxy), the simulator's keys. */
export function benchFunctionEnv(
  functionEnv: Record<string, string>,
  sim: Simulator,
  supabaseUrl: string,
): Record<string, string> {
  return {
    ...functionEnv,
    SUPABASE_URL: supabaseUrl,
    BINANCE_API_KEY: sim.binance.apiKey,
    BINANCE_API_SECRET: sim.binance.secret,
    BINANCE_BASE_URL: sim.binance.baseUrl,
    OKX_API_KEY: sim.okx.apiKey,
    OKX_API_SECRET: sim.okx.secret,
    OKX_PASSPHRASE: sim.okx.passphrase,
    OKX_BASE_URL: sim.okx.baseUrl,
    EXCHANGE_TIMEOUT_MS: "5000",
  };
}

/** The shipped schedule's trade-burst body (20261128002100_function_schedules.sql): 45 s bursts, one a minute. */
export const SCHEDULED_BURST_MS = 45_000;
