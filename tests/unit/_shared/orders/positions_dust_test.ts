import assert from "node:assert/strict";
import { advancePosition } from "../../../../supabase/functions/_shared/orders/positions.ts";
import type { OrderRow, PositionRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import type { MarketRules } from "../../../../supabase/functions/_shared/trading/precision.ts";
import { MemoryTradeStore } from "../../../support/memory_store.ts";

/** ETH/USDT-like filters: lot 0.0001, tick 0.01, min notional 5. */
const eth: MarketRules = { amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minCost: 5 };
const NOW = new Date("2026-12-02T12:00:00Z");
const EXIT_AT = "2026-12-02T11:59:58.000Z";

/**
 * A closing ETH position: a buy of 0.2 at 3000 whose fee came in ETH (0.0002), so 0.1998 arrived, and a market sell
 * of 0.1997 at `exitPx` (null: no exit). Dust: 0.1998 − 0.1997 = 0.0001, worth less than the 5 USDT minimum notional.
 */
async function closingPosition(exitPx: number | null) {
  const store = new MemoryTradeStore(() => NOW.getTime());
  const position = await store.insertPosition({
    venue: "binance",
    symbol: "ETH/USDT",
    mode: "paper",
    opened_at: "2026-12-02T11:58:00.000Z",
  });
  const open = await store.updatePosition(position.id, { status: "closing", exit_reason: "take_profit" }, NOW);
  const base = {
    venue: "binance",
    symbol: "ETH/USDT",
    type: "market",
    mode: "paper",
    position_id: position.id,
  } as const;
  const entry = await store.insertOrder(
    { ...base, client_order_id: "e1", side: "buy", type: "limit", price: 3000, amount: 0.2, purpose: "entry" },
    new Date("2026-12-02T11:58:00Z"),
  );
  await store.updateOrder(entry.id, {
    order_status: "filled",
    filled: 0.2,
    remaining: 0,
    average: 3000,
    cost: 600,
    fee_cost: 0.0002,
    fee_currency: "ETH",
    closed_at: "2026-12-02T11:58:01.000Z",
  }, NOW);
  if (exitPx !== null) {
    const exit = await store.insertOrder(
      { ...base, client_order_id: "x1", side: "sell", price: null, amount: 0.1997, purpose: "exit" },
      new Date("2026-12-02T11:59:57Z"),
    );
    await store.updateOrder(exit.id, {
      order_status: "filled",
      filled: 0.1997,
      remaining: 0,
      average: exitPx,
      cost: 0.1997 * exitPx,
      fee_cost: 0.1997 * exitPx * 0.001,
      fee_currency: "USDT",
      closed_at: EXIT_AT,
    }, NOW);
  }
  return { store, position: open as PositionRow, orders: store.orders.map((o) => ({ ...o })) as OrderRow[] };
}

const near = (actual: number | null | undefined, expected: number, what: string) =>
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: ${actual}`);

Deno.test("dust left by a closing position is booked and valued at market, never at cost", async (t) => {
  await t.step("with the burst's bid: valued at the bid, now, source bid", async () => {
    const { store, position, orders } = await closingPosition(3010);
    const result = await advancePosition(store, position, orders, { rules: eth, referencePrice: 3011, now: NOW });
    const p = result.position;
    assert.equal(p.status, "closed");
    near(p.dust_qty, 0.0001, "dust_qty");
    // The dust's share of the 600 USDT outlay: 600 × 0.0001 / 0.1998.
    near(p.dust_cost_usd, 600 * 0.0001 / 0.1998, "dust_cost_usd");
    assert.equal(p.dust_px, 3011);
    assert.equal(p.dust_price_source, "bid");
    assert.equal(p.dust_priced_at, NOW.toISOString());
    near(p.dust_value_usd, 0.3011, "dust_value_usd");
    // The books: the USDT that left and came back is realized PnL minus the dust's cost, to the cent and beyond.
    const usdtMoved = -600 + 0.1997 * 3010 * (1 - 0.001);
    near(usdtMoved, p.realized_pnl! - p.dust_cost_usd!, "USDT moved = realized PnL − dust at cost");
    assert.equal(result.note, undefined, "routine dust needs no note");
  });

  await t.step("without a quote (reconcile): valued at the last exit fill, with that fill's time", async () => {
    const { store, position, orders } = await closingPosition(3010);
    const result = await advancePosition(store, position, orders, { rules: eth, referencePrice: null, now: NOW });
    assert.equal(result.position.dust_px, 3010);
    assert.equal(result.position.dust_price_source, "exit_fill");
    assert.equal(result.position.dust_priced_at, EXIT_AT);
    near(result.position.dust_value_usd, 0.301, "dust_value_usd");
  });

  await t.step("with neither a quote nor an exit fill: booked, unvalued, and said so", async () => {
    // A partial entry below the venue's minimum notional: nothing could be sold, nothing priced it.
    const { store, position, orders } = await closingPosition(null);
    const tiny = orders.map((o) => ({ ...o, filled: 0.001, cost: 3, fee_cost: 0.000001 }));
    const result = await advancePosition(store, position, tiny, { rules: eth, referencePrice: null, now: NOW });
    const p = result.position;
    assert.equal(p.status, "closed");
    near(p.dust_qty, 0.000999, "dust_qty");
    near(p.dust_cost_usd, 3, "the whole outlay stays with the dust");
    assert.equal(p.realized_pnl, 0, "nothing was sold, nothing realized");
    assert.deepEqual([p.dust_px, p.dust_priced_at, p.dust_price_source, p.dust_value_usd], [null, null, null, null]);
    assert.match(result.note ?? "", /unvalued/);
  });

  await t.step("a position that sold everything books zero dust", async () => {
    const { store, position, orders } = await closingPosition(3010);
    const whole = orders.map((o) => o.purpose === "entry" ? { ...o, fee_cost: 0.0003 } : o);
    const result = await advancePosition(store, position, whole, { rules: eth, referencePrice: 3011, now: NOW });
    assert.equal(result.position.dust_qty, 0);
    assert.equal(result.position.dust_cost_usd, 0);
    assert.equal(result.position.dust_px, null);
  });
});
