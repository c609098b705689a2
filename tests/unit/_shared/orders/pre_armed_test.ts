import assert from "node:assert/strict";
import {
  type ArmedOrderRow,
  PreArmedOrders,
  settleArmed,
} from "../../../../supabase/functions/_shared/orders/pre_armed.ts";
import { CLIENT_ORDER_ID_PATTERN } from "../../../../supabase/functions/_shared/orders/client_order_id.ts";
import type { ExchangeOrderView } from "../../../../supabase/functions/_shared/orders/types.ts";
import { ManualClock } from "../../../support/manual_clock.ts";
import { MemoryArmedOrderStore } from "../../../support/memory_armed_store.ts";

const ENTRY = (symbol: string) => ({ symbol, side: "buy" as const, purpose: "entry" as const });

function setup() {
  const store = new MemoryArmedOrderStore();
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 12));
  const armed = new PreArmedOrders({ store, clock, venue: "binance", mode: "testnet" });
  return { store, clock, armed };
}

function view(clientOrderId: string): ExchangeOrderView {
  return {
    exchangeOrderId: "x1",
    clientOrderId,
    status: "open",
    filled: 0,
    remaining: 1,
    average: null,
    cost: 0,
    feeCost: null,
    feeCurrency: null,
    raw: {},
  };
}

Deno.test("ensure arms every missing slot in one write, and nothing when all are ready", async () => {
  const { store, armed } = setup();
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT"), ENTRY("BTC/USDT")]);
  assert.equal(store.writes, 1);
  assert.equal(store.rows.size, 2, "a slot asked twice is armed once");
  for (const row of store.rows.values()) assert.match(row.client_order_id, CLIENT_ORDER_ID_PATTERN);
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT")]);
  assert.equal(store.writes, 1, "all ready: no write");
  assert.equal(armed.ready, 2);
});

Deno.test("take hands out the armed id from memory, once, and writes nothing", async () => {
  const { store, armed } = setup();
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT"), ENTRY("SOL/USDT")]);
  const writes = store.writes;
  const btc = armed.take(ENTRY("BTC/USDT"));
  const eth = armed.take(ENTRY("ETH/USDT"));
  assert.ok(btc && eth && btc.client_order_id !== eth.client_order_id);
  assert.equal(store.writes, writes, "taking writes nothing");
  assert.equal(armed.take(ENTRY("BTC/USDT")), null, "an id is handed out once");
  assert.equal(armed.take({ symbol: "SOL/USDT", side: "sell", purpose: "exit" }), null, "a slot never armed");
  assert.equal(armed.ready, 1);
  // The next tick re-arms only what was used, in one write.
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT"), ENTRY("SOL/USDT")]);
  assert.equal(store.writes, writes + 1);
  assert.equal(store.rows.size, 5);
});

Deno.test("perSlot: one write arms several ids per slot, the next comes when a slot runs out and tops up all", async () => {
  const store = new MemoryArmedOrderStore();
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 12));
  const armed = new PreArmedOrders({ store, clock, venue: "binance", mode: "testnet", perSlot: 3 });
  const slots = [ENTRY("BTC/USDT"), ENTRY("ETH/USDT")];
  await armed.ensure(slots);
  assert.deepEqual([store.writes, armed.ready], [1, 6]);
  const first = armed.take(ENTRY("BTC/USDT"));
  const second = armed.take(ENTRY("BTC/USDT"));
  assert.ok(first && second && first.client_order_id !== second.client_order_id);
  await armed.ensure(slots);
  assert.equal(store.writes, 1, "every slot still has an id: no write");
  armed.take(ENTRY("BTC/USDT"));
  armed.take(ENTRY("ETH/USDT"));
  assert.equal(armed.take(ENTRY("BTC/USDT")), null, "three ids, handed out once each");
  await armed.ensure(slots);
  assert.deepEqual([store.writes, armed.ready], [2, 6], "BTC ran out: one write tops both slots up");
  assert.equal(store.rows.size, 3 + 3 + 3 + 1);
  assert.equal(await armed.retireUnused(), 6, "the unused ids of every slot go together");
  assert.equal(store.writes, 3);
});

Deno.test("retireUnused retires the ids never taken, in one write", async () => {
  const { store, armed } = setup();
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT")]);
  armed.take(ENTRY("BTC/USDT"));
  assert.equal(await armed.retireUnused(), 1);
  const statuses = [...store.rows.values()].map((r) => `${r.symbol}:${r.status}`).sort();
  assert.deepEqual(statuses, ["BTC/USDT:armed", "ETH/USDT:retired"], "the taken one waits for its flush");
  assert.equal(armed.ready, 0);
});

Deno.test("settleArmed: known to the venue → sent; unknown past the grace → retired; young or failed → left", async () => {
  const { store, clock, armed } = setup();
  await armed.ensure([ENTRY("BTC/USDT"), ENTRY("ETH/USDT"), ENTRY("SOL/USDT")]);
  clock.advance(60_000);
  await armed.ensure([ENTRY("XRP/USDT")]); // armed just now: too young to conclude
  const rows = [...store.rows.values()];
  const bySymbol = (s: string) => rows.find((r) => r.symbol === s) as ArmedOrderRow;
  const report = await settleArmed(store, {
    venue: "binance",
    mode: "testnet",
    now: clock.now(),
    graceMs: 30_000,
    lookupByClientId: (a) => {
      if (a.symbol === "BTC/USDT") return Promise.resolve(view(a.client_order_id)); // sent before a crash
      if (a.symbol === "SOL/USDT") return Promise.reject(new Error("timeout"));
      return Promise.resolve(null);
    },
  });
  assert.equal(report.checked, 4);
  assert.deepEqual(report.sent.map((s) => s.armed.symbol), ["BTC/USDT"]);
  assert.equal(report.retired, 1);
  assert.equal(report.leftArmed, 2);
  assert.equal(store.rows.get(bySymbol("ETH/USDT").id)?.status, "retired");
  assert.match(store.rows.get(bySymbol("ETH/USDT").id)?.retire_reason ?? "", /never sent/);
  assert.equal(store.rows.get(bySymbol("BTC/USDT").id)?.status, "armed", "adopting is the caller's step");
  assert.equal(store.rows.get(bySymbol("SOL/USDT").id)?.status, "armed");
  assert.equal(store.rows.get(bySymbol("XRP/USDT").id)?.status, "armed");
  assert.ok(report.details.some((d) => d.includes("timeout")));
});

Deno.test("settleArmed only looks at its own venue and mode", async () => {
  const { store, clock, armed } = setup();
  await armed.ensure([ENTRY("BTC/USDT")]);
  const other = new PreArmedOrders({ store, clock, venue: "okx", mode: "testnet" });
  await other.ensure([ENTRY("BTC/USDT")]);
  clock.advance(60_000);
  const looked: string[] = [];
  const report = await settleArmed(store, {
    venue: "okx",
    mode: "testnet",
    now: clock.now(),
    graceMs: 30_000,
    lookupByClientId: (a) => {
      looked.push(a.venue);
      return Promise.resolve(null);
    },
  });
  assert.deepEqual(looked, ["okx"]);
  assert.equal(report.retired, 1);
  assert.equal((await store.listArmed("binance", "testnet")).length, 1);
});
