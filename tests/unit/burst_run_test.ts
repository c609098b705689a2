import assert from "node:assert/strict";
import { ManualClock } from "../../supabase/functions/_shared/clock.ts";
import { FinalExchangeError, TemporaryExchangeError } from "../../supabase/functions/_shared/errors.ts";
import type {
  OrderRequest,
  Quote as VenueQuote,
  VenueClient,
  VenueOrder,
  VenueTrade,
} from "../../supabase/functions/_shared/exchange/venue_client.ts";
import { type BurstDeps, LiveTradingRefusedError, runBurst } from "../../supabase/functions/_shared/burst/run_burst.ts";
import { MemoryTradeStore } from "../../supabase/functions/_shared/orders/memory_store.ts";
import type { Venue } from "../../supabase/functions/_shared/orders/types.ts";
import { DEFAULT_SETTINGS, type Settings } from "../../supabase/functions/_shared/settings.ts";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0);
const ETH = "ETH/USDT";

type Q = { bid: number; ask: number };

const MARKET = {
  symbol: ETH,
  base: "ETH",
  quote: "USDT",
  spot: true,
  active: true,
  precision: { amount: 0.0001, price: 0.01 },
  limits: { amount: { min: 0.0001 }, cost: { min: 5 } },
  maker: 0.0008,
  taker: 0.001,
};

/** Mids rising 0.05 % per tick with a 6 USDT (0.2 %) spread: momentum up, spread wide enough for every band. */
function upMove(ticks: number): Q[] {
  return Array.from({ length: ticks }, (_, i) => {
    const mid = 3000 * (1 + 0.0005 * i);
    return { bid: mid - 3, ask: mid + 3 };
  });
}

/**
 * A venue whose quotes follow a script (one entry per fetchQuotes call, the last one held) and whose private side is
 * either refused outright (paper: nothing private may be called) or a small scripted exchange (testnet).
 */
class FakeVenue implements VenueClient {
  quoteCalls = 0;
  readonly privateCalls: string[] = [];
  readonly created: OrderRequest[] = [];
  readonly orders = new Map<string, VenueOrder>();
  nextId = 1;
  /** testnet: decides what the exchange does with a new order; may throw after storing it (a lost answer). */
  onCreate?: (req: OrderRequest, stored: VenueOrder) => void;
  constructor(readonly venue: Venue, readonly script: Q[], readonly allowPrivate = false) {}

  #private(name: string): void {
    this.privateCalls.push(name);
    if (!this.allowPrivate) throw new Error(`private endpoint ${name} called in paper mode`);
  }
  fetchServerTime(): Promise<number> {
    return Promise.resolve(T0);
  }
  measureServerTimeRoundTrip() {
    return Promise.resolve({ serverTimeMs: T0, roundTripMs: 1 });
  }
  fetchBalances() {
    this.#private("fetchBalances");
    return Promise.resolve({ USDT: { free: 10_000, used: 0, total: 10_000 } });
  }
  fetchQuotes(symbols: readonly string[]): Promise<Record<string, VenueQuote>> {
    const q = this.script[Math.min(this.quoteCalls, this.script.length - 1)];
    this.quoteCalls += 1;
    return Promise.resolve(
      Object.fromEntries(symbols.filter((s) => s === ETH).map((s) => [s, { symbol: s, ...q, timestamp: null }])),
    );
  }
  loadMarkets() {
    return Promise.resolve({ [ETH]: MARKET } as never);
  }
  createOrder(req: OrderRequest): Promise<VenueOrder> {
    this.#private("createOrder");
    this.created.push(req);
    const stored: VenueOrder = {
      id: String(this.nextId++),
      clientOrderId: req.clientOrderId,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      status: "open",
      price: req.price ?? null,
      amount: req.amount,
      filled: 0,
      remaining: req.amount,
      average: null,
      cost: 0,
      fee: null,
      timestamp: T0,
      raw: {},
    };
    this.orders.set(req.clientOrderId, stored);
    this.onCreate?.(req, stored);
    return Promise.resolve({ ...stored });
  }
  #find(match: (o: VenueOrder) => boolean): Promise<VenueOrder> {
    const found = [...this.orders.values()].find(match);
    if (!found) return Promise.reject(new FinalExchangeError("order not found", { source: "OrderNotFound" }));
    return Promise.resolve({ ...found });
  }
  fetchOrder(id: string): Promise<VenueOrder> {
    this.#private("fetchOrder");
    return this.#find((o) => o.id === id);
  }
  fetchOrderByClientId(clientOrderId: string): Promise<VenueOrder> {
    this.#private("fetchOrderByClientId");
    return this.#find((o) => o.clientOrderId === clientOrderId);
  }
  cancelOrder(id: string): Promise<VenueOrder> {
    this.#private("cancelOrder");
    const order = [...this.orders.values()].find((o) => o.id === id);
    if (order && order.status === "open") order.status = "canceled";
    return this.#find((o) => o.id === id);
  }
  fetchOpenOrders(): Promise<VenueOrder[]> {
    this.#private("fetchOpenOrders");
    return Promise.resolve([...this.orders.values()].filter((o) => o.status === "open"));
  }
  fetchMyTrades(): Promise<VenueTrade[]> {
    this.#private("fetchMyTrades");
    return Promise.resolve([]);
  }
}

function settingsWith(overrides: Partial<Settings> = {}): Settings {
  return {
    ...structuredClone(DEFAULT_SETTINGS),
    trading_enabled: true,
    symbols: [ETH],
    burst_tick_ms: 100,
    updated_at: new Date(T0).toISOString(),
    ...overrides,
  } as Settings;
}

interface Scenario {
  store: MemoryTradeStore;
  venue: FakeVenue;
  clock: ManualClock;
  deps: BurstDeps;
}

function scenario(script: Q[], settings: Settings, options: { allowPrivate?: boolean; allowLive?: boolean } = {}) {
  const clock = new ManualClock(T0);
  const store = new MemoryTradeStore(() => clock.now().getTime());
  const venue = new FakeVenue("binance", script, options.allowPrivate ?? false);
  const deps: BurstDeps = {
    store,
    venueClientFactory: (v) => {
      assert.equal(v, "binance");
      return venue;
    },
    clock,
    loadSettings: () => Promise.resolve(settings),
    allowLiveTrading: options.allowLive ?? false,
  };
  return { store, venue, clock, deps } satisfies Scenario;
}

const REQUEST = { durationMs: 2_000, venues: ["binance"] as Venue[] };

Deno.test("paper: an up-move with a wide spread enters at the mid, and take profit closes it from fills", async () => {
  // Ticks 0-4 rise (entry at tick 4, when 5 mids are buffered); tick 5 the ask comes down to the entry price;
  // tick 6 the bid is above entry × 1.002.
  const script = [...upMove(5), { bid: 3005.5, ask: 3006 }, { bid: 3013, ask: 3014 }];
  const s = scenario(script, settingsWith());
  const summary = await runBurst(s.deps, REQUEST);

  const venue = summary.venues[0];
  assert.equal(venue.status, "ran");
  assert.equal(s.venue.privateCalls.length, 0, "paper mode calls no private endpoint");
  assert.equal(s.venue.quoteCalls, venue.ticks, "one quote request per tick");
  assert.ok(venue.ticks >= 7 && venue.ticks <= 21, `ticks within the budget: ${venue.ticks}`);

  const [entry, exit] = s.store.orders;
  assert.equal(s.store.orders.length, 2);
  assert.equal(entry.purpose, "entry");
  assert.equal(entry.type, "limit");
  assert.equal(entry.price, 3006); // mid of tick 4, on the tick grid
  assert.equal(entry.amount, 0.0582); // floor(175 / 3006) on the lot step: defensive band 350 × 0.5
  assert.equal(entry.order_status, "filled");
  assert.equal(entry.fee_currency, "ETH");
  assert.equal(exit.purpose, "exit");
  assert.equal(exit.type, "market");
  assert.equal(exit.order_status, "filled");
  assert.equal(exit.average, 3013);

  // Independently: entry fee 0.08 % in ETH, sell what is held floored to the lot step at the bid, 0.1 % in USDT.
  const held = 0.0582 - 0.0582 * 0.0008;
  const sold = Math.floor(held / 0.0001) * 0.0001;
  assert.ok(Math.abs(exit.amount - sold) < 1e-12);
  const expectedPnl = sold * 3013 * (1 - 0.001) - 0.0582 * 3006 * (sold / held);

  const [position] = s.store.positions;
  assert.equal(position.status, "closed");
  assert.equal(position.exit_reason, "take_profit");
  assert.ok(Math.abs(position.realized_pnl! - expectedPnl) < 1e-9, `${position.realized_pnl} vs ${expectedPnl}`);
  const [log] = s.store.tradeLogs;
  assert.equal(s.store.tradeLogs.length, 1);
  assert.equal(log.position_id, position.id);
  assert.ok(Math.abs(log.size_usd - 0.0582 * 3006) < 1e-9);
  assert.equal(log.entry_px, 3006);
  assert.equal(log.exit_px, 3013);
  assert.equal(log.pnl, position.realized_pnl);
  assert.equal(log.order_id, exit.exchange_order_id);
  assert.equal(log.order_status, "filled");
  assert.ok(log.dur_seconds > 0);

  assert.equal(venue.positions_opened, 1);
  assert.equal(venue.positions_closed, 1);
  assert.equal(venue.exits_by_reason.take_profit, 1);
  assert.deepEqual(venue.orders_by_status, { filled: 2 });
  assert.equal(s.store.leases[0].outcome, "ok");
});

Deno.test("paper: a drop after the fill hits the stop loss; a flat market hits the time stop", async (t) => {
  await t.step("stop loss", async () => {
    const s = scenario([...upMove(5), { bid: 3005.5, ask: 3006 }, { bid: 2995, ask: 2996 }], settingsWith());
    await runBurst(s.deps, REQUEST);
    const [position] = s.store.positions;
    assert.equal(position.status, "closed");
    assert.equal(position.exit_reason, "stop_loss");
    assert.ok(position.realized_pnl! < 0);
    assert.equal(s.store.orders[1].average, 2995);
  });
  await t.step("time stop", async () => {
    const s = scenario(
      [...upMove(5), { bid: 3005.5, ask: 3006 }, { bid: 3006, ask: 3006.5 }],
      settingsWith({
        time_stop_seconds: 1,
      }),
    );
    await runBurst(s.deps, REQUEST);
    const [position] = s.store.positions;
    assert.equal(position.status, "closed");
    assert.equal(position.exit_reason, "time_stop");
    assert.ok(Date.parse(position.closed_at!) - Date.parse(position.opened_at) >= 1_000);
  });
});

Deno.test("paper: an entry that never fills is cancelled after entry_timeout_seconds", async () => {
  const s = scenario([...upMove(5), { bid: 3000, ask: 3030 }], settingsWith({ entry_timeout_seconds: 1 }));
  const summary = await runBurst(s.deps, REQUEST);
  const [entry] = s.store.orders;
  assert.equal(entry.order_status, "cancelled");
  assert.equal(entry.filled, 0);
  assert.equal(s.store.positions[0].status, "failed");
  assert.equal(summary.venues[0].positions_failed, 1);
  assert.equal(s.store.tradeLogs.length, 0);
});

Deno.test("entries stop for each risk reason, and the reason is in the summary", async (t) => {
  const cases: { name: string; settings: Partial<Settings>; reason: string; setup?: (s: Scenario) => Promise<void> }[] =
    [
      { name: "trading disabled", settings: { trading_enabled: false }, reason: "trading_disabled" },
      { name: "trade cap", settings: { max_trades_per_day: 0 }, reason: "daily_trade_cap" },
      {
        name: "daily loss limit",
        settings: {},
        reason: "daily_loss_limit",
        setup: async (s) => {
          const p = await s.store.insertPosition({
            venue: "okx",
            symbol: ETH,
            mode: "paper",
            opened_at: new Date(T0 - 60_000).toISOString(),
          });
          await s.store.updatePosition(p.id, {
            status: "closed",
            realized_pnl: -50,
            closed_at: new Date(T0 - 1_000).toISOString(),
          }, new Date(T0));
        },
      },
      { name: "insufficient balance", settings: { paper_starting_usdt: 8 }, reason: "insufficient_balance" },
      {
        name: "too small an order",
        settings: {
          latency_bands: DEFAULT_SETTINGS.latency_bands.map((b) => ({ ...b, size_usd: 4 })),
        },
        reason: "below_min_notional",
      },
    ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const s = scenario([...upMove(8)], settingsWith(c.settings));
      await c.setup?.(s);
      const summary = await runBurst(s.deps, REQUEST);
      assert.ok((summary.venues[0].refusals[c.reason] ?? 0) > 0, JSON.stringify(summary.venues[0].refusals));
      assert.equal(s.store.orders.length, 0, "no order recorded or sent");
      assert.equal(summary.totals.refusals[c.reason], summary.venues[0].refusals[c.reason]);
    });
  }
});

Deno.test("a short signal on spot sends nothing", async () => {
  const down = upMove(8).map((q) => ({ bid: 6000 - q.ask, ask: 6000 - q.bid }));
  const s = scenario(down, settingsWith());
  const summary = await runBurst(s.deps, REQUEST);
  assert.ok((summary.venues[0].signals.skipped.short_without_inventory ?? 0) > 0);
  assert.equal(s.store.orders.length, 0);
});

Deno.test("a venue whose lease is held is skipped with the reason", async () => {
  const s = scenario(upMove(8), settingsWith());
  assert.ok(await s.store.acquireLease("trade-burst", "binance", 60));
  const summary = await runBurst(s.deps, REQUEST);
  assert.deepEqual(summary.skipped_venues, [{ venue: "binance", reason: "lease_held" }]);
  assert.equal(s.venue.quoteCalls, 0);
});

Deno.test("live mode without both opt-ins is refused before any exchange call", async (t) => {
  for (
    const [name, allowLive, flag, status] of [
      ["no env opt-in", false, true, 403],
      ["no settings opt-in", true, false, 409],
    ] as const
  ) {
    await t.step(name, async () => {
      const s = scenario(upMove(8), settingsWith({ mode: "live", live_trading_enabled: flag }), { allowLive });
      s.deps.venueClientFactory = () => {
        throw new Error("no client may be built");
      };
      await assert.rejects(() => runBurst(s.deps, REQUEST), (error: unknown) => {
        assert.ok(error instanceof LiveTradingRefusedError);
        assert.equal(error.status, status);
        assert.match(error.message, /ALLOW_LIVE_TRADING=true.*live_trading_enabled/);
        return true;
      });
      assert.equal(s.store.leases.length, 0);
    });
  }
});

Deno.test("testnet: a create whose answer is lost is looked up by client order id, never sent twice", async () => {
  const s = scenario([...upMove(5), { bid: 3005.5, ask: 3030 }], settingsWith({ mode: "testnet" }), {
    allowPrivate: true,
  });
  s.venue.onCreate = () => {
    throw new TemporaryExchangeError("createOrder: RequestTimeout: timed out", { source: "RequestTimeout" });
  };
  await runBurst(s.deps, { ...REQUEST, durationMs: 1_000 });
  assert.equal(s.venue.created.length, 1, "createOrder called exactly once");
  assert.ok(s.venue.privateCalls.includes("fetchOrderByClientId"));
  const [entry] = s.store.orders;
  assert.equal(entry.order_status, "open");
  assert.equal(entry.exchange_order_id, "1");
  assert.equal(entry.client_order_id, s.venue.created[0].clientOrderId);
});

Deno.test("testnet: a partial fill cancelled at the timeout becomes a position of the filled size", async () => {
  const s = scenario(
    [...upMove(5), { bid: 3005.5, ask: 3030 }],
    settingsWith({
      mode: "testnet",
      entry_timeout_seconds: 1,
    }),
    { allowPrivate: true },
  );
  s.venue.onCreate = (_req, stored) => {
    Object.assign(stored, {
      status: "open",
      filled: 0.02,
      remaining: stored.amount! - 0.02,
      average: 3006,
      cost: 60.12,
      fee: { cost: 0.00002, currency: "ETH" },
    });
  };
  await runBurst(s.deps, REQUEST);
  const [entry] = s.store.orders;
  assert.equal(entry.order_status, "cancelled");
  assert.equal(entry.filled, 0.02);
  const [position] = s.store.positions;
  assert.equal(position.entry_qty, 0.02);
  assert.equal(position.entry_avg_px, 3006);
  assert.ok(position.status === "open" || position.status === "closing" || position.status === "closed");
});
