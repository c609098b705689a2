import assert from "node:assert/strict";
import {
  planProtection,
  protectionCovers,
  refusedProtections,
} from "../../../../supabase/functions/_shared/orders/protection.ts";
import type { OrderRow } from "../../../../supabase/functions/_shared/orders/types.ts";
import type { MarketRules } from "../../../../supabase/functions/_shared/trading/precision.ts";

const RULES: MarketRules = { amountStep: 0.0001, priceStep: 0.01, minAmount: 0.0001, minCost: 5 };
const PCT = { take_profit_pct: 0.2, stop_loss_pct: 0.2, time_stop_seconds: 180 };

Deno.test("the plan: target up to the tick, trigger down, the stop's limit 0.5 % below, the held amount floored", () => {
  const planned = planProtection(3006, 0.0581418, PCT, RULES);
  assert.ok(planned.ok);
  assert.deepEqual(planned.plan, {
    amount: 0.0581,
    takeProfitPrice: 3012.02,
    stopTrigger: 2999.98,
    stopLimit: 2984.98,
  });
});

Deno.test("the plan: a holding the minimums refuse is not protected, and says at which price", () => {
  const tooSmall = planProtection(3006, 0.0016983, PCT, RULES);
  assert.deepEqual(tooSmall, { ok: false, reason: "take profit below_min_notional (held 0.0016983)" });
  // 0.00167 × 3012.02 = 5.03 passes at the target, × 2984.98 = 4.98 fails at the stop's limit.
  const stopOnly = planProtection(3006, 0.00167, { ...PCT }, { ...RULES, amountStep: 0.00001 });
  assert.equal(stopOnly.ok, false);
  assert.match((stopOnly as { reason: string }).reason, /^stop limit below_min_notional/);
  assert.equal(planProtection(0, 1, PCT, RULES).ok, false);
});

let n = 0;
function leg(fields: Partial<OrderRow>): OrderRow {
  n += 1;
  return {
    id: `o${n}`,
    client_order_id: `c${n}`,
    exchange_order_id: null,
    venue: "binance",
    symbol: "ETH/USDT",
    side: "sell",
    type: "limit",
    price: 3012.02,
    amount: 0.0581,
    filled: 0,
    remaining: 0.0581,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    order_status: "open",
    purpose: "take_profit",
    position_id: "p1",
    mode: "paper",
    last_error: null,
    raw: null,
    list_client_id: "L1",
    created_at: "2026-12-01T00:00:00.000Z",
    submitted_at: null,
    updated_at: "2026-12-01T00:00:00.000Z",
    closed_at: null,
    ...fields,
  };
}

Deno.test("covered only by one whole list of the planned size", () => {
  const planned = planProtection(3006, 0.0581418, PCT, RULES);
  assert.ok(planned.ok);
  const tp = leg({});
  const sl = leg({ purpose: "stop_loss", type: "stop", trigger_price: 2999.98, price: 2984.98 });
  assert.equal(protectionCovers({ liveProtection: [tp, sl] }, planned.plan), true);
  assert.equal(protectionCovers({ liveProtection: [tp] }, planned.plan), false, "a lone leg");
  assert.equal(protectionCovers({ liveProtection: [] }, planned.plan), false, "nothing");
  assert.equal(
    protectionCovers({ liveProtection: [tp, { ...sl, list_client_id: "L2" }] }, planned.plan),
    false,
    "legs of two lists",
  );
  assert.equal(
    protectionCovers({ liveProtection: [{ ...tp, filled: 0.02 }, sl] }, planned.plan),
    false,
    "a partly filled take profit leaves less than is held on one leg",
  );
  const bigger = planProtection(3006, 0.1, PCT, RULES);
  assert.ok(bigger.ok);
  assert.equal(protectionCovers({ liveProtection: [tp, sl] }, bigger.plan), false, "more of the entry filled");
});

Deno.test("refused lists are counted once each (by their take-profit leg)", () => {
  const rejected = [
    leg({ order_status: "rejected" }),
    leg({ purpose: "stop_loss", type: "stop", order_status: "rejected" }),
    leg({ order_status: "cancelled" }),
  ];
  assert.equal(refusedProtections({ protectionOrders: rejected }), 1);
});
