/**
 * What a burst keeps in memory between ticks: the leased venue's orders and positions (LeasedVenueStore), today's
 * counters (DailyTally), the settings with their per-tick switch (BurstSettings) and the free balance
 * (FreeQuoteLedger). Each must agree with what the tables say.
 */
import assert from "node:assert/strict";
import { BurstSettings, type TradingSwitch } from "../../../supabase/functions/trade-burst/burst_settings.ts";
import { DailyTally } from "../../../supabase/functions/trade-burst/daily_tally.ts";
import { utcDayStart } from "../../../supabase/functions/_shared/trading/risk.ts";
import { type EndedOrder, FreeQuoteLedger } from "../../../supabase/functions/trade-burst/free_quote.ts";
import { LeasedVenueStore } from "../../../supabase/functions/_shared/orders/leased_store.ts";
import { orderIntent } from "../../support/order_intent.ts";
import { MemoryTradeStore } from "../../support/memory_store.ts";
import type { TradeStore } from "../../../supabase/functions/_shared/orders/store.ts";
import { ACTIVE_POSITION_STATUSES, type OrderIntent } from "../../../supabase/functions/_shared/orders/types.ts";
import { DEFAULT_SETTINGS, type Settings } from "../../../supabase/functions/_shared/settings.ts";
import type { Venue } from "../../../supabase/functions/_shared/exchange/venues.ts";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const at = (ms: number) => new Date(T0 + ms);
const intent = (positionId: string | null, overrides: Partial<OrderIntent> = {}) =>
  orderIntent({ position_id: positionId, ...overrides });

/** Counts the calls that reach the underlying store, by method. */
function counting(inner: MemoryTradeStore): { store: TradeStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
  return { store, calls };
}

async function openPosition(store: TradeStore, venue: Venue = "binance", mode: "testnet" | "paper" = "testnet") {
  return await store.insertPosition({ venue, symbol: "ETH/USDT", mode, opened_at: at(0).toISOString() });
}

Deno.test("LeasedVenueStore answers the leased venue's reads from memory and agrees with the tables", async (t) => {
  const tables = new MemoryTradeStore(() => T0);
  // Before the lease: one working position with its resting entry, one finished round trip, another venue's order.
  const working = await openPosition(tables);
  const resting = await tables.insertOrder(intent(working.id), at(0));
  await tables.updateOrder(resting.id, { order_status: "open", exchange_order_id: "1" }, at(1));
  const done = await openPosition(tables);
  const doneOrder = await tables.insertOrder(intent(done.id), at(0));
  await tables.updateOrder(
    doneOrder.id,
    { order_status: "filled", filled: 0.05, closed_at: at(2).toISOString() },
    at(2),
  );
  await tables.updatePosition(done.id, { status: "closed", closed_at: at(3).toISOString() }, at(3));
  await tables.insertOrder(intent(null, { venue: "okx" }), at(0));

  const { store: inner, calls } = counting(tables);
  const leased = new LeasedVenueStore(inner, "binance", "testnet");
  await leased.load();
  const loadCalls = { ...calls };
  assert.deepEqual(loadCalls, { listNonFinalOrders: 1, listPositions: 1, listOrdersOfPositions: 1 });

  const same = async () => {
    for (
      const [mine, truth] of [
        [await leased.listNonFinalOrders("binance", "testnet"), await tables.listNonFinalOrders("binance", "testnet")],
        [
          await leased.listPositions("binance", "testnet", ACTIVE_POSITION_STATUSES),
          await tables.listPositions("binance", "testnet", ACTIVE_POSITION_STATUSES),
        ],
      ] as const
    ) {
      assert.deepEqual(mine, truth);
    }
    const ids = (await tables.listPositions("binance", "testnet", ACTIVE_POSITION_STATUSES)).map((p) => p.id);
    if (ids.length > 0) {
      assert.deepEqual(await leased.listOrdersOfPositions(ids), await tables.listOrdersOfPositions(ids));
    }
  };

  await t.step("after loading: the same rows, no further reads", async () => {
    await same();
    assert.deepEqual(calls, loadCalls);
  });

  await t.step("writes go to the tables first, and memory follows them", async () => {
    const position = await openPosition(leased);
    const entry = await leased.insertOrder(intent(position.id), at(10));
    await leased.updateOrder(entry.id, { order_status: "open", exchange_order_id: "2" }, at(11));
    await leased.updateOrder(
      resting.id,
      { order_status: "filled", filled: 0.05, closed_at: at(12).toISOString() },
      at(12),
    );
    await leased.updatePosition(working.id, { status: "open", entry_qty: 0.05 }, at(12));
    assert.equal(tables.orders.find((o) => o.id === entry.id)?.exchange_order_id, "2", "written through");
    await same();
    assert.deepEqual(
      (await leased.listOrdersOfPositions([working.id])).map((o) => o.order_status),
      ["filled"],
      "a filled order stays in memory while its position is active",
    );
    assert.equal(calls.listNonFinalOrders, 1);
    assert.equal(calls.listPositions, 1);
    assert.equal(calls.listOrdersOfPositions, 1);
  });

  await t.step("a position that closes leaves memory; asking for it again reads the tables", async () => {
    await leased.updatePosition(working.id, { status: "closed", closed_at: at(20).toISOString() }, at(20));
    await same();
    assert.deepEqual(
      await leased.listOrdersOfPositions([working.id]),
      await tables.listOrdersOfPositions([working.id]),
    );
    assert.equal(calls.listOrdersOfPositions, 2, "a position outside memory is read from the tables");
  });

  await t.step("other venues, other modes and inactive statuses pass straight through", async () => {
    assert.deepEqual(
      await leased.listNonFinalOrders("okx", "testnet"),
      await tables.listNonFinalOrders("okx", "testnet"),
    );
    assert.deepEqual(await leased.listPositions("binance", "paper", ["open"]), []);
    assert.deepEqual(
      await leased.listPositions("binance", "testnet", ["closed"]),
      await tables.listPositions("binance", "testnet", ["closed"]),
    );
    assert.equal(calls.listNonFinalOrders, 2);
    assert.equal(calls.listPositions, 3);
  });

  await t.step("the paper ledger's list of every order is read once, then kept with every write", async () => {
    const before = calls.listOrders ?? 0;
    const first = await leased.listOrders("binance", "testnet");
    assert.deepEqual(first, await tables.listOrders("binance", "testnet"));
    const position = await openPosition(leased);
    await leased.insertOrder(intent(position.id), at(30));
    assert.deepEqual(await leased.listOrders("binance", "testnet"), await tables.listOrders("binance", "testnet"));
    assert.equal(calls.listOrders - before, 1);
  });
});

Deno.test("DailyTally reads the tables once a day and then follows the venues' events", async () => {
  const tables = new MemoryTradeStore(() => T0);
  const closed = await openPosition(tables);
  await tables.updatePosition(closed.id, { status: "closed", realized_pnl: -4, closed_at: at(1).toISOString() }, at(1));
  const { store, calls } = counting(tables);
  const tally = new DailyTally(store, "testnet");

  const truth = () => tables.dailyStats("testnet", utcDayStart(at(0)));
  assert.deepEqual(await tally.current(at(0)), await truth());
  assert.deepEqual(await Promise.all([tally.current(at(5)), tally.current(at(6))]), [await truth(), await truth()]);
  assert.equal(calls.dailyStats, 1, "one read, shared");

  // A position opens and closes; another's entry is refused by the venue (not counted); a third's entry times out
  // unfilled and is cancelled (still counted: it was sent). The tally moves as the tables do.
  const a = await openPosition(tables);
  tally.recordEntry(a);
  tally.reserveOpen();
  await tables.insertOrder(intent(a.id), at(2));
  const b = await openPosition(tables);
  tally.recordEntry(b);
  tally.reserveOpen();
  const refused = await tables.insertOrder(intent(b.id), at(3));
  await tables.updateOrder(refused.id, { order_status: "rejected" }, at(3));
  tally.recordRefused(b);
  await tables.updatePosition(b.id, { status: "failed", closed_at: at(7).toISOString() }, at(7));
  tally.recordEnded();
  const c = await openPosition(tables);
  tally.recordEntry(c);
  tally.reserveOpen();
  const timedOut = await tables.insertOrder(intent(c.id), at(4));
  await tables.updateOrder(timedOut.id, { order_status: "cancelled" }, at(6));
  await tables.updatePosition(c.id, { status: "failed", closed_at: at(7).toISOString() }, at(7));
  tally.recordEnded();
  const closedA = await tables.updatePosition(a.id, {
    status: "closed",
    realized_pnl: 1.5,
    closed_at: at(8).toISOString(),
  }, at(8));
  tally.recordClosed(closedA);
  tally.recordEnded();
  assert.deepEqual(await tally.current(at(9)), await truth());
  assert.equal((await truth()).entries, 2, "a and c: c timed out unfilled but was sent; b was refused");
  assert.equal(calls.dailyStats, 1);

  // Yesterday's position refused today does not touch today's entries.
  tally.recordRefused({ opened_at: new Date(utcDayStart(at(0)).getTime() - 1).toISOString() });
  assert.deepEqual(await tally.current(at(9)), await truth());

  // A new UTC day starts from the tables again.
  const tomorrow = new Date(utcDayStart(at(0)).getTime() + 86_400_000 + 1_000);
  assert.deepEqual(await tally.current(tomorrow), await tables.dailyStats("testnet", utcDayStart(tomorrow)));
  assert.equal(calls.dailyStats, 2);
});

const quoteOf = (symbol: string) => symbol.split("/")[1];

function ended(overrides: Partial<EndedOrder>): EndedOrder {
  return {
    side: "buy",
    symbol: "ETH/USDT",
    price: 3000,
    amount: 0.05,
    filled: 0,
    average: null,
    cost: 0,
    fee_cost: null,
    fee_currency: null,
    order_status: "cancelled",
    ...overrides,
  };
}

Deno.test("FreeQuoteLedger reads once, subtracts reservations, and reads again only when stale", async () => {
  const answers = [1000, 640];
  let reads = 0;
  const ledger = new FreeQuoteLedger(() => Promise.resolve(answers[reads++]!), () => "USDT", quoteOf);
  assert.equal(ledger.free, null);
  assert.equal(await ledger.ensure(), 1000);
  ledger.reserve(175.5);
  ledger.reserve(Number.NaN);
  assert.equal(await ledger.ensure(), 824.5);
  assert.equal(reads, 1);
  ledger.reserve(5000);
  assert.equal(ledger.free, 0, "never below zero");
  ledger.ended(ended({ order_status: "rejected" }));
  assert.equal(ledger.free, null, "a refused order makes it stale");
  assert.equal(await ledger.ensure(), 640);
  assert.equal(reads, 2);

  const failing = new FreeQuoteLedger(() => Promise.reject(new Error("down")), () => "USDT", quoteOf);
  await assert.rejects(failing.ensure(), /down/);
  assert.equal(failing.free, null, "a failed read leaves it stale");
});

Deno.test("FreeQuoteLedger: an ended order moves the balance as the venue does, without a read", async () => {
  let reads = 0;
  const ledger = new FreeQuoteLedger(() => (reads++, Promise.resolve(1000)), () => "USDT", quoteOf);
  await ledger.ensure();
  ledger.reserve(150); // a buy of 0.05 at 3000
  ledger.ended(ended({ order_status: "cancelled" }));
  assert.equal(ledger.free, 1000, "a cancelled buy releases its reservation");

  ledger.reserve(150);
  ledger.ended(ended({ order_status: "cancelled", filled: 0.02, average: 2990, cost: 59.8 }));
  assert.equal(ledger.free, 1000 - 59.8, "a partly filled buy releases the rest");

  const before = ledger.free!;
  ledger.reserve(150);
  ledger.ended(ended({ order_status: "filled", filled: 0.05, cost: 149, fee_cost: 0.0001, fee_currency: "BNB" }));
  assert.equal(ledger.free, before - 149, "a buy filled below its limit spends its cost; a BNB fee is not quote");

  const beforeSell = ledger.free!;
  ledger.ended(
    ended({ side: "sell", order_status: "filled", filled: 0.05, cost: 151, fee_cost: 0.151, fee_currency: "USDT" }),
  );
  assert.ok(Math.abs(ledger.free! - (beforeSell + 151 - 0.151)) < 1e-9, "a sell adds its proceeds less a quote fee");
  const afterSell = ledger.free!;
  ledger.ended(ended({ side: "sell", order_status: "filled", filled: 0.05, cost: 0, average: 3010 }));
  assert.ok(Math.abs(ledger.free! - (afterSell + 150.5)) < 1e-9, "without a cost: filled × average");
  const afterSell2 = ledger.free!;
  ledger.ended(ended({ side: "sell", order_status: "cancelled" }));
  assert.equal(ledger.free, afterSell2, "a protection leg cancelled unfilled moves nothing");
  assert.equal(reads, 1, "no read after any of these");

  for (
    const [why, order] of [
      [
        "a fee of unknown currency",
        ended({ side: "sell", order_status: "filled", filled: 0.05, cost: 151, fee_cost: 0.1 }),
      ],
      ["a fill without cost or average", ended({ side: "sell", order_status: "filled", filled: 0.05 })],
      ["a buy without a limit price", ended({ price: null, order_status: "filled", filled: 0.05, cost: 150 })],
      ["another quote asset", ended({ symbol: "ETH/USDC" })],
    ] as const
  ) {
    await ledger.ensure();
    assert.notEqual(ledger.free, null);
    ledger.ended(order);
    assert.equal(ledger.free, null, `${why} makes it stale`);
  }
});

Deno.test("FreeQuoteLedger: an order that ends while a read is in flight leaves the answer unused", async () => {
  let release: (value: number) => void = () => {};
  let reads = 0;
  const ledger = new FreeQuoteLedger(
    () => (reads++, new Promise<number>((resolve) => release = resolve)),
    () => "USDT",
    quoteOf,
  );
  const reading = ledger.ensure();
  ledger.ended(ended({ side: "sell", order_status: "filled", filled: 0.05, cost: 151 }));
  release(1151);
  assert.equal(await reading, null, "the answer may or may not include the sell");
  assert.equal(ledger.free, null);
  const again = ledger.ensure();
  release(1151);
  assert.equal(await again, 1151);
  assert.equal(reads, 2);
});

function settingsWith(overrides: Partial<Settings> = {}): Settings {
  return { ...structuredClone(DEFAULT_SETTINGS), updated_at: at(0).toISOString(), ...overrides } as Settings;
}

Deno.test("BurstSettings: one switch read per tick, shared by venues; the whole row only when it changed", async (t) => {
  await t.step("a check younger than maxAgeMs is reused; concurrent refreshes share one read", async () => {
    let now = 0;
    let switchReads = 0;
    let rowReads = 0;
    const initial = settingsWith();
    const settings = new BurstSettings(initial, {
      reload: () => (rowReads++, Promise.resolve(initial)),
      readSwitch: () => (switchReads++, Promise.resolve({ trading_enabled: true, updated_at: initial.updated_at })),
      nowMs: () => now,
      maxAgeMs: 500,
    });
    await Promise.all([settings.refresh(), settings.refresh()]);
    assert.equal(switchReads, 1);
    now += 374;
    await settings.refresh();
    assert.equal(switchReads, 1);
    // From three quarters of maxAgeMs the next read starts beside the tick, which is answered at once; a tick at
    // maxAgeMs finds that read done and waits for none.
    now += 1;
    await settings.refresh();
    assert.equal(switchReads, 2);
    await settings.refresh();
    assert.equal(switchReads, 2, "one read in flight at a time");
    now += 125;
    await settings.refresh();
    assert.equal(switchReads, 2);
    now += 375;
    await settings.refresh();
    assert.equal(switchReads, 3);
    assert.equal(rowReads, 0);
  });

  await t.step("a prepared tick waits only for a read older than maxAgeMs", async () => {
    let now = 0;
    let answer: (flag: TradingSwitch) => void = () => {};
    const initial = settingsWith();
    const settings = new BurstSettings(initial, {
      reload: () => Promise.resolve(initial),
      readSwitch: () => new Promise<TradingSwitch>((resolve) => answer = resolve),
      nowMs: () => now,
      maxAgeMs: 1000,
    });
    let first = settings.refresh();
    answer({ trading_enabled: true, updated_at: initial.updated_at });
    await first;
    now = 800;
    assert.equal((await settings.refresh()).trading_enabled, true, "young: answered while its successor is read");
    answer({ trading_enabled: false, updated_at: initial.updated_at });
    await Promise.resolve();
    await Promise.resolve();
    now = 1000;
    assert.equal((await settings.refresh()).trading_enabled, false, "the Stop read beside is the one it decides on");
    now = 1900;
    let waited = false;
    first = settings.refresh().then((s) => (waited = true, s));
    await Promise.resolve();
    assert.equal(waited, false, "older than maxAgeMs (read at 800): it waits");
    answer({ trading_enabled: true, updated_at: initial.updated_at });
    assert.equal((await first).trading_enabled, true);
  });

  await t.step("a round does not wait: latest() answers what was read and starts a stale read beside it", async () => {
    let now = 0;
    let switchReads = 0;
    let answer: (flag: TradingSwitch) => void = () => {};
    let fail = false;
    const initial = settingsWith();
    const settings = new BurstSettings(initial, {
      reload: () => Promise.resolve(initial),
      readSwitch: () => {
        switchReads++;
        if (fail) return Promise.reject(new Error("db down"));
        return new Promise<TradingSwitch>((resolve) => answer = resolve);
      },
      nowMs: () => now,
      maxAgeMs: 1000,
    });
    assert.equal(settings.latest().trading_enabled, true, "answered at once, before any read came back");
    assert.equal(switchReads, 1, "the first call finds no read at all: one starts");
    assert.equal(settings.latest().trading_enabled, true);
    assert.equal(switchReads, 1, "one read in flight at a time");
    answer({ trading_enabled: false, updated_at: initial.updated_at });
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(settings.latest().trading_enabled, false, "the Stop, once read, holds back the next round");
    assert.equal(switchReads, 1, "fresh: no new read");

    // A failing read in the background is tried again once per PREFETCH_AT of maxAgeMs, not every round; a prepared
    // tick throws it.
    fail = true;
    now += 1000;
    settings.latest();
    await new Promise((resolve) => setTimeout(resolve, 0));
    settings.latest();
    assert.equal(switchReads, 2);
    await assert.rejects(settings.refresh(), /db down/);
    assert.equal(switchReads, 3);
    now += 749;
    settings.latest();
    assert.equal(switchReads, 3);
    now += 1;
    settings.latest();
    assert.equal(switchReads, 4);
  });

  await t.step("the switch alone flips trading; a moved updated_at reads the row", async () => {
    let flag: TradingSwitch = { trading_enabled: false, updated_at: at(0).toISOString() };
    let now = 0;
    const changed = settingsWith({ max_open_positions: 1, updated_at: at(5).toISOString() });
    const settings = new BurstSettings(settingsWith(), {
      reload: () => Promise.resolve(changed),
      readSwitch: () => Promise.resolve(flag),
      nowMs: () => (now += 1000),
      maxAgeMs: 500,
    });
    assert.equal((await settings.refresh()).trading_enabled, false);
    assert.equal(settings.current.max_open_positions, DEFAULT_SETTINGS.max_open_positions);
    flag = { trading_enabled: true, updated_at: changed.updated_at };
    const next = await settings.refresh();
    assert.equal(next.trading_enabled, true);
    assert.equal(next.max_open_positions, 1);
  });

  await t.step("the burst keeps its mode; a mode change or a lost live opt-in stops new entries", async () => {
    for (
      const [start, change] of [
        [settingsWith({ mode: "testnet" }), settingsWith({ mode: "paper", updated_at: at(9).toISOString() })],
        [
          settingsWith({ mode: "live", live_trading_enabled: true }),
          settingsWith({ mode: "live", live_trading_enabled: false, updated_at: at(9).toISOString() }),
        ],
      ] as const
    ) {
      let now = 0;
      const settings = new BurstSettings(start, {
        reload: () => Promise.resolve(change),
        readSwitch: () => Promise.resolve({ trading_enabled: true, updated_at: change.updated_at }),
        nowMs: () => (now += 1000),
        maxAgeMs: 500,
      });
      const next = await settings.refresh();
      assert.equal(next.mode, start.mode);
      assert.equal(next.trading_enabled, false);
    }
  });
});
