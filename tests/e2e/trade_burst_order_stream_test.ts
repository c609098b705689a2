/**
 * trade-burst with the private order stream, end to end: the bundled function over HTTP (real Postgres + PostgREST +
 * gateway), ccxt over REST for orders, our own WebSocket clients for book tops and for our order updates (Binance's
 * WebSocket API user-data subscription, OKX's login + `orders` channel), all against the simulator. The test moves prices while the burst runs and
 * waits on conditions (bounded polls), never on timing:
 * - a fill pushed by the stream moves the position and the exit leaves with no REST order lookup or open-orders
 *   request between the fill and the exit (the simulator's request log says so);
 * - an entry partly filled and then past its timeout costs one cancel request: how it ended comes by push, with no
 *   REST order read (OKX's cancel answer names no state, Binance's does not cover a fill's fee);
 * - duplicated order updates change nothing (one entry, one exit, fees not doubled);
 * - a dropped order stream (reconnects refused for a while) falls back to REST polling, which sees the fill, then the
 *   stream comes back and a REST reconcile follows its new subscription.
 * Each step ends with the tables equal to the simulator's book.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { keyHeaders, serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { waitFor as waitUntil } from "../support/wait_for.ts";
import { whileBurstRuns } from "../support/burst_in_flight.ts";

/** Waits on `done` every 50 ms, at most 400 times. */
const waitFor = (what: string, done: () => boolean | Promise<boolean>, limit = 400) => waitUntil(what, done, limit, 50);

const binanceConfig = defaultBinanceConfig();
const okxConfig = defaultOkxConfig();
// Prices move only when the test says so.
binanceConfig.priceStepIntervalMs = 0;
okxConfig.priceStepIntervalMs = 0;
const sim = await startSimulator({ seed: 23, config: { binance: binanceConfig, okx: okxConfig } });
globalThis.addEventListener("unload", () => void sim.stop());
const ETH = "ETH/USDT";
type Venue = "binance" | "okx";
const accountOf = (venue: Venue) => sim.engines[venue].listAccounts()[0].id;

/** The venue the step trades on, and its orders since the step's reset (the simulator's book outlives the tables). */
let active: Venue = "binance";
let baseline = 0;
const ordersOnVenue = () => sim.engines[active].allOrders(accountOf(active), ETH).slice(baseline);

async function reset(sql: Sql, venue: Venue = "binance"): Promise<void> {
  active = venue;
  await sql`delete from public.trade_logs`;
  await sql`delete from public.orders`;
  await sql`delete from public.positions`;
  await sql`delete from public.function_runs`;
  // One trade a day: each step expects one entry, and later up-moves must not open another position.
  await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true, live_trading_enabled = false,
            burst_tick_ms = 1000, entry_timeout_seconds = 60, time_stop_seconds = 180, max_trades_per_day = 1,
            max_daily_loss_usd = 50, market_data = 'stream', exit_protection = false where id = 1`;
  sim.market.setBalance(venue, "USDT", 10_000);
  sim.market.setBalance(venue, "ETH", 0);
  sim.streams.faults.clear();
  sim.orderStreams.faults.clear();
  baseline = sim.engines[venue].allOrders(accountOf(venue), ETH).length;
}

function invoke(stack: Stack, durationMs: number) {
  return fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
    method: "POST",
    headers: { "content-type": "application/json", ...keyHeaders(serverKey(stack)) },
    body: JSON.stringify({ duration_ms: durationMs, venues: [active], symbols: [ETH] }),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets a quote with a 0.2 % spread (wide enough for every latency band) around `mid`. */
function quote(mid: number): void {
  sim.market.setQuote(active, ETH, { mid, spread: mid * 0.002 });
}

/** Rising quotes, one per 120 ms, until the burst has sent an entry (bounded); it rests below the ask. */
async function riseUntilEntry(start: number) {
  for (let i = 0; i < 150 && ordersOnVenue().length === 0; i++) {
    quote(start * (1 + 0.0001 * i));
    await pause(120);
  }
  assert.equal(ordersOnVenue().length, 1, "one entry from the streamed up-move");
  const [entry] = ordersOnVenue();
  assert.deepEqual([entry.side, entry.status], ["buy", "new"], "the entry rests");
  return entry;
}

/** Take-profit quotes until the burst has sent its exit (bounded), then until the exit filled. */
async function riseUntilExit(entryPrice: number): Promise<void> {
  const high = entryPrice * 1.004;
  for (let i = 0; i < 100 && ordersOnVenue().length < 2; i++) {
    quote(high + (i % 2) * 0.01);
    await pause(120);
  }
  assert.equal(ordersOnVenue()[1]?.side, "sell", "an exit from the take-profit quote");
  await waitFor("the exit fill", () => ordersOnVenue()[1].status === "filled");
}

/** REST requests that learn an order's state: what the stream makes unnecessary. */
const ORDER_READS: Record<Venue, Set<string>> = {
  binance: new Set(["/api/v3/order", "/api/v3/openOrders", "/api/v3/allOrders", "/api/v3/myTrades"]),
  okx: new Set([
    "/api/v5/trade/order",
    "/api/v5/trade/orders-pending",
    "/api/v5/trade/orders-history",
    "/api/v5/trade/orders-history-archive",
    "/api/v5/trade/fills",
    "/api/v5/trade/fills-history",
  ]),
};
const orderReads = (afterId: number, beforeId = Infinity) =>
  sim.requestLog.list({ venue: active, afterId })
    .filter((r) => r.id < beforeId && r.method === "GET" && ORDER_READS[active].has(r.path));
/** Cancel requests (ccxt's okx cancels single orders through cancel-batch-orders by default). */
const CANCELS: Record<Venue, (r: { method: string; path: string }) => boolean> = {
  binance: (r) => r.method === "DELETE" && r.path === "/api/v3/order",
  okx: (r) => r.method === "POST" && /^\/api\/v5\/trade\/cancel-(batch-)?orders?$/.test(r.path),
};
/** Order placements (ccxt's okx places single orders through batch-orders by default). */
const PLACEMENTS: Record<Venue, Set<string>> = {
  binance: new Set(["/api/v3/order"]),
  okx: new Set(["/api/v5/trade/order", "/api/v5/trade/batch-orders"]),
};

async function entryRow(sql: Sql) {
  const [row] = await sql<{ order_status: string; filled: string; fee_cost: string | null }[]>`
    select order_status, filled::text, fee_cost::text from public.orders where purpose = 'entry'`;
  return row;
}

/** The venue's orders and ours agree: same ids, sides, fills, statuses and fees. */
async function assertTablesMatchVenue(sql: Sql): Promise<void> {
  const rows = await sql<
    { exchange_order_id: string; side: string; filled: string; order_status: string; fee_cost: string | null }[]
  >`select exchange_order_id, side, filled::text, order_status, fee_cost::text from public.orders order by created_at`;
  const venue = ordersOnVenue();
  assert.deepEqual(
    rows.map((r) => [r.exchange_order_id, r.side, Number(r.filled)]),
    venue.map((o) => [o.orderId, o.side, o.filled]),
  );
  // Binance reports fees with 8 decimals: equal to 1e-8.
  for (const [i, r] of rows.entries()) {
    const diff = Math.abs(Math.abs(Number(r.fee_cost)) - venue[i].feeTotal);
    assert.ok(diff < 1e-8, `order ${r.exchange_order_id} fee ${r.fee_cost} vs ${venue[i].feeTotal}`);
  }
  for (const [i, r] of rows.entries()) {
    const expected = venue[i].status === "new"
      ? "open"
      : venue[i].status === "canceled"
      ? "cancelled"
      : venue[i].status;
    assert.equal(r.order_status, expected, `order ${r.exchange_order_id} status`);
  }
  const [position] = await sql<{ status: string; entry_qty: string; exit_qty: string }[]>`
    select status, entry_qty::text, exit_qty::text from public.positions`;
  assert.deepEqual(
    [position.status, Number(position.entry_qty), Number(position.exit_qty)],
    ["closed", venue[0].filled, venue[1].filled],
  );
}

stackTest("trade-burst with the private order stream", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    /**
     * A fresh step on `venue`: a 20 s burst, its order stream subscribed, and its one entry resting, recorded open; then
     * `steps`, which await the burst (one that fails first waits for it: whileBurstRuns).
     */
    const withRestingEntry = async (
      venue: Venue,
      mid: number,
      steps: (burst: ReturnType<typeof invoke>, entry: ReturnType<typeof ordersOnVenue>[number]) => Promise<void>,
    ) => {
      await reset(sql, venue);
      quote(mid);
      const burst = invoke(stack, 20_000);
      await whileBurstRuns(burst, async () => {
        await waitFor("the order stream's subscription", () => sim.orderStreams.subscribed(venue) >= 1);
        const entry = await riseUntilEntry(mid);
        await waitFor("the entry recorded as open", async () => (await entryRow(sql))?.order_status === "open");
        await steps(burst, entry);
      });
    };

    /** A fill the venue pushes moves the position; the exit leaves with no REST order read in between. */
    const pushedFillMovesThePosition = async (venue: Venue, mid: number) => {
      // One trade a day (reset): the up-move that follows must not open another position.
      await withRestingEntry(venue, mid, async (burst, entry) => {
        const beforeFill = sim.requestLog.lastId();
        // The ask comes down to the resting buy: it fills now, in the engine; only the stream tells the burst.
        sim.market.setQuote(venue, ETH, { bid: entry.price! - 0.5, ask: entry.price! });
        assert.equal(ordersOnVenue()[0].status, "filled");
        await riseUntilExit(entry.price!);
        const exitSent = sim.requestLog.list({ venue, afterId: beforeFill })
          .find((r) => r.method === "POST" && PLACEMENTS[venue].has(r.path));
        assert.ok(exitSent, "the exit's request is in the log");
        assert.deepEqual(orderReads(beforeFill, exitSent.id), [], "no REST order read between the fill and the exit");

        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [summary] = res.body.venues;
        assert.equal(summary.positions_closed, 1, JSON.stringify(summary));
        assert.deepEqual(summary.exits_by_reason, { take_profit: 1 });
        assert.ok(summary.order_stream.applied >= 1, JSON.stringify(summary.order_stream));
        assert.equal(summary.order_stream.drops, 0);
        // The entry rehearsed before the first tick went through ccxt without a refusal, and (the tables match the
        // venue) nothing of it reached the venue.
        assert.deepEqual(summary.notes.filter((n: string) => n.startsWith("rehearse an entry")), []);
        await assertTablesMatchVenue(sql);
      });
    };

    await t.step(
      "a pushed fill moves the position: the exit leaves with no REST order read after the fill",
      () => pushedFillMovesThePosition("binance", 3000),
    );

    await t.step(
      "on OKX too (login + orders channel): the pushed fill moves the position, no REST order read after it",
      () => pushedFillMovesThePosition("okx", 3050),
    );

    /**
     * An entry partly filled and past its timeout: one cancel request, and how the order ended (the fill, the fee,
     * the cancel) comes by push, with no REST order read; the partial position is then exited.
     */
    const timedOutEntrySettledByPush = async (venue: Venue, mid: number) => {
      await withRestingEntry(venue, mid, async (burst, entry) => {
        const beforeFill = sim.requestLog.lastId();
        const part = Math.floor(entry.amount * 0.5 * 1e4) / 1e4;
        // The ask touches the resting buy with only `part` on offer, then moves away: a partial fill that stays partial.
        sim.market.setQuote(venue, ETH, { bid: entry.price! - 0.5, ask: entry.price!, askQty: part });
        assert.deepEqual([ordersOnVenue()[0].status, ordersOnVenue()[0].filled], ["partially_filled", part]);
        quote(entry.price! * 1.0005);
        // Now the entry is past its timeout: the burst reads the changed row and cancels it at its next prepared tick.
        await sql`update public.bot_settings set entry_timeout_seconds = 1 where id = 1`;
        await waitFor("the venue's cancel of the timed-out entry", () => ordersOnVenue()[0].status === "canceled");
        await waitFor("the entry's row settled", async () => (await entryRow(sql))?.order_status === "cancelled");
        const row = await entryRow(sql);
        assert.equal(Number(row.filled), part, "the fill before the cancel");
        const since = sim.requestLog.list({ venue, afterId: beforeFill });
        assert.equal(since.filter(CANCELS[venue]).length, 1, "one cancel request");
        assert.deepEqual(orderReads(beforeFill), [], "no REST order read for the fill or the cancel");

        await riseUntilExit(entry.price!);
        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [summary] = res.body.venues;
        assert.equal(summary.positions_closed, 1, JSON.stringify(summary));
        assert.deepEqual(summary.notes.filter((n: string) => n.includes("no pushed outcome")), []);
        await assertTablesMatchVenue(sql);
      });
    };

    await t.step(
      "an entry past its timeout after a partial fill: one cancel, its outcome pushed, no REST order read",
      () => timedOutEntrySettledByPush("binance", 3300),
    );
    await t.step(
      "on OKX too (its cancel answer names no state): one cancel, the outcome pushed, no REST order read",
      () => timedOutEntrySettledByPush("okx", 3350),
    );

    /** Every update pushed twice: nothing is sent twice, no fee counted twice. */
    const duplicatesChangeNothing = async (venueName: Venue, mid: number) => {
      await reset(sql, venueName);
      sim.orderStreams.faults.duplicate(venueName);
      quote(mid);
      const burst = invoke(stack, 20_000);
      await whileBurstRuns(burst, async () => {
        await waitFor("the order stream's subscription", () => sim.orderStreams.subscribed(venueName) >= 1);
        const entry = await riseUntilEntry(mid);
        sim.market.setQuote(active, ETH, { bid: entry.price! - 0.5, ask: entry.price! });
        await riseUntilExit(entry.price!);
        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [venue] = res.body.venues;
        assert.ok(sim.orderStreams.faults.applied.duplicated >= 2);
        const { unchanged, unmatched, applied } = venue.order_stream;
        assert.ok(unchanged + unmatched >= 2, `duplicates seen and ignored: ${JSON.stringify(venue.order_stream)}`);
        assert.ok(applied >= 1);
        assert.equal(ordersOnVenue().length, 2, "nothing sent twice");
        assert.equal(venue.positions_closed, 1);
        await assertTablesMatchVenue(sql);
      });
    };

    /** The order stream drops while the entry rests: REST polling sees the fill, then the stream comes back. */
    const droppedStreamPolls = async (venueName: Venue, mid: number) => {
      await withRestingEntry(venueName, mid, async (burst, entry) => {
        // Drop the order stream and refuse new sockets for a while; book tops keep streaming.
        sim.orderStreams.faults.refuse(venueName);
        sim.orderStreams.faults.drop(venueName);
        const dropped = sim.requestLog.lastId();
        sim.market.setQuote(active, ETH, { bid: entry.price! - 0.5, ask: entry.price! });
        await waitFor("the fill seen by REST polling", async () => (await entryRow(sql))?.order_status === "filled");
        assert.ok(orderReads(dropped).length >= 1, "a REST order read while the stream was down");
        sim.orderStreams.faults.refuse(venueName, false);
        await waitFor("the order stream back", () => sim.orderStreams.subscribed(venueName) >= 1);

        await riseUntilExit(entry.price!);
        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [venue] = res.body.venues;
        const stream = venue.order_stream;
        assert.ok(stream.drops >= 1 && stream.reconnects >= 1, JSON.stringify(stream));
        assert.ok(stream.poll_refreshes >= 1, "ticks polled while the stream was down");
        assert.ok(stream.subscriptions >= 2 && stream.reconciles >= 1, "a REST reconcile after the new subscription");
        assert.equal(venue.market_data.drops, 0, "the book-top stream was not touched");
        assert.equal(venue.positions_closed, 1);
        await assertTablesMatchVenue(sql);
      });
    };

    await t.step(
      "duplicated order updates change nothing: one entry, one exit, fees not doubled",
      () => duplicatesChangeNothing("binance", 3100),
    );
    await t.step("on OKX too: duplicated order pushes change nothing", () => duplicatesChangeNothing("okx", 3150));
    await t.step(
      "a dropped order stream falls back to polling, which sees the fill; then it is back",
      () => droppedStreamPolls("binance", 3200),
    );
    await t.step(
      "on OKX too: a dropped order stream polls, sees the fill, and logs in again",
      () => droppedStreamPolls("okx", 3250),
    );
  });
});
