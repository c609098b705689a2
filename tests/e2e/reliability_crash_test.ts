/**
 * Reliability: the function process dies at the worst moments of an order's life (SIGKILL, as an Edge runtime crash
 * or an out-of-memory kill would), then the next burst runs.
 *
 * The moments are made deterministic with two recording proxies: one between the function and the simulator (an
 * order placement is held AFTER the simulator executed it, so the order exists at the venue but its answer never
 * reaches the function), one between the function and PostgREST (a write is held BEFORE it reaches the database).
 * The kill happens while the request is held.
 *
 * Faults and what must hold after the next burst (every step):
 * - killed while the entry order is in flight (placed at the venue with an id armed before the quote, its rows not
 *   written yet): the armed id is found at the venue, the entry is adopted with the venue's status, fills and fees,
 *   and the position opens from those fills;
 * - killed after the entry filled, while the fill's writes (the order's fill and the position opening, one
 *   transaction, usually with the entry's own rows) are on their way to the tables: none landed, and the next burst
 *   opens the position from the fills the venue reports (adopting the entry by its armed id when its rows rode along);
 * - killed while the exit order is in flight: the exit is found, the position closes with PnL from the simulator's
 *   fills and a trade_logs row;
 * - killed after the entry ids were armed but before anything was sent: the venue does not know them, and the next
 *   burst retires them (past the not-found grace), so they are never used.
 * In every case: every order the simulator holds is in `orders` with the right status, fill, fee and id, and no client
 * order id was ever sent twice.
 *
 * Lease expiry after a crash is proven in reliability_overlap_test.ts; here the dead burst's lease is expired by hand
 * (as its TTL would) to keep the file short.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import type { SimTrade } from "../../dev/sim/types.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  arrivedWithin,
  assertTablesMatchSimulator,
  burstBudgetMs,
  createOrderRequests,
  entryThen,
  type Hold,
  invokeBurst,
  isCreateOrder,
  orderRows,
  positionRows,
  type ProxiedRequest,
  reportCounts,
  resentClientIds,
  resetTables,
  rising,
  ROUND_TRIP_TICKS,
  setPath,
  startRecordingProxy,
  type VenueResult,
} from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { ARMED_ENTRIES_PER_SYMBOL } from "../../supabase/functions/trade-burst/armed_entries.ts";

const FILE = "reliability_crash";
const ETH = "ETH/USDT";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 23, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
const account = sim.engines.binance.listAccounts()[0].id;
const exchangeProxy = startRecordingProxy(sim.origin);
/** Between the function and the gateway's /rest/v1; its upstream is set once the stack runs. */
const dbProxy = startRecordingProxy();
globalThis.addEventListener("unload", () => {
  void exchangeProxy.stop();
  void dbProxy.stop();
  void sim.stop();
});

const isSell = (r: ProxiedRequest) => isCreateOrder(r) && /side=SELL/.test(r.body);
const isBuy = (r: ProxiedRequest) => isCreateOrder(r) && /side=BUY/.test(r.body);

/** Runs a burst, waits for the hold, kills the function while the request is held, restarts it. */
async function killWhileHeld(
  stack: Stack,
  hold: Hold,
  what: string,
  durationMs = burstBudgetMs(ROUND_TRIP_TICKS),
): Promise<void> {
  const pending = invokeBurst(stack.gatewayUrl, serverKey(stack), {
    duration_ms: durationMs,
    venues: ["binance"],
    symbols: [ETH],
  }).catch((error) => error);
  await arrivedWithin(hold, 15_000, what);
  await stack.killFunction("trade-burst");
  // A held write must never land after the crash; a held venue answer has nobody left to read it.
  hold.fail();
  const answer = await pending;
  assert.ok(answer instanceof Error || answer.status >= 500, `the caller sees the crash (${what})`);
  await stack.restartFunction("trade-burst");
}

/** What the TTL would do after a while: the dead burst's lease no longer holds the venue. */
async function expireDeadLeases(sql: Sql): Promise<number> {
  const rows = await sql`update public.function_runs set lease_expires_at = started_at + interval '1 millisecond'
                         where outcome = 'running' and lease_expires_at is not null returning id`;
  return rows.length;
}

/** The burst after a crash: it must reconcile (markets, lookups) inside its budget, on a busy machine too. */
async function nextBurst(stack: Stack, durationMs = burstBudgetMs(2)): Promise<VenueResult> {
  const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), {
    duration_ms: durationMs,
    venues: ["binance"],
    symbols: [ETH],
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const venue = res.body.venues![0];
  assert.equal(venue.status, "ran", JSON.stringify(venue));
  return venue;
}

function tradesOf(clientOrderId: string, since: number): SimTrade[] {
  return sim.engines.binance.myTrades(account, { symbol: ETH, since }).filter((x) => x.clientOrderId === clientOrderId);
}
const sum = (list: SimTrade[], f: (x: SimTrade) => number) => list.reduce((s, x) => s + f(x), 0);
const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-8, `${what}: ${a} vs ${b} (diff ${a - b})`);

const totals = { faults: 0, lost: 0, doubled: 0 };

async function checkAgainstSimulator(sql: Sql, since: number, firstRequest: number) {
  const reconciled = await assertTablesMatchSimulator(sql, sim, "binance", since);
  const resent = resentClientIds(createOrderRequests(exchangeProxy.requests.slice(firstRequest)));
  assert.deepEqual(resent, [], "no client order id sent twice");
  totals.lost += reconciled.lost.length;
  totals.doubled += resent.length + reconciled.doubled.length;
  return reconciled;
}

stackTest("reliability: the function is killed mid-flight and the next burst reconciles", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim, {
    via: exchangeProxy.origin,
    overrides: { SUPABASE_URL: dbProxy.origin, EXCHANGE_TIMEOUT_MS: "2000" },
  }),
}, async (t, stack) => {
  dbProxy.upstream = stack.gatewayUrl;

  await withSql(stack.databaseUrl, async (sql) => {
    const begin = async (settings: Record<string, number> = {}) => {
      await resetTables(sql, settings);
      sim.market.setBalance("binance", "USDT", 10_000);
      return { since: Date.now(), firstRequest: exchangeProxy.requests.length };
    };

    await t.step("killed while the entry is in flight: the next burst finds it by client order id", async () => {
      const { since, firstRequest } = await begin();
      // The entry rests at the mid; the dip after the kill fills it at the venue while nobody is watching.
      setPath(sim, "binance", ETH, [...rising(3000, 10), { bid: 3002, ask: 3002.6 }, { bid: 2999.9, ask: 3000 }]);
      await killWhileHeld(stack, exchangeProxy.hold("response", isBuy), "entry placement");
      totals.faults += 1;

      // The entry left with an id armed before the quote; its rows are written after the answer, which never came.
      const [sent] = createOrderRequests(exchangeProxy.requests.slice(firstRequest));
      assert.ok(sent, "the entry was placed");
      const lost = { client_order_id: sent.clientOrderId };
      assert.equal((await orderRows(sql)).length, 0, "the crash left the entry without its rows");
      assert.equal((await positionRows(sql)).length, 0);
      const [armed] = await sql`select status from public.armed_orders where client_order_id = ${sent.clientOrderId}`;
      assert.equal(armed?.status, "armed", "its armed id is its record");
      const atVenue = sim.engines.binance.getOrder(account, { clientOrderId: lost.client_order_id });
      assert.ok(atVenue, "the order reached the venue");

      await expireDeadLeases(sql);
      // Nobody reads quotes now, so the test moves the path on itself until the dip has filled the entry.
      for (
        let i = 0;
        i < 50 && sim.engines.binance.getOrder(account, { clientOrderId: lost.client_order_id })
            .status !== "filled";
        i++
      ) {
        sim.market.step("binance", 1);
      }
      assert.equal(
        sim.engines.binance.getOrder(account, { clientOrderId: lost.client_order_id }).status,
        "filled",
        "the dip filled the entry at the venue",
      );
      const venue = await nextBurst(stack);
      assert.equal(venue.armed?.adopted, 1, JSON.stringify(venue.armed));

      const [entry] = await orderRows(sql);
      assert.equal(entry.client_order_id, lost.client_order_id);
      assert.equal(entry.order_status, "filled");
      const trades = tradesOf(entry.client_order_id, since);
      close(Number(entry.filled), sum(trades, (x) => x.amount), "entry filled");
      close(Number(entry.fee_cost), sum(trades, (x) => x.fee), "entry fee");
      const [position] = await positionRows(sql);
      assert.equal(position.status, "open", "the position opened from the recovered fills");
      close(Number(position.entry_qty), sum(trades, (x) => x.amount), "position entry_qty");
      const reconciled = await checkAgainstSimulator(sql, since, firstRequest);
      assert.equal(reconciled.simOrders.length, 1, "nothing was placed twice");
    });

    await t.step(
      "killed after the entry filled, before its writes reached the tables: it opens next time",
      async () => {
        const { since, firstRequest } = await begin();
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
        // The fill and the position it opens travel in one apply_burst_writes call (leased_store.ts).
        const positionOpens = dbProxy.hold(
          "request",
          (r) =>
            r.method === "POST" && r.path.startsWith("/rest/v1/rpc/apply_burst_writes") &&
            r.body.includes('"status":"open"'),
        );
        await killWhileHeld(stack, positionOpens, "the fill's writes");
        totals.faults += 1;

        // The entry's own rows ride with its fill's writes when the fill comes within ARMED_ROWS_LINGER_MS (the
        // usual case), else they landed alone before: either way the fill and the opening did not.
        const [sent] = createOrderRequests(exchangeProxy.requests.slice(firstRequest));
        const [armed] = await sql`select status from public.armed_orders where client_order_id = ${sent.clientOrderId}`;
        const [entry] = await orderRows(sql);
        if (entry) {
          assert.equal(armed?.status, "fired", "its rows landed alone, marking the armed id fired");
          assert.notEqual(entry.order_status, "filled", "the order row does not have its fill");
          assert.equal((await positionRows(sql))[0].status, "opening", "nor the position its opening: all or nothing");
        } else {
          assert.equal(armed?.status, "armed", "the commit carried the entry's rows too: its armed id is its record");
          assert.equal((await positionRows(sql)).length, 0, "nor its position: all or nothing");
        }

        await expireDeadLeases(sql);
        await nextBurst(stack);
        const [position] = await positionRows(sql);
        const [reconciled] = await orderRows(sql);
        assert.equal(reconciled.order_status, "filled", "the fill came back from the venue");
        assert.equal(position.status, "open");
        close(Number(position.entry_qty), Number(reconciled.filled), "entry_qty from the order's fills");
        await checkAgainstSimulator(sql, since, firstRequest);
      },
    );

    await t.step(
      "killed while the exit is in flight: the position closes with PnL from the venue's fills",
      async () => {
        const { since, firstRequest } = await begin();
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
        await killWhileHeld(stack, exchangeProxy.hold("response", isSell), "exit placement");
        totals.faults += 1;

        const rows = await orderRows(sql);
        assert.deepEqual(rows.map((r) => [r.purpose, r.order_status]), [["entry", "filled"], [
          "exit",
          "pending_submit",
        ]]);
        assert.equal((await positionRows(sql))[0].status, "closing");

        await expireDeadLeases(sql);
        await nextBurst(stack);
        const [entry, exit] = await orderRows(sql);
        assert.equal(exit.order_status, "filled");
        const [position] = await positionRows(sql);
        assert.equal(position.status, "closed");
        assert.equal(position.exit_reason, "take_profit");
        // PnL computed here from the simulator's own fills (buy fees in base, sell fees in quote).
        const inTrades = tradesOf(entry.client_order_id, since);
        const outTrades = tradesOf(exit.client_order_id, since);
        const held = sum(inTrades, (x) => x.amount) - sum(inTrades, (x) => x.fee);
        const pnl = sum(outTrades, (x) => x.cost) - sum(outTrades, (x) => x.fee) -
          sum(inTrades, (x) => x.cost) * (sum(outTrades, (x) => x.amount) / held);
        close(Number(position.realized_pnl), pnl, "realized_pnl from the venue's fills");
        const [log] = await sql<{ pnl: string; position_id: string }[]>`
        select pnl::text, position_id::text from public.trade_logs`;
        assert.equal(log.position_id, position.id);
        close(Number(log.pnl), pnl, "trade_logs.pnl");
        await checkAgainstSimulator(sql, since, firstRequest);
      },
    );

    await t.step(
      "killed after the entry ids were armed, before anything was sent: the next burst retires them",
      async () => {
        const { since, firstRequest } = await begin();
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
        // The first tick reads the balance before its first quote: by then the burst has armed its entry ids.
        const balanceRead = exchangeProxy.hold("request", (r) => r.path.includes("/api/v3/account"));
        await killWhileHeld(stack, balanceRead, "the first balance read");
        totals.faults += 1;
        assert.equal((await orderRows(sql)).length, 0);
        assert.equal((await positionRows(sql)).length, 0);
        assert.equal(createOrderRequests(exchangeProxy.requests.slice(firstRequest)).length, 0, "nothing was sent");
        const armed = await sql`select client_order_id from public.armed_orders where status = 'armed'`;
        assert.equal(armed.length, ARMED_ENTRIES_PER_SYMBOL, "the entry ids armed for ETH/USDT");

        await expireDeadLeases(sql);
        // What the not-found grace would do after a while, without waiting for it.
        await sql`update public.armed_orders set armed_at = armed_at - interval '5 minutes' where status = 'armed'`;
        const venue = await nextBurst(stack);
        const k = ARMED_ENTRIES_PER_SYMBOL;
        assert.deepEqual(venue.armed, { checked: k, adopted: 0, retired: k, left_armed: 0 });
        const ids = armed.map((row) => row.client_order_id);
        const retired = await sql`select status, retire_reason from public.armed_orders
                                  where client_order_id = any(${ids})`;
        assert.equal(retired.length, k);
        for (const row of retired) {
          assert.equal(row.status, "retired");
          assert.match(row.retire_reason, /never sent/);
        }
        await checkAgainstSimulator(sql, since, firstRequest);
        reportCounts(FILE, "kills_at_four_lifecycle_points", {
          faults_injected: totals.faults,
          calls_refused: 0,
          orders_lost: totals.lost,
          orders_doubled: totals.doubled,
        });
      },
    );
  });
});
