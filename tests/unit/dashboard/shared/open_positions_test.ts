import assert from "node:assert/strict";
import {
  exitFeeRate,
  markPosition,
  type PositionOrderLike,
  protectionLabel,
  protectionView,
  quoteMark,
  STALE_QUOTE_MS,
  unrealizedPnl,
} from "../../../../dashboard/shared/open_positions.ts";

const NOW = new Date("2026-12-02T12:00:00Z");
const position = {
  id: "p1",
  venue: "binance",
  mode: "paper",
  symbol: "ETH/USDT",
  status: "open",
  opened_at: "2026-12-02T11:58:00Z",
};

function order(overrides: Partial<PositionOrderLike>): PositionOrderLike {
  return {
    position_id: "p1",
    symbol: "ETH/USDT",
    purpose: "entry",
    order_status: "filled",
    type: "limit",
    price: 3000,
    trigger_price: null,
    amount: 0.2,
    filled: 0.2,
    average: 3000,
    cost: 600,
    fee_cost: 0.6,
    fee_currency: "USDT",
    fee_rate_used: null,
    created_at: "2026-12-02T11:58:00Z",
    ...overrides,
  };
}

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

Deno.test("unrealized PnL: held coins at the bid, less the entry outlay, the entry fee and a taker exit fee", () => {
  const u = unrealizedPnl(position, [order({})], 3030)!;
  // 0.2 × 3030 = 606; exit fee 0.1 % = 0.606; entry 600 + 0.6 fee.
  near(u.exitFeeEstimate, 0.606);
  near(u.pnl, 606 - 0.606 - 600 - 0.6);
  near(u.heldQty, 0.2);
  near(u.feesPaid, 0.6);
  assert.equal(u.exitFeeRate, 0.001);
});

Deno.test("unrealized PnL: a base-asset entry fee is coins that never arrived; a partial sale is counted", () => {
  const entry = order({ fee_cost: 0.0002, fee_currency: "ETH" });
  const held = 0.2 - 0.0002;
  near(unrealizedPnl(position, [entry], 3030)!.pnl, held * 3030 * (1 - 0.001) - 600);
  const sold = order({
    purpose: "take_profit",
    side: "sell",
    filled: 0.1,
    average: 3010,
    cost: 301,
    fee_cost: 0.301,
    fee_currency: "USDT",
  } as Partial<PositionOrderLike>);
  const u = unrealizedPnl(position, [entry, sold], 3030)!;
  near(u.heldQty, held - 0.1);
  near(u.pnl, 301 - 0.301 + (held - 0.1) * 3030 * (1 - 0.001) - 600);
  assert.equal(unrealizedPnl(position, [order({ filled: 0, average: null, cost: 0, fee_cost: null })], 3030), null);
});

Deno.test("the exit fee rate is the venue's base-tier taker rate", () => {
  assert.equal(exitFeeRate("binance"), 0.001);
  assert.equal(exitFeeRate("okx"), 0.001);
  assert.equal(exitFeeRate("kraken"), 0.001, "an unknown venue: the highest known rate");
});

Deno.test("a quote is matched by venue, mode and symbol, and is stale after two minutes", () => {
  const quotes = [
    { venue: "binance", mode: "testnet", symbol: "ETH/USDT", bid: 1, ask: 2, ts: NOW.toISOString(), source: "poll" },
    {
      venue: "binance",
      mode: "paper",
      symbol: "ETH/USDT",
      bid: 3030,
      ask: 3031,
      ts: new Date(NOW.getTime() - 30_000).toISOString(),
      source: "stream",
    },
  ];
  const fresh = quoteMark(position, quotes, NOW)!;
  assert.deepEqual([fresh.bid, fresh.ageMs, fresh.stale, fresh.source], [3030, 30_000, false, "stream"]);
  const later = new Date(NOW.getTime() + STALE_QUOTE_MS);
  assert.equal(quoteMark(position, quotes, later)!.stale, true);
  assert.equal(quoteMark({ ...position, symbol: "BTC/USDT" }, quotes, NOW), null);
  const marked = markPosition(position, { orders: [order({})], quotes, exitProtection: true, now: NOW });
  assert.equal(marked.ageSeconds, 120);
  near(marked.unrealized!.pnl, 606 - 0.606 - 600.6);
});

Deno.test("protection: both legs open, one partly filled, one missing, none, bot-managed", async (t) => {
  const tp = order({ purpose: "take_profit", order_status: "open", price: 3006, filled: 0, cost: 0, fee_cost: null });
  const sl = order({
    purpose: "stop_loss",
    type: "stop",
    order_status: "open",
    price: 2980,
    trigger_price: 2994,
    filled: 0,
    cost: 0,
    fee_cost: null,
  });
  await t.step("protected", () => {
    const view = protectionView(position, [order({}), tp, sl], true);
    assert.equal(view.state, "protected");
    assert.deepEqual(view.takeProfit, { price: 3006, state: "open" });
    assert.deepEqual(view.stopLoss, { trigger: 2994, limit: 2980, state: "open" });
  });
  await t.step("partly filled", () => {
    const view = protectionView(position, [tp, { ...sl, order_status: "partially_filled", filled: 0.05 }], true);
    assert.equal(view.state, "partly_filled");
    assert.equal(view.stopLoss.state, "partly_filled");
  });
  await t.step("a cancelled leg is missing", () => {
    const view = protectionView(position, [tp, { ...sl, order_status: "cancelled" }], true);
    assert.equal(view.state, "incomplete");
    assert.equal(protectionLabel(view), "stop loss MISSING");
  });
  await t.step("none on a venue that holds protection", () => {
    assert.equal(protectionView(position, [order({})], true).state, "missing");
    assert.equal(protectionView(position, [order({})], false).state, "bot_managed");
    // OKX holds protection too (one oco algo): without legs it is missing there as well.
    assert.equal(protectionView({ ...position, venue: "okx" }, [order({})], true).state, "missing");
    assert.equal(protectionView({ ...position, status: "closing" }, [order({})], true).state, "closing");
  });
  await t.step("a leg being sent", () => {
    assert.equal(protectionView(position, [tp, { ...sl, order_status: "pending_submit" }], true).state, "placing");
  });
});
