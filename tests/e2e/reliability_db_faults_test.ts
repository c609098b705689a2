/**
 * Reliability: the database API (PostgREST, behind the gateway's /rest/v1) becomes unreachable for part of a burst.
 *
 * The function's SUPABASE_URL points at a recording proxy in front of the gateway; the test cuts the proxy (nothing
 * listens: connections are refused) or holds one request, at a chosen moment. The simulator's traffic goes through a
 * second proxy that records every order placement with its client order id.
 *
 * Invariant in every step: no order reaches the venue unrecorded (every client id in a placement request has its
 * `orders` row or, until that row is written, its armed id in `armed_orders`), and after the database is back the next burst leaves the tables agreeing with the simulator.
 *
 * Faults and what must also hold:
 * - unreachable before the burst: 503 with "database unavailable", no request reaches any venue;
 * - unreachable when the entry ids are about to be armed (before the quote): no order is sent; 503 with a clear error;
 * - unreachable right after the venue accepted an armed entry (its rows are written after the send): 503; its armed
 *   id is its record, and the next burst adopts the order by client order id;
 * - a database request that never answers: the function's request timeout ends the wait and the burst still answers.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { DB_REQUEST_TIMEOUT_MS } from "../../supabase/functions/_shared/db.ts";
import {
  arrivedWithin,
  assertTablesMatchSimulator,
  burstBudgetMs,
  createOrderRequests,
  entryThen,
  invokeBurst,
  isCreateOrder,
  orderRows,
  positionRows,
  reportCounts,
  resentClientIds,
  resetTables,
  setPath,
  SIGNAL_TICKS,
  startRecordingProxy,
} from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { serverKey, type Stack, stackTest } from "../support/stack.ts";

const FILE = "reliability_db_faults";
const ETH = "ETH/USDT";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 41, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
const exchangeProxy = startRecordingProxy(sim.origin);
const dbProxy = startRecordingProxy();
globalThis.addEventListener("unload", () => {
  void exchangeProxy.stop();
  void dbProxy.stop();
  void sim.stop();
});

const totals = { faults: 0, refused: 0, lost: 0, doubled: 0 };

/**
 * Every placement that left for the venue since `firstRequest` was recorded before it left: its row in `orders`, or
 * the armed id it was sent with (made before the quote) while that row could not be written yet. A sent id is never
 * retired (a retired id is one reconciliation concluded the venue never saw).
 */
async function assertNothingSentUnrecorded(sql: Sql, firstRequest: number): Promise<void> {
  const creates = createOrderRequests(exchangeProxy.requests.slice(firstRequest));
  const rows = new Set((await orderRows(sql)).map((r) => r.client_order_id));
  const armed = await sql<{ client_order_id: string; status: string }[]>`
    select client_order_id, status from public.armed_orders`;
  const armedStatus = new Map(armed.map((r) => [r.client_order_id, r.status]));
  const unrecorded = creates.filter((c) => !rows.has(c.clientOrderId) && armedStatus.get(c.clientOrderId) !== "armed")
    .map((c) => c.clientOrderId);
  assert.deepEqual(unrecorded, [], "no order reached the venue without its record");
  const retiredButSent = creates.filter((c) => armedStatus.get(c.clientOrderId) === "retired");
  assert.deepEqual(retiredButSent, [], "no id that went out was retired as never sent");
  const resent = resentClientIds(creates);
  assert.deepEqual(resent, []);
  totals.lost += unrecorded.length;
  totals.doubled += resent.length;
}

async function expireDeadLeases(sql: Sql): Promise<void> {
  // What the TTL does (proven in reliability_overlap_test.ts), without waiting for it.
  await sql`update public.function_runs set lease_expires_at = started_at + interval '1 millisecond'
            where outcome = 'running' and lease_expires_at is not null`;
}

const burstBody = (durationMs: number) => ({ duration_ms: durationMs, venues: ["binance"], symbols: [ETH] });

stackTest("reliability: the database is unreachable during a burst", {
  functions: ["trade-burst"],
  functionEnv: {
    SUPABASE_URL: dbProxy.origin,
    BINANCE_API_KEY: sim.binance.apiKey,
    BINANCE_API_SECRET: sim.binance.secret,
    BINANCE_BASE_URL: `${exchangeProxy.origin}/binance`,
    EXCHANGE_TIMEOUT_MS: "2000",
  },
}, async (t, stack: Stack) => {
  dbProxy.upstream = stack.gatewayUrl;
  const invoke = (durationMs: number) => invokeBurst(stack.gatewayUrl, serverKey(stack), burstBody(durationMs));

  await withSql(stack.databaseUrl, async (sql) => {
    const begin = async () => {
      dbProxy.restore();
      await resetTables(sql);
      sim.market.setBalance("binance", "USDT", 10_000);
      return { since: Date.now(), firstRequest: exchangeProxy.requests.length };
    };

    await t.step("unreachable before the burst: a clear 503 and no request to any venue", async () => {
      const { firstRequest } = await begin();
      const before = sim.requestLog.lastId();
      await dbProxy.cut();
      totals.faults += 1;
      const res = await invoke(1000);
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.match(String(res.body.error), /^database unavailable: select bot_settings/);
      totals.refused += 1;
      assert.equal(sim.requestLog.list({ afterId: before }).length, 0, "no venue was called");
      dbProxy.restore();
      await assertNothingSentUnrecorded(sql, firstRequest);
    });

    await t.step("unreachable when the entry ids are about to be armed: nothing is sent", async () => {
      const { since, firstRequest } = await begin();
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
      const arm = dbProxy.hold("request", (r) => r.method === "POST" && r.path.startsWith("/rest/v1/armed_orders"));
      const pending = invoke(burstBudgetMs(SIGNAL_TICKS));
      await arrivedWithin(arm, 15_000, "the armed ids' insert");
      await dbProxy.cut(); // the held insert fails, and nothing listens any more
      totals.faults += 1;
      const res = await pending;
      assert.equal(res.status, 503, JSON.stringify(res.body));
      assert.match(String(res.body.error), /^database unavailable: /);
      totals.refused += 1;
      assert.equal(createOrderRequests(exchangeProxy.requests.slice(firstRequest)).length, 0, "nothing was sent");

      dbProxy.restore();
      assert.equal((await orderRows(sql)).length, 0);
      assert.equal((await positionRows(sql)).length, 0, "no position without its order");
      await expireDeadLeases(sql);
      const next = await invoke(burstBudgetMs(2));
      assert.equal(next.status, 200, JSON.stringify(next.body));
      await assertNothingSentUnrecorded(sql, firstRequest);
      await assertTablesMatchSimulator(sql, sim, "binance", since);
    });

    await t.step(
      "unreachable right after the venue accepted an armed entry: adopted by client id next time",
      async () => {
        const { since, firstRequest } = await begin();
        setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
        const accepted = exchangeProxy.hold("response", isCreateOrder);
        const pending = invoke(burstBudgetMs(SIGNAL_TICKS));
        await arrivedWithin(accepted, 15_000, "the entry's placement");
        await dbProxy.cut();
        totals.faults += 1;
        accepted.release();
        const res = await pending;
        assert.equal(res.status, 503, JSON.stringify(res.body));
        assert.match(String(res.body.error), /^database unavailable: /);
        totals.refused += 1;

        dbProxy.restore();
        const [sent] = createOrderRequests(exchangeProxy.requests.slice(firstRequest));
        assert.ok(sent, "the entry reached the venue");
        assert.equal((await orderRows(sql)).length, 0, "the venue's answer could not be written");
        const [armed] = await sql`select status from public.armed_orders where client_order_id = ${sent.clientOrderId}`;
        assert.equal(armed?.status, "armed", "its armed id is its record");
        await assertNothingSentUnrecorded(sql, firstRequest);
        await expireDeadLeases(sql);
        const next = await invoke(burstBudgetMs(2));
        assert.equal(next.status, 200, JSON.stringify(next.body));
        assert.equal(next.body.venues![0].armed?.adopted, 1, JSON.stringify(next.body.venues![0].armed));
        const [entry] = await orderRows(sql);
        assert.equal(entry.client_order_id, sent.clientOrderId);
        assert.ok(entry.exchange_order_id, "adopted by its client order id");
        const [fired] = await sql`select status from public.armed_orders where client_order_id = ${sent.clientOrderId}`;
        assert.equal(fired.status, "fired");
        await assertNothingSentUnrecorded(sql, firstRequest);
        const reconciled = await assertTablesMatchSimulator(sql, sim, "binance", since);
        totals.lost += reconciled.lost.length;
        totals.doubled += reconciled.doubled.length;
      },
    );

    await t.step("a database request that never answers: the request timeout ends the wait", async () => {
      const { firstRequest } = await begin();
      // The lease release at the end of the burst is held (never forwarded) until the function gives up on it.
      const release = dbProxy.hold("request", (r) => r.path.startsWith("/rest/v1/rpc/release_venue_lease"));
      const pending = invoke(burstBudgetMs(2));
      await arrivedWithin(release, 15_000, "the lease release");
      totals.faults += 1;
      const res = await pending;
      release.fail();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const venue = res.body.venues![0];
      assert.ok(
        venue.notes.some((n) => n.startsWith("lease release: DbError") && /abort|timeout|timed out/i.test(n)),
        `the timeout (${DB_REQUEST_TIMEOUT_MS} ms) is reported: ${JSON.stringify(venue.notes)}`,
      );
      await assertNothingSentUnrecorded(sql, firstRequest);
      reportCounts(FILE, "postgrest_unreachable_and_hung", {
        faults_injected: totals.faults,
        calls_refused: totals.refused,
        orders_lost: totals.lost,
        orders_doubled: totals.doubled,
      });
    });
  });
});
