import assert from "node:assert/strict";
import { price, quantity, render } from "../../../../dashboard/terminal/render.ts";
import type { DashboardSnapshot, PositionOrderView } from "../../../../dashboard/terminal/snapshot.ts";
import { age, signed, table } from "../../../../dashboard/terminal/format.ts";

const NOW = new Date("2026-03-04T12:00:00Z");

function positionOrder(
  positionId: string,
  symbol: string,
  purpose: string,
  status: string,
  fields: Partial<PositionOrderView>,
): PositionOrderView {
  return {
    position_id: positionId,
    symbol,
    purpose,
    order_status: status,
    type: "limit",
    price: null,
    trigger_price: null,
    amount: 0,
    filled: 0,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    fee_rate_used: null,
    created_at: "2026-03-04T11:55:00+00:00",
    ...fields,
  };
}

function snapshot(): DashboardSnapshot {
  return {
    takenAt: NOW.toISOString(),
    settings: {
      mode: "paper",
      trading_enabled: true,
      live_trading_enabled: false,
      max_trades_per_day: 250,
      max_daily_loss_usd: 50,
      max_open_positions: 4,
      max_order_usd: 600,
    },
    venues: [
      {
        exchange_name: "binance",
        is_active: true,
        balance_usdt: 10012.5,
        balance_usdt_free: 9412.5,
        balance_status: "ok",
        balance_source: "paper",
        last_balance_update: "2026-03-04T11:59:15+00:00",
        last_balance_attempt: "2026-03-04T11:59:15+00:00",
        last_error: null,
        latency_last_ms: 31.6,
        latency_avg_ms: 35.2,
        latency_max_ms: 88,
        latency_band: "aggressive",
        latency_updated_at: "2026-03-04T11:59:50+00:00",
      },
      {
        exchange_name: "okx",
        is_active: true,
        balance_usdt: 5000,
        balance_usdt_free: 5000,
        balance_status: "stale",
        balance_source: "exchange",
        last_balance_update: "2026-03-04T09:00:00+00:00",
        last_balance_attempt: "2026-03-04T11:58:00+00:00",
        last_error: "RequestTimeout: okx GET /api/v5/account/balance timed out",
        latency_last_ms: 120,
        latency_avg_ms: 96.4,
        latency_max_ms: 400,
        latency_band: "defensive",
        latency_updated_at: "2026-03-04T11:59:40+00:00",
      },
    ],
    daily: { since: "2026-03-04T00:00:00.000Z", entries: 3, realizedPnl: -1.234 },
    openPositions: [
      {
        id: "0b8f2a52-6a8e-4c57-9d0f-1f2b3c4d5e6f",
        venue: "okx",
        symbol: "ETH/USDT",
        status: "open",
        mode: "paper",
        entry_qty: 0.15,
        entry_avg_px: 3010.25,
        opened_at: "2026-03-04T11:58:30+00:00",
      },
      {
        id: "7d1c0e11-2b3a-4c5d-8e9f-0a1b2c3d4e5f",
        venue: "binance",
        symbol: "BTC/USDT",
        status: "open",
        mode: "paper",
        entry_qty: 0.01,
        entry_avg_px: 60000,
        opened_at: "2026-03-04T11:55:00+00:00",
      },
    ],
    quotes: [
      // 30 s old: current.
      {
        venue: "okx",
        mode: "paper",
        symbol: "ETH/USDT",
        bid: 3020.5,
        ask: 3021,
        ts: "2026-03-04T11:59:30+00:00",
        source: "poll",
      },
      // The testnet book is not the paper one: never used for a paper position.
      {
        venue: "binance",
        mode: "testnet",
        symbol: "BTC/USDT",
        bid: 1,
        ask: 2,
        ts: "2026-03-04T11:59:59+00:00",
        source: "poll",
      },
      // 10 min old: stale.
      {
        venue: "binance",
        mode: "paper",
        symbol: "BTC/USDT",
        bid: 60050,
        ask: 60051,
        ts: "2026-03-04T11:50:00+00:00",
        source: "stream",
      },
    ],
    positionOrders: [
      positionOrder("0b8f2a52-6a8e-4c57-9d0f-1f2b3c4d5e6f", "ETH/USDT", "entry", "filled", {
        price: 3010.25,
        amount: 0.15,
        filled: 0.15,
        average: 3010.25,
        cost: 451.5375,
        fee_cost: 0.36123,
        fee_currency: "USDT",
      }),
      positionOrder("7d1c0e11-2b3a-4c5d-8e9f-0a1b2c3d4e5f", "BTC/USDT", "entry", "filled", {
        price: 60000,
        amount: 0.01,
        filled: 0.01,
        average: 60000,
        cost: 600,
        fee_cost: 0.00001,
        fee_currency: "BTC",
      }),
      positionOrder("7d1c0e11-2b3a-4c5d-8e9f-0a1b2c3d4e5f", "BTC/USDT", "take_profit", "open", {
        price: 60120,
        amount: 0.00999,
      }),
      positionOrder("7d1c0e11-2b3a-4c5d-8e9f-0a1b2c3d4e5f", "BTC/USDT", "stop_loss", "open", {
        type: "stop",
        price: 59580,
        trigger_price: 59880,
        amount: 0.00999,
      }),
    ],
    recentTrades: [
      {
        ts: "2026-03-04T11:55:00+00:00",
        venue: "binance",
        symbol: "BTC/USDT",
        side: "long",
        size_usd: 600,
        entry_px: 60000,
        exit_px: 59950,
        pnl: -1.234,
        dur_seconds: 42.5,
        order_id: "BN-1001",
        order_status: "filled",
        fees_usd: 0.7345,
        position: { exit_reason: "stop_loss" },
      },
    ],
    pendingOrders: [
      {
        client_order_id: "lsx-okx-entry-abc123",
        exchange_order_id: "OKX-77",
        venue: "okx",
        symbol: "SOL/USDT",
        side: "buy",
        type: "limit",
        price: 142.5,
        amount: 3.5,
        filled: 1.25,
        order_status: "partially_filled",
        purpose: "entry",
        created_at: "2026-03-04T11:59:30+00:00",
        last_error: null,
      },
      {
        client_order_id: "lsx-bn-exit-zzz999",
        exchange_order_id: null,
        venue: "binance",
        symbol: "BTC/USDT",
        side: "sell",
        type: "market",
        price: null,
        amount: 0.01,
        filled: 0,
        order_status: "unknown",
        purpose: "exit",
        created_at: "2026-03-04T11:50:00+00:00",
        last_error: "NetworkError: socket hang up",
      },
    ],
    recentRuns: [
      {
        function_name: "trade-burst",
        venue: "okx",
        started_at: "2026-03-04T11:59:00+00:00",
        finished_at: null,
        outcome: "running",
        duration_ms: null,
        error: null,
      },
      {
        function_name: "balance-sync",
        venue: null,
        started_at: "2026-03-04T11:58:00+00:00",
        finished_at: "2026-03-04T11:58:02+00:00",
        outcome: "error",
        duration_ms: 2034,
        error: "okx: RequestTimeout",
      },
    ],
  };
}

/** The cells of the one line that starts with `first` (columns are separated by two or more spaces). */
function row(text: string, first: RegExp): string[] {
  const lines = text.split("\n").filter((line) => first.test(line.trimStart()));
  assert.equal(lines.length, 1, `exactly one line matches ${first}: ${JSON.stringify(lines)}`);
  return lines[0].trim().split(/\s{2,}/);
}

Deno.test("dashboard render shows every section of a fixed snapshot", async (t) => {
  const text = render(snapshot(), NOW);
  if (Deno.env.get("SHOW_DASHBOARD")) console.log(text);

  await t.step("header: time, mode and the trading switch", () => {
    assert.equal(
      text.split("\n")[0],
      "Latency-adaptive scalper — 2026-03-04 12:00:00 UTC | mode paper | trading ON | live opt-in off",
    );
  });
  await t.step("venues: latency last/avg/max, band, balance, freshness and last error", () => {
    assert.deepEqual(row(text, /^VENUE\s+LAST/), [
      "VENUE",
      "LAST",
      "AVG",
      "MAX",
      "BAND",
      "BALANCE USDT",
      "FREE",
      "SOURCE",
      "STATUS",
      "UPDATED",
      "LAST ERROR",
    ]);
    assert.deepEqual(row(text, /^binance /), [
      "binance",
      "32ms",
      "35ms",
      "88ms",
      "aggressive",
      "10012.50",
      "9412.50",
      "paper",
      "ok",
      "45s",
    ]);
    assert.deepEqual(row(text, /^okx /), [
      "okx",
      "120ms",
      "96ms",
      "400ms",
      "defensive",
      "5000.00",
      "5000.00",
      "exchange",
      "STALE",
      "3h",
      "RequestTimeout: okx GET /api/v5/account/balance t…",
    ]);
  });
  await t.step("daily PnL and trades against the limits", () => {
    assert.match(
      text,
      /^Daily PnL: -1\.23 USDT \(max loss 50\.00\) \| Trades: 3\/250 \| Open positions: 2\/4 \| since 2026-03-04 00:00 UTC$/m,
    );
  });
  await t.step("open positions: bid, quote age, unrealized PnL and protection", () => {
    // 0.15 × 3020.50 less a 0.1 % taker exit fee, less the 451.5375 entry and its 0.36123 fee: +0.72. Protection is
    // on and OKX holds it too, so a position without its legs is missing on the venue (and needs a look).
    assert.deepEqual(row(text, /^90s ago\s+okx\s+ETH/), [
      "90s ago",
      "okx",
      "ETH/USDT",
      "open",
      "0.15",
      "3010.25",
      "3020.50",
      "30s",
      "+0.72",
      "MISSING on the venue",
      "paper",
    ]);
    // The stale paper quote, not the fresh testnet one; its PnL is not shown as current.
    assert.deepEqual(row(text, /^5m ago\s+binance\s+BTC/), [
      "5m ago",
      "binance",
      "BTC/USDT",
      "open",
      "0.01",
      "60000.00",
      "60050.00",
      "10m STALE",
      "(stale)",
      "protected TP 60120.00 / stop 59880.00",
      "paper",
    ]);
    assert.match(
      text,
      /^ {2}UPNL: the position sold at the bid now, net of the entry fees paid and an estimated exit/m,
    );
  });
  await t.step("recent trades with the order id, its status and the exit reason", () => {
    assert.deepEqual(row(text, /^11:55:00 /), [
      "11:55:00",
      "binance",
      "BTC/USDT",
      "long",
      "600.00",
      "60000.00",
      "59950.00",
      "-1.23",
      "0.7345",
      "42.5",
      "BN-1001",
      "filled",
      "stop_loss",
    ]);
  });
  await t.step("pending orders, with ids on both sides", () => {
    assert.deepEqual(row(text, /^30s ago\s+okx/), [
      "30s ago",
      "okx",
      "SOL/USDT",
      "buy",
      "limit",
      "entry",
      "142.50",
      "3.5",
      "1.25",
      "partially_filled",
      "lsx-okx-entry-abc123",
      "OKX-77",
    ]);
    assert.deepEqual(row(text, /^10m ago\s+binance/), [
      "10m ago",
      "binance",
      "BTC/USDT",
      "sell",
      "market",
      "exit",
      "-",
      "0.01",
      "0",
      "unknown",
      "lsx-bn-exit-zzz999",
      "-",
      "NetworkError: socket hang up",
    ]);
  });
  await t.step("function runs with outcomes and errors", () => {
    assert.deepEqual(row(text, /^11:59:00 \(60s ago\)/), ["11:59:00 (60s ago)", "trade-burst", "okx", "running…", "-"]);
    assert.deepEqual(row(text, /^11:58:00 \(2m ago\)/), [
      "11:58:00 (2m ago)",
      "balance-sync",
      "all",
      "error",
      "2034ms",
      "okx: RequestTimeout",
    ]);
  });
  await t.step("attention lists what needs a look: stale balance, unknown order, failed run", () => {
    const notes = text.split("\n").filter((line) => line.startsWith("  ! "));
    assert.deepEqual(notes, [
      "  ! okx balance STALE (last good sync 3h ago): RequestTimeout: okx GET /api/v5/account/balance timed out",
      "  ! okx ETH/USDT: MISSING on the venue (the next burst of okx repairs it)",
      "  ! binance BTC/USDT: quote is 10m old (stale): is trade-burst running?",
      "  ! order lsx-bn-exit-zzz999 on binance has status UNKNOWN: waiting for reconciliation",
      "  ! balance-sync error 2m ago: okx: RequestTimeout",
    ]);
  });
});

Deno.test("dashboard render on empty tables says so instead of printing nothing", () => {
  const empty: DashboardSnapshot = {
    ...snapshot(),
    openPositions: [],
    recentTrades: [],
    pendingOrders: [],
    recentRuns: [],
    daily: { since: "2026-03-04T00:00:00.000Z", entries: 0, realizedPnl: 0 },
    venues: snapshot().venues.map((venue) => ({ ...venue, balance_status: "ok" as const, last_error: null })),
  };
  empty.venues[1].last_balance_update = "2026-03-04T11:58:00+00:00";
  const text = render(empty, NOW);
  for (const title of ["OPEN POSITIONS", "RECENT TRADES", "PENDING ORDERS", "FUNCTION RUNS"]) {
    assert.match(text, new RegExp(`^${title}\\n.*\\n  \\(none\\)$`, "m"), title);
  }
  assert.match(text, /^Daily PnL: 0\.00 USDT/m);
  assert.match(text, /^ATTENTION: nothing needs a look$/m);
});

Deno.test("dashboard render calls out limits, a stopped bot, live mode and silent functions", () => {
  const s = snapshot();
  s.settings = { ...s.settings!, trading_enabled: false, mode: "live", live_trading_enabled: false };
  s.daily = { since: s.daily!.since, entries: 250, realizedPnl: -50 };
  s.venues[0].latency_updated_at = "2026-03-04T11:00:00+00:00";
  s.venues[0].last_balance_update = "2026-03-04T11:30:00+00:00";
  s.venues[1] = { ...s.venues[1], balance_status: "unknown", last_balance_update: null, last_error: null };
  s.pendingOrders = [];
  s.recentRuns = [];
  const text = render(s, NOW);
  assert.match(text.split("\n")[0], /mode live \| trading STOPPED \| live opt-in off$/);
  const notes = text.split("\n").filter((line) => line.startsWith("  ! "));
  assert.deepEqual(notes, [
    "  ! trading is stopped (bot_settings.trading_enabled = false): no new entries",
    "  ! live mode selected but bot_settings.live_trading_enabled is false: no live orders",
    "  ! daily loss limit reached (-50.00 <= -50.00)",
    "  ! daily trade cap reached (250/250)",
    "  ! binance balance last updated 30m ago: is balance-sync running?",
    "  ! binance latency last sampled 60m ago: is latency-sample running?",
    "  ! okx balance UNKNOWN (never synced)",
    "  ! okx ETH/USDT: MISSING on the venue (the next burst of okx repairs it)",
    "  ! binance BTC/USDT: quote is 10m old (stale): is trade-burst running?",
  ]);
});

Deno.test("dashboard render: a position without its protection legs, or without a quote, is called out", () => {
  const s = snapshot();
  // The stop was cancelled and not replaced; the take profit still rests.
  s.positionOrders = s.positionOrders!.map((o) => o.purpose === "stop_loss" ? { ...o, order_status: "cancelled" } : o);
  s.quotes = s.quotes!.filter((q) => q.venue !== "okx");
  const text = render(s, NOW);
  assert.equal(row(text, /^5m ago\s+binance\s+BTC/)[9], "stop loss MISSING TP 60120.00");
  assert.deepEqual(row(text, /^90s ago\s+okx\s+ETH/).slice(6, 9), ["no quote", "-", "-"]);
  const notes = text.split("\n").filter((line) => line.startsWith("  ! "));
  assert.ok(
    notes.includes("  ! binance BTC/USDT: stop loss MISSING (the next burst of binance repairs it)"),
    notes.join("\n"),
  );
  assert.ok(notes.includes("  ! okx ETH/USDT: no quote recorded yet, so no current bid or unrealized PnL"));
  // Without any leg on a venue that protects: missing altogether.
  s.positionOrders = s.positionOrders!.filter((o) => o.purpose === "entry");
  assert.equal(row(render(s, NOW), /^5m ago\s+binance\s+BTC/)[9], "MISSING on the venue");
});

Deno.test("dashboard formatting helpers", async (t) => {
  await t.step("prices keep the digits that matter", () => {
    assert.equal(price(60123.456), "60123.46");
    assert.equal(price(1.5), "1.5000");
    assert.equal(price(0.000123456), "0.00012346");
    assert.equal(price(null), "-");
  });
  await t.step("quantities drop trailing zeros", () => {
    assert.equal(quantity(0.15), "0.15");
    assert.equal(quantity(2), "2");
    assert.equal(quantity(0.123456789), "0.12345679");
  });
  await t.step("signed money and ages", () => {
    assert.equal(signed(1.005), "+1.00");
    assert.equal(signed(-0.001), "0.00");
    assert.equal(age("2026-03-04T11:00:00Z", NOW), "60m");
    assert.equal(age("2026-03-01T12:00:00Z", NOW), "3d");
    assert.equal(age(null, NOW), "never");
  });
  await t.step("tables align and clip", () => {
    assert.deepEqual(
      table([{ header: "A" }, { header: "NUM", align: "right" }, { header: "NOTE", max: 5 }], [[
        "xy",
        "1",
        "abcdefgh",
      ]]),
      ["A   NUM  NOTE", "xy    1  abcd…"],
    );
  });
});

Deno.test("dashboard render: the home region of each venue, once one is known (issue 18)", () => {
  const without = render(snapshot(), NOW);
  assert.ok(!without.includes("HOME REGION"), "no section before any home region exists");
  const text = render({
    ...snapshot(),
    homeRegions: [
      {
        venue: "binance",
        region: "ap-northeast-1",
        source: "measured",
        median_ms: 6.5,
        samples: 40,
        reason: "best median 6.5 ms",
        chosen_at: "2026-03-04T11:58:00Z",
      },
      {
        venue: "okx",
        region: "ap-southeast-1",
        source: "override",
        median_ms: null,
        samples: 0,
        reason: "set in settings",
        chosen_at: "2026-03-04T11:00:00Z",
      },
    ],
  }, NOW);
  assert.deepEqual(row(text, /^VENUE\s+HOME REGION/), [
    "VENUE",
    "HOME REGION",
    "SOURCE",
    "MEDIAN",
    "SAMPLES",
    "SINCE",
    "WHY",
  ]);
  assert.match(text, /^binance\s+ap-northeast-1\s+measured\s+/m);
  assert.match(text, /^okx\s+ap-southeast-1\s+set in settings\s+/m);
});
