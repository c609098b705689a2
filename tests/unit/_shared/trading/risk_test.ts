import assert from "node:assert/strict";
import { DEFAULT_SETTINGS } from "../../../../supabase/functions/_shared/settings.ts";
import {
  checkEntryRisk,
  type EntryRiskState,
  InvalidRiskStateError,
} from "../../../../supabase/functions/_shared/trading/risk.ts";
import { entrySizeUsd } from "../../../../supabase/functions/_shared/trading/signal.ts";

const calm: EntryRiskState = {
  tradingEnabled: true,
  tradesToday: 0,
  realizedPnlToday: 0,
  openPositions: 0,
  freeQuote: 10_000,
  orderUsd: 600,
};
const check = (overrides: Partial<EntryRiskState>) => checkEntryRisk({ ...calm, ...overrides }, DEFAULT_SETTINGS);

Deno.test("risk gate allows an entry when every limit has room", () => {
  assert.deepEqual(check({}), { allow: true });
});

Deno.test("risk gate refuses an entry for each limit, at its exact threshold", async (t) => {
  await t.step("trading switched off", () => {
    assert.deepEqual(check({ tradingEnabled: false }), { allow: false, reason: "trading_disabled" });
  });

  await t.step("daily trade cap: 249 allowed, 250 refused", () => {
    assert.deepEqual(check({ tradesToday: 249 }), { allow: true });
    assert.deepEqual(check({ tradesToday: 250 }), { allow: false, reason: "daily_trade_cap" });
  });

  await t.step("daily loss limit: -49.99 allowed, -50 refused (legacy <=)", () => {
    assert.deepEqual(check({ realizedPnlToday: -49.99 }), { allow: true });
    assert.deepEqual(check({ realizedPnlToday: -50 }), { allow: false, reason: "daily_loss_limit" });
    assert.deepEqual(check({ realizedPnlToday: -80 }), { allow: false, reason: "daily_loss_limit" });
  });

  await t.step("open positions: 3 allowed, 4 refused", () => {
    assert.deepEqual(check({ openPositions: 3 }), { allow: true });
    assert.deepEqual(check({ openPositions: 4 }), { allow: false, reason: "max_open_positions" });
  });

  await t.step("order size: exactly max_order_usd allowed, above refused", () => {
    assert.deepEqual(check({ orderUsd: 600 }), { allow: true });
    assert.deepEqual(check({ orderUsd: 600.01 }), { allow: false, reason: "order_too_large" });
  });

  await t.step("balance below min_order_balance_usdt, or below the order", () => {
    assert.deepEqual(check({ freeQuote: 9.99, orderUsd: 5 }), { allow: false, reason: "insufficient_balance" });
    assert.deepEqual(check({ freeQuote: 10, orderUsd: 5 }), { allow: true });
    assert.deepEqual(check({ freeQuote: 100, orderUsd: 150 }), { allow: false, reason: "insufficient_balance" });
  });
});

Deno.test("risk gate reports the first reason in a fixed order", () => {
  const everythingWrong: Partial<EntryRiskState> = {
    tradingEnabled: false,
    tradesToday: 999,
    realizedPnlToday: -999,
    openPositions: 99,
    freeQuote: 0,
    orderUsd: 10_000,
  };
  assert.deepEqual(check(everythingWrong), { allow: false, reason: "trading_disabled" });
  assert.deepEqual(check({ ...everythingWrong, tradingEnabled: true }), { allow: false, reason: "daily_trade_cap" });
  assert.deepEqual(check({ ...everythingWrong, tradingEnabled: true, tradesToday: 0 }), {
    allow: false,
    reason: "daily_loss_limit",
  });
});

Deno.test("sizing clamps to max_order_usd, so a sized entry never trips order_too_large", () => {
  const settings = { ...DEFAULT_SETTINGS, max_order_usd: 123.45 };
  const band = DEFAULT_SETTINGS.latency_bands[0];
  const orderUsd = entrySizeUsd(band, settings, { dailyPnl: 0, freeQuote: 10_000 });
  assert.equal(orderUsd, 123.45);
  assert.deepEqual(checkEntryRisk({ ...calm, orderUsd }, settings), { allow: true });
});

Deno.test("risk gate throws on a state that is not numbers (a caller bug, not a refusal)", () => {
  for (const [field, value] of [["tradesToday", NaN], ["freeQuote", Infinity], ["orderUsd", 0], ["orderUsd", -5]]) {
    assert.throws(
      () => check({ [field]: value }),
      (error: unknown) => error instanceof InvalidRiskStateError && error.field === field,
      `${field}=${value}`,
    );
  }
});

Deno.test("max_open_positions counts every venue; max_open_positions_per_venue, when set, limits one venue", () => {
  const settings = { ...DEFAULT_SETTINGS, max_open_positions: 4, max_open_positions_per_venue: 2 };
  const gate = (openPositions: number, openPositionsVenue: number) =>
    checkEntryRisk({ ...calm, openPositions, openPositionsVenue }, settings);
  assert.deepEqual(gate(3, 1), { allow: true });
  assert.deepEqual(gate(4, 0), { allow: false, reason: "max_open_positions" }, "global, whatever this venue holds");
  assert.deepEqual(gate(2, 2), { allow: false, reason: "max_open_positions_per_venue" });
  assert.deepEqual(checkEntryRisk({ ...calm, openPositions: 3, openPositionsVenue: 3 }, DEFAULT_SETTINGS), {
    allow: true,
  }, "no per-venue limit by default");
});
