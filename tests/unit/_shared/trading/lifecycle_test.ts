import assert from "node:assert/strict";
import {
  canTransition,
  FINAL_ORDER_STATUSES,
  isFinalStatus,
  ORDER_STATUSES,
  type OrderStatus,
  statusFromCcxtOrder,
} from "../../../../supabase/functions/_shared/trading/lifecycle.ts";

Deno.test("order statuses match the orders.order_status values", () => {
  assert.deepEqual([...ORDER_STATUSES], [
    "pending_submit",
    "open",
    "partially_filled",
    "filled",
    "cancelled",
    "rejected",
    "expired",
    "unknown",
  ]);
  assert.deepEqual([...FINAL_ORDER_STATUSES].sort(), ["cancelled", "expired", "filled", "rejected"]);
});

Deno.test("order status transitions", async (t) => {
  await t.step("the happy paths", () => {
    assert.equal(canTransition("pending_submit", "open"), true);
    assert.equal(canTransition("open", "partially_filled"), true);
    assert.equal(canTransition("partially_filled", "filled"), true);
    assert.equal(canTransition("pending_submit", "filled"), true, "an immediate fill");
    assert.equal(canTransition("partially_filled", "cancelled"), true, "timeout cancel after a partial fill");
    assert.equal(canTransition("pending_submit", "rejected"), true);
    assert.equal(canTransition("open", "expired"), true);
  });

  await t.step("staying put is allowed for every status (re-reading an order is not a move)", () => {
    for (const status of ORDER_STATUSES) assert.equal(canTransition(status, status), true, status);
  });

  await t.step("finals move nowhere", () => {
    for (const from of FINAL_ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        if (to === from) continue;
        assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
      }
    }
  });

  await t.step("unknown can become anything (reconciliation decides)", () => {
    for (const to of ORDER_STATUSES) assert.equal(canTransition("unknown", to), true, to);
  });

  await t.step("every non-final status can become unknown", () => {
    for (const from of ORDER_STATUSES) {
      if (!isFinalStatus(from)) assert.equal(canTransition(from, "unknown"), true, from);
    }
  });

  await t.step("fills never go backwards and nothing returns to pending_submit", () => {
    const refused: [OrderStatus, OrderStatus][] = [
      ["partially_filled", "open"],
      ["partially_filled", "rejected"],
      ["partially_filled", "pending_submit"],
      ["open", "pending_submit"],
    ];
    for (const [from, to] of refused) {
      assert.equal(canTransition(from, to), false, `${from} -> ${to}`);
    }
  });
});

Deno.test("statusFromCcxtOrder maps ccxt unified orders to our statuses", async (t) => {
  await t.step("open, with and without fills", () => {
    assert.equal(statusFromCcxtOrder({ status: "open", amount: 1, filled: 0 }), "open");
    assert.equal(statusFromCcxtOrder({ status: "open", amount: 1, filled: 0.4 }), "partially_filled");
    assert.equal(statusFromCcxtOrder({ status: "open", amount: 1, filled: null }), "open");
    assert.equal(statusFromCcxtOrder({ status: "canceling", amount: 1, filled: 0.4 }), "partially_filled");
  });

  await t.step("closed with filled == amount is filled", () => {
    assert.equal(statusFromCcxtOrder({ status: "closed", amount: 0.01391, filled: 0.01391 }), "filled");
    assert.equal(statusFromCcxtOrder({ status: "closed", amount: 1, filled: 0.9999999999999999 }), "filled");
    assert.equal(statusFromCcxtOrder({ status: "closed", filled: 2 }), "filled", "no amount to compare with");
  });

  await t.step("closed but only partly filled ended without completing: cancelled, fill kept by the caller", () => {
    assert.equal(statusFromCcxtOrder({ status: "closed", amount: 1, filled: 0.5 }), "cancelled");
  });

  await t.step("closed with nothing filled contradicts itself: unknown", () => {
    assert.equal(statusFromCcxtOrder({ status: "closed", amount: 1, filled: 0 }), "unknown");
  });

  await t.step("canceled (either spelling), expired and rejected", () => {
    assert.equal(statusFromCcxtOrder({ status: "canceled", amount: 1, filled: 0.3 }), "cancelled");
    assert.equal(statusFromCcxtOrder({ status: "canceled", amount: 1, filled: 0 }), "cancelled");
    assert.equal(statusFromCcxtOrder({ status: "cancelled", amount: 1, filled: 0 }), "cancelled");
    assert.equal(statusFromCcxtOrder({ status: "expired", amount: 1, filled: 0.2 }), "expired");
    assert.equal(statusFromCcxtOrder({ status: "rejected", amount: 1, filled: 0 }), "rejected");
  });

  await t.step("missing or unexpected status is unknown", () => {
    assert.equal(statusFromCcxtOrder({}), "unknown");
    assert.equal(statusFromCcxtOrder({ status: null }), "unknown");
    assert.equal(statusFromCcxtOrder({ status: "ok" }), "unknown");
  });

  await t.step("the mapped status feeds canTransition", () => {
    const observed = statusFromCcxtOrder({ status: "open", amount: 1, filled: 0 });
    assert.equal(canTransition("filled", observed), false, "a stale 'open' cannot undo a fill");
  });
});
