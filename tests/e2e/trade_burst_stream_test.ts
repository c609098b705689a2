/**
 * trade-burst with market_data = 'stream', end to end: the bundled function over HTTP (real Postgres + PostgREST +
 * gateway), ccxt over REST for orders, our own WebSocket client for book tops, all against the simulator. The test
 * moves prices while the burst runs and waits on conditions (bounded polls): entries and exits come from streamed
 * quotes; a dropped stream (with reconnects refused for a while) and a stalled one each fall back to REST polling
 * and recover; duplicated pushes change nothing. The tables are compared with the simulator's book.
 *
 * The private order stream runs here too (testnet); its own behaviour is tested in trade_burst_order_stream_test.ts.
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
// Prices move only when the test says so.
binanceConfig.priceStepIntervalMs = 0;
const sim = await startSimulator({ seed: 17, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
globalThis.addEventListener("unload", () => void sim.stop());
const account = sim.engines.binance.listAccounts()[0].id;
const ETH = "ETH/USDT";

async function reset(sql: Sql): Promise<void> {
  await sql`delete from public.trade_logs`;
  await sql`delete from public.orders`;
  await sql`delete from public.positions`;
  await sql`delete from public.function_runs`;
  // One trade a day: each step expects one entry, and later up-moves must not open another position.
  await sql`update public.bot_settings set mode = 'testnet', trading_enabled = true, live_trading_enabled = false,
            burst_tick_ms = 1000, entry_timeout_seconds = 30, time_stop_seconds = 180, max_trades_per_day = 1,
            max_daily_loss_usd = 50, market_data = 'stream', book_updates = 'conflated', exit_protection = false
            where id = 1`;
  sim.market.setBalance("binance", "USDT", 10_000);
  sim.market.setBalance("binance", "ETH", 0);
  sim.streams.faults.clear();
  baseline = sim.engines.binance.allOrders(account, ETH).length;
}

function invoke(stack: Stack, durationMs: number) {
  return fetch(`${stack.gatewayUrl}/functions/v1/trade-burst`, {
    method: "POST",
    headers: { "content-type": "application/json", ...keyHeaders(serverKey(stack)) },
    body: JSON.stringify({ duration_ms: durationMs, venues: ["binance"], symbols: [ETH] }),
  }).then(async (res) => ({ status: res.status, body: await res.json() }));
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sets a quote with a 0.2 % spread (wide enough for every latency band) around `mid`. */
function quote(mid: number): void {
  sim.market.setQuote("binance", ETH, { mid, spread: mid * 0.002 });
}

/** The venue's orders since the step's reset (the simulator's book outlives the tables' reset). */
let baseline = 0;
const ordersOnVenue = () => sim.engines.binance.allOrders(account, ETH).slice(baseline);
const tickerPolls = (afterId: number) =>
  sim.requestLog.list({ venue: "binance", afterId }).filter((r) => /ticker/i.test(r.path)).length;

/** Rising quotes, one per `stepMs`, until the burst has sent an entry (bounded). Returns the last mid. */
async function riseUntilEntry(start: number, stepMs = 120): Promise<number> {
  let mid = start;
  for (let i = 0; i < 150 && ordersOnVenue().length === 0; i++) {
    mid = start * (1 + 0.0001 * i);
    quote(mid);
    await pause(stepMs);
  }
  assert.equal(ordersOnVenue().length, 1, "one entry from the streamed up-move");
  return mid;
}

/** The venue's orders and ours agree: same ids, sides, fills and statuses. */
async function assertTablesMatchVenue(sql: Sql): Promise<void> {
  const rows = await sql<{ exchange_order_id: string; side: string; filled: string; order_status: string }[]>`
    select exchange_order_id, side, filled::text, order_status from public.orders order by created_at`;
  const venue = ordersOnVenue();
  assert.deepEqual(
    rows.map((r) => [r.exchange_order_id, r.side, Number(r.filled)]),
    venue.map((o) => [o.orderId, o.side, o.filled]),
  );
  for (const [i, r] of rows.entries()) {
    const expected = venue[i].status === "new" ? "open" : venue[i].status;
    assert.equal(r.order_status, expected, `order ${r.exchange_order_id} status`);
  }
}

stackTest("trade-burst with streamed quotes", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("entry and take-profit exit from streamed quotes; a dropped stream polls, then recovers", async () => {
      await reset(sql);
      quote(3000);
      const before = sim.requestLog.lastId();
      const burst = invoke(stack, 20_000);
      await whileBurstRuns(burst, async () => {
        await waitFor("the burst's stream", () => sim.streams.connections >= 1);

        const mid = await riseUntilEntry(3000);
        const [entry] = ordersOnVenue();
        assert.equal(entry.side, "buy");
        // The ask comes down to the resting buy: it fills; then the bid rises past take profit.
        sim.market.setQuote("binance", ETH, { bid: entry.price! - 0.5, ask: entry.price! });
        await waitFor("the entry fill", () => ordersOnVenue()[0].status === "filled");
        // One trade a day (reset): the up-move that follows must not open another position.
        const high = entry.price! * 1.004;
        for (let i = 0; i < 100 && ordersOnVenue().length < 2; i++) {
          quote(high + (i % 2) * 0.01);
          await pause(120);
        }
        assert.equal(ordersOnVenue()[1]?.side, "sell", "an exit from the streamed take-profit quote");
        await waitFor("the exit fill", () => ordersOnVenue()[1].status === "filled");
        assert.equal(tickerPolls(before), 0, "no REST quote while the stream was up");

        // Drop, and refuse new sockets for a while: the burst polls over REST, then the stream comes back.
        sim.streams.faults.refuse("binance");
        sim.streams.faults.drop("binance");
        const dropped = sim.requestLog.lastId();
        await waitFor("a REST quote poll while the stream is down", () => tickerPolls(dropped) >= 1);
        sim.streams.faults.refuse("binance", false);
        await waitFor("the stream back", () => sim.streams.connections >= 1);
        const recovered = sim.requestLog.lastId();
        // Ticks after the recovery read the stream: give them quotes to tick on (falling: no new entry).
        for (let i = 0; i < 5; i++) {
          quote(mid - i * 0.01);
          await pause(120);
        }
        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [venue] = res.body.venues;
        assert.equal(venue.market_data.source, "stream");
        assert.equal(venue.market_data.channel, "depth5@100ms", "book_updates = 'conflated' (the default)");
        // The quote stands still between the test's moves; depth5@100ms repeats it every 100 ms.
        assert.ok(venue.market_data.repeats >= 1, JSON.stringify(venue.market_data));
        assert.ok(venue.market_data.drops >= 1, JSON.stringify(venue.market_data));
        assert.ok(venue.market_data.reconnects >= 1);
        assert.ok(venue.market_data.poll_reads >= 1);
        assert.ok(venue.market_data.stream_reads >= 1);
        assert.equal(venue.positions_closed, 1, JSON.stringify(venue));
        assert.deepEqual(venue.exits_by_reason, { take_profit: 1 });
        // After the stream came back, at most the poll of a tick already under way.
        assert.ok(tickerPolls(recovered) <= 1, `polls after recovery: ${tickerPolls(recovered)}`);
        await assertTablesMatchVenue(sql);
      });
    });

    await t.step("a stalled stream is replaced; the burst polls meanwhile and streams again after", async () => {
      await reset(sql);
      quote(2900);
      const burst = invoke(stack, 14_000);
      await whileBurstRuns(burst, async () => {
        await waitFor("the burst's stream", () => sim.streams.connections >= 1);
        const opened = sim.streams.stats.opened;
        sim.streams.faults.stall("binance", 600_000);
        const stalled = sim.requestLog.lastId();
        await waitFor("a REST quote poll while the stream is stalled", () => tickerPolls(stalled) >= 1);
        await waitFor("a replacement socket", () => sim.streams.stats.opened > opened);
        sim.streams.faults.resume("binance");
        for (let i = 0; i < 5; i++) {
          quote(2900 - i * 0.01);
          await pause(120);
        }
        const res = await burst;
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const [venue] = res.body.venues;
        assert.ok(venue.market_data.stalls >= 1, JSON.stringify(venue.market_data));
        assert.ok(venue.market_data.poll_reads >= 1);
        assert.ok(venue.market_data.stream_reads >= 1);
        await assertTablesMatchVenue(sql);
      });
    });

    await t.step(
      "duplicated pushes change nothing (bookTicker): one entry, tables equal to the venue's book",
      async () => {
        await reset(sql);
        await sql`update public.bot_settings set book_updates = 'every_change' where id = 1`;
        sim.streams.faults.duplicate("binance");
        quote(3100);
        const burst = invoke(stack, 8_000);
        await whileBurstRuns(burst, async () => {
          await waitFor("the burst's stream", () => sim.streams.connections >= 1);
          await riseUntilEntry(3100);
          const res = await burst;
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.ok(sim.streams.faults.applied.duplicated >= 1);
          assert.equal(res.body.venues[0].market_data.channel, "bookTicker");
          assert.equal(ordersOnVenue().length, 1, "no second order from a replayed push");
          assert.equal(res.body.venues[0].signals.entries, 1);
          await assertTablesMatchVenue(sql);
        });
      },
    );
  });
});
