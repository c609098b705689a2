import assert from "node:assert/strict";
import {
  DEFAULT_SETTINGS,
  InvalidSettingsError,
  parseSettings,
  type Settings,
} from "../../../supabase/functions/_shared/settings.ts";

/** A row as PostgREST would return it: the defaults plus a real timestamp. */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...structuredClone(DEFAULT_SETTINGS),
    updated_at: "2024-05-01T12:00:00.123456+00:00",
    ...overrides,
  };
}

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InvalidSettingsError, `expected InvalidSettingsError, got ${error}`);
    return error.issues.map((i) => i.field);
  }
  assert.fail("expected parseSettings to throw");
}

Deno.test("DEFAULT_SETTINGS carries the legacy bot's constants", () => {
  assert.equal(DEFAULT_SETTINGS.mode, "paper");
  assert.equal(DEFAULT_SETTINGS.trading_enabled, true);
  assert.equal(DEFAULT_SETTINGS.live_trading_enabled, false);
  assert.deepEqual(DEFAULT_SETTINGS.symbols, ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"]);
  assert.deepEqual(
    DEFAULT_SETTINGS.latency_bands.map((b) => [b.name, b.max_ms, b.min_spread_pct, b.size_usd, b.throttle]),
    [
      ["aggressive", 40, 0.03, 600, 1.0],
      ["normal", 70, 0.05, 550, 0.9],
      ["cautious", 85, 0.07, 500, 0.7],
      ["defensive", null, 0.10, 350, 0.5],
    ],
  );
  const scalars: Partial<Settings> = {
    latency_window: 200,
    latency_failure_ratio_defensive: 0.5,
    latency_samples_per_call: 5,
    latency_sample_spacing_ms: 200,
    max_trades_per_day: 250,
    max_daily_loss_usd: 50,
    max_open_positions: 4,
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
    time_stop_seconds: 180,
    entry_timeout_seconds: 15,
    burst_tick_ms: 1000,
    paper_starting_usdt: 10000,
    balance_snapshot_minutes: 60,
    latency_retention_days: 7,
    run_log_retention_days: 14,
  };
  for (const [key, value] of Object.entries(scalars)) {
    assert.equal(DEFAULT_SETTINGS[key as keyof Settings], value, key);
  }
});

Deno.test("DEFAULT_SETTINGS is frozen, bands included, so no caller can change the defaults for everyone", () => {
  assert.ok(Object.isFrozen(DEFAULT_SETTINGS));
  assert.ok(Object.isFrozen(DEFAULT_SETTINGS.latency_bands[0]));
  assert.throws(() => (DEFAULT_SETTINGS.symbols as string[]).push("X/Y"), TypeError);
});

Deno.test("parseSettings accepts a PostgREST row", async (t) => {
  await t.step("the defaults with a timestamp parse to themselves", () => {
    const parsed = parseSettings(row());
    assert.deepEqual({ ...parsed, updated_at: null }, { ...DEFAULT_SETTINGS });
  });

  await t.step("numeric columns given as numeric strings become numbers", () => {
    const parsed = parseSettings(row({
      max_daily_loss_usd: "50.00",
      balance_use_fraction: "0.95",
      momentum_min_pct: "1e-2",
      latency_window: "200",
      latency_bands: DEFAULT_SETTINGS.latency_bands.map((b) => ({
        ...b,
        min_spread_pct: String(b.min_spread_pct),
        max_ms: b.max_ms === null ? null : String(b.max_ms),
      })),
    }));
    assert.equal(parsed.max_daily_loss_usd, 50);
    assert.equal(parsed.balance_use_fraction, 0.95);
    assert.equal(parsed.momentum_min_pct, 0.01);
    assert.equal(parsed.latency_window, 200);
    assert.equal(parsed.latency_bands[0].min_spread_pct, 0.03);
    assert.equal(parsed.latency_bands[0].max_ms, 40);
  });

  await t.step("unknown extra columns are dropped, not fatal (the table may grow)", () => {
    const parsed = parseSettings(row({ created_at: "2024-01-01T00:00:00Z" }));
    assert.equal("created_at" in parsed, false);
  });
});

Deno.test("parseSettings refuses bad columns and names each one", async (t) => {
  await t.step("empty strings and null do not sneak in as 0", () => {
    assert.deepEqual(fieldsOf(() => parseSettings(row({ max_order_usd: "", max_daily_loss_usd: null }))).sort(), [
      "max_daily_loss_usd",
      "max_order_usd",
    ]);
  });

  await t.step("non-numeric text, wrong types and out-of-range values", () => {
    const fields = fieldsOf(() =>
      parseSettings(row({
        id: 2,
        mode: "yolo",
        trading_enabled: "true",
        latency_window: 2.5,
        balance_use_fraction: 1.5,
        momentum_min_pct: "abc",
        stop_loss_pct: 100,
      }))
    );
    assert.deepEqual(fields.sort(), [
      "balance_use_fraction",
      "id",
      "latency_window",
      "mode",
      "momentum_min_pct",
      "stop_loss_pct",
      "trading_enabled",
    ]);
  });

  await t.step("a missing column is named", () => {
    const incomplete = row();
    delete incomplete.take_profit_pct;
    assert.deepEqual(fieldsOf(() => parseSettings(incomplete)), ["take_profit_pct"]);
  });

  await t.step("a bad band field is named with its index", () => {
    const bands = structuredClone(DEFAULT_SETTINGS.latency_bands) as unknown as Record<string, unknown>[];
    bands[1].throttle = 0;
    bands[2].name = "reckless";
    assert.deepEqual(fieldsOf(() => parseSettings(row({ latency_bands: bands }))).sort(), [
      "latency_bands[1].throttle",
      "latency_bands[2].name",
    ]);
  });

  await t.step("symbols must be BASE/QUOTE and the list 1..50 long", () => {
    assert.deepEqual(fieldsOf(() => parseSettings(row({ symbols: ["BTC/USDT", "btcusdt"] }))), ["symbols[1]"]);
    assert.deepEqual(fieldsOf(() => parseSettings(row({ symbols: [] }))), ["symbols"]);
    const many = Array.from({ length: 51 }, (_, i) => `C${i}/USDT`);
    assert.deepEqual(fieldsOf(() => parseSettings(row({ symbols: many }))), ["symbols"]);
  });

  await t.step("a bad timestamp is named", () => {
    assert.deepEqual(fieldsOf(() => parseSettings(row({ updated_at: "yesterday" }))), ["updated_at"]);
  });

  await t.step("a non-object row is refused", () => {
    assert.throws(() => parseSettings(null), InvalidSettingsError);
    assert.throws(() => parseSettings([row()]), InvalidSettingsError);
  });
});

Deno.test("parseSettings cross-checks columns and says how to fix them", async (t) => {
  const bands = () => structuredClone(DEFAULT_SETTINGS.latency_bands) as unknown as Record<string, unknown>[];

  await t.step("duplicate symbols", () => {
    assert.throws(
      () => parseSettings(row({ symbols: ["BTC/USDT", "ETH/USDT", "BTC/USDT"] })),
      (error: unknown) =>
        error instanceof InvalidSettingsError && error.issues[0].field === "symbols[2]" &&
        /listed twice/.test(error.message),
    );
  });

  await t.step("bands not sorted by max_ms", () => {
    const b = bands();
    b[1].max_ms = 30;
    assert.throws(
      () => parseSettings(row({ latency_bands: b })),
      (error: unknown) =>
        error instanceof InvalidSettingsError && error.issues[0].field === "latency_bands[1].max_ms" &&
        /sorted by max_ms ascending/.test(error.message),
    );
  });

  await t.step("equal max_ms on neighbours is unsorted too", () => {
    const b = bands();
    b[2].max_ms = 70;
    assert.deepEqual(fieldsOf(() => parseSettings(row({ latency_bands: b }))), ["latency_bands[2].max_ms"]);
  });

  await t.step("last band with a limit, and a null limit before the end", () => {
    const b = bands();
    b[3].max_ms = 9999;
    b[1].max_ms = null;
    assert.throws(
      () => parseSettings(row({ latency_bands: b })),
      (error: unknown) =>
        error instanceof InvalidSettingsError &&
        error.issues.some((i) => i.field === "latency_bands[3].max_ms" && /must have max_ms null/.test(i.message)) &&
        error.issues.some((i) => i.field === "latency_bands[1].max_ms" && /only the last band/.test(i.message)),
    );
  });

  await t.step("a band name used twice", () => {
    const b = bands();
    b[1].name = "aggressive";
    assert.deepEqual(fieldsOf(() => parseSettings(row({ latency_bands: b }))), ["latency_bands[1].name"]);
  });

  await t.step("a single catch-all band is allowed", () => {
    const b = bands().slice(3);
    assert.equal(parseSettings(row({ latency_bands: b })).latency_bands.length, 1);
  });

  await t.step("momentum_min_samples above momentum_window", () => {
    assert.throws(
      () => parseSettings(row({ momentum_window: 4, momentum_min_samples: 5 })),
      (error: unknown) =>
        error instanceof InvalidSettingsError && error.issues[0].field === "momentum_min_samples" &&
        /must be <= momentum_window \(4\)/.test(error.message),
    );
    assert.equal(parseSettings(row({ momentum_window: 5, momentum_min_samples: 5 })).momentum_min_samples, 5);
  });
});

Deno.test("market_data is stream or poll (default stream); anything else names the field", () => {
  assert.equal(DEFAULT_SETTINGS.market_data, "stream");
  assert.equal(parseSettings(row({ market_data: "poll" })).market_data, "poll");
  assert.deepEqual(fieldsOf(() => parseSettings(row({ market_data: "websocket" }))), ["market_data"]);
});

Deno.test("book_updates is conflated or every_change (default conflated); anything else names the field", () => {
  assert.equal(DEFAULT_SETTINGS.book_updates, "conflated");
  assert.equal(parseSettings(row({ book_updates: "every_change" })).book_updates, "every_change");
  assert.deepEqual(fieldsOf(() => parseSettings(row({ book_updates: "sometimes" }))), ["book_updates"]);
  assert.deepEqual(fieldsOf(() => parseSettings(row({ book_updates: undefined }))), ["book_updates"]);
});
