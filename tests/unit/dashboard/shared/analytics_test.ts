import assert from "node:assert/strict";
import {
  attentionItems,
  type ClosedTrade,
  cronPunctuality,
  cumulativePnl,
  dailyPnl,
  performanceBySymbol,
  riskToday,
} from "../../../../dashboard/shared/analytics.ts";

const trade = (ts: string, symbol: string, pnl: number, fees = 1, venue = "binance"): ClosedTrade => ({
  ts,
  venue,
  symbol,
  pnl,
  fees_usd: fees,
});

const TRADES = [
  trade("2026-12-01T10:00:05Z", "ETH/USDT", -0.5),
  trade("2026-11-30T23:59:59Z", "BTC/USDT", 2),
  trade("2026-12-01T10:00:05.900Z", "BTC/USDT", 1),
  trade("2026-12-01T11:00:00Z", "ETH/USDT", 0.25, 0.5, "okx"),
];

Deno.test("cumulative PnL in time order, one point per second; daily bars per UTC day", () => {
  assert.deepEqual(cumulativePnl(TRADES), [
    { time: Date.parse("2026-11-30T23:59:59Z") / 1000, value: 2 },
    { time: Date.parse("2026-12-01T10:00:05Z") / 1000, value: 2.5 },
    { time: Date.parse("2026-12-01T11:00:00Z") / 1000, value: 2.75 },
  ]);
  assert.deepEqual(dailyPnl(TRADES), [
    { time: Date.parse("2026-11-30T00:00:00Z") / 1000, value: 2 },
    { time: Date.parse("2026-12-01T00:00:00Z") / 1000, value: 0.75 },
  ]);
  assert.deepEqual(cumulativePnl([]), []);
});

Deno.test("performance per venue and symbol: trades, win rate, PnL, fees; best first", () => {
  assert.deepEqual(performanceBySymbol(TRADES), [
    { venue: "binance", symbol: "BTC/USDT", trades: 2, wins: 2, winRate: 1, pnl: 3, fees: 2 },
    { venue: "okx", symbol: "ETH/USDT", trades: 1, wins: 1, winRate: 1, pnl: 0.25, fees: 0.5 },
    { venue: "binance", symbol: "ETH/USDT", trades: 1, wins: 0, winRate: 0, pnl: -0.5, fees: 1 },
  ]);
});

Deno.test("risk today: limits reached block entries (open positions per venue); the throttle is the burst's own", () => {
  const limits = {
    max_trades_per_day: 10,
    max_daily_loss_usd: 50,
    max_open_positions: 2,
    drawdown_throttle_floor: 0.4,
    drawdown_throttle_slope: 0.6,
  };
  const calm = riskToday({ entries: 3, realizedPnl: 4 }, new Map([["okx", 1], ["binance", 0]]), limits);
  assert.equal(calm.throttle, 1);
  assert.deepEqual(calm.blocked, []);
  assert.deepEqual(calm.openByVenue, [{ venue: "binance", open: 0 }, { venue: "okx", open: 1 }]);
  const bad = riskToday({ entries: 10, realizedPnl: -25 }, new Map([["okx", 2], ["binance", 1]]), limits);
  assert.equal(bad.throttle, 0.7);
  assert.deepEqual(bad.blocked, ["daily entry cap reached", "open position limit reached on okx"]);
  assert.deepEqual(riskToday({ entries: 0, realizedPnl: -50 }, new Map(), limits).blocked, [
    "daily loss limit reached",
  ]);
});

Deno.test("cron punctuality: due after the last start, late past the grace, never ran, disabled", () => {
  const now = new Date("2026-12-01T12:10:30Z");
  const schedules = [
    { name: "balance-sync", cron: "*/5 * * * *", enabled: true },
    { name: "trade-burst", cron: "* * * * *", enabled: true },
    { name: "latency-sample", cron: "* * * * *", enabled: true },
    { name: "prune-old-rows", cron: "0 3 * * *", enabled: false },
  ];
  const last = new Map([
    ["balance-sync", "2026-12-01T12:05:01Z"],
    ["trade-burst", "2026-12-01T12:07:00Z"],
  ]);
  const states = cronPunctuality(schedules, last, now);
  assert.deepEqual(states.map((s) => [s.name, s.state, s.dueAt]), [
    ["balance-sync", "on_time", "2026-12-01T12:10:00.000Z"],
    ["trade-burst", "late", "2026-12-01T12:08:00.000Z"],
    ["latency-sample", "never_ran", null],
    ["prune-old-rows", "disabled", null],
  ]);
});

Deno.test("what needs a person: live mode, refused keys, failing exits, balance errors and staleness, late jobs", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  const items = attentionItems({
    mode: "live",
    venues: [
      {
        exchange_name: "binance",
        is_active: true,
        balance_status: "ok",
        last_balance_update: "2026-12-01T11:00:00Z",
        last_error: null,
      },
      {
        exchange_name: "okx",
        is_active: true,
        balance_status: "error",
        last_balance_update: null,
        last_error: "AuthenticationError",
      },
      { exchange_name: "off", is_active: false, balance_status: "error", last_balance_update: null, last_error: "x" },
    ],
    failingExits: [
      { position_id: "p1", venue: "okx", symbol: "ETH/USDT", failures: 3, last_error: "InsufficientFunds" },
      { position_id: "p2", venue: "okx", symbol: "BTC/USDT", failures: 1, last_error: null },
    ],
    refusedVenues: [{ venue: "okx", error: "AuthenticationError: invalid key" }],
    lateJobs: [{
      name: "trade-burst",
      cron: "* * * * *",
      enabled: true,
      lastStartedAt: "2026-12-01T11:50:00Z",
      dueAt: "2026-12-01T11:51:00.000Z",
      state: "late",
    }],
    now,
  });
  assert.deepEqual(items.map((i) => `${i.severity}: ${i.text}`), [
    "critical: LIVE mode: orders use real funds",
    "critical: okx refused the API keys or permissions: fix the keys, then start again (AuthenticationError: invalid key)",
    "critical: okx ETH/USDT: exit failed 3 times (InsufficientFunds); the position is still open",
    "warning: binance balance is stale",
    "critical: okx balance error: AuthenticationError",
    "warning: trade-burst is late (due 2026-12-01T11:51:00.000Z)",
  ]);
  assert.deepEqual(
    attentionItems({ mode: "paper", venues: [], failingExits: [], refusedVenues: [], lateJobs: [], now }),
    [],
  );
});
