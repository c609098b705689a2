/**
 * Reliability: the venue misbehaves during a burst (testnet mode against the simulator, faults from its injector or
 * from a recording proxy between the function and the simulator).
 *
 * In every step the burst must return, finish its run rows, end inside its budget (duration_ms <= requested duration
 * + one exchange request timeout: no request starts after the budget, at most one is in flight), and every order the
 * simulator holds must be in `orders` with the venue's status, fill and fee, with no client order id sent twice.
 *
 * Faults and what must also hold:
 * - 429 storm with Retry-After: no request before the venue's Retry-After has passed, and after
 *   BREAKER_FAILURE_THRESHOLD failures the circuit breaker stops all calls (requests <= threshold + one trial per
 *   cool-down);
 * - 418 ban with a Retry-After longer than the burst: exactly one request reaches the venue during the ban;
 * - 5xx storm: retried with backoff, then the breaker stops the calls; outcome `partial` with the errors counted;
 * - hangs past the exchange timeout: the burst still ends inside its budget;
 * - Binance's 503 "unknown" answer to an order it executed: found by client order id and recorded, never resent;
 * - a garbled answer to an order the venue executed: looked up and recorded, never marked rejected;
 * - an order answered after the client's timeout: never resent, the tables end up agreeing with the venue;
 * - malformed quote bodies: counted as quote errors, the burst carries on;
 * - OKX end to end (not a fault, first run of trade-burst on OKX): entry and take profit, PnL from the venue's fills.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import type { SimTrade, VenueId } from "../../dev/sim/types.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  BREAKER_COOL_DOWN_MS,
  BREAKER_FAILURE_THRESHOLD,
} from "../../supabase/functions/_shared/exchange/venue_factory.ts";
import {
  arrivedWithin,
  assertTablesMatchSimulator,
  burstBudgetMs,
  createOrderRequests,
  entryThen,
  eventually,
  invokeBurst,
  isCreateOrder,
  orderRows,
  positionRows,
  reportCounts,
  resentClientIds,
  resetTables,
  rising,
  ROUND_TRIP_TICKS,
  setPath,
  SIGNAL_TICKS,
  startRecordingProxy,
  type VenueResult,
} from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { serverKey, type Stack, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const FILE = "reliability_exchange_faults";
const EXCHANGE_TIMEOUT_MS = 2_000;
const ETH = "ETH/USDT";
const QUOTES = "/api/v3/ticker/bookTicker";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const okxConfig = defaultOkxConfig();
okxConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 31, config: { binance: binanceConfig, okx: okxConfig } });
const account = sim.engines.binance.listAccounts()[0].id;
const proxy = startRecordingProxy(sim.origin);
globalThis.addEventListener("unload", () => {
  void proxy.stop();
  void sim.stop();
});

const totals = { faults: 0, refused: 0, lost: 0, doubled: 0 };

interface Outcome {
  venue: VenueResult;
  /** Simulator requests of the venue during the burst. */
  requests: ReturnType<typeof sim.requestLog.list>;
}

/**
 * Runs one burst on `venue` and checks what every step must hold: it returned, within its budget, with its run rows
 * finished, and the tables agree with the simulator with nothing sent twice. Counts the faults that hit.
 */
async function burst(
  stack: Stack,
  sql: Sql,
  options: { venue?: VenueId; durationMs: number; since: number; firstRequest: number },
): Promise<Outcome> {
  const venueId = options.venue ?? "binance";
  const before = sim.requestLog.lastId();
  const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), {
    duration_ms: options.durationMs,
    venues: [venueId],
    symbols: [ETH],
  });
  const requests = sim.requestLog.list({ venue: venueId, afterId: before });
  assert.ok(res.status === 200 || res.status === 502, JSON.stringify(res.body));
  const venue = res.body.venues![0];
  assert.ok(
    (res.body.duration_ms as number) <= options.durationMs + EXCHANGE_TIMEOUT_MS,
    `duration ${res.body.duration_ms} ms within ${options.durationMs} + ${EXCHANGE_TIMEOUT_MS} ms`,
  );
  const running = await sql`select id from public.function_runs where outcome = 'running' or finished_at is null`;
  assert.equal(running.length, 0, "every run row is finished");

  const reconciled = await assertTablesMatchSimulator(sql, sim, venueId, options.since);
  const resent = resentClientIds(createOrderRequests(proxy.requests.slice(options.firstRequest)));
  assert.deepEqual(resent, [], "no client order id sent twice");
  totals.faults += requests.filter((r) => r.fault !== undefined).length;
  totals.refused += venue.notes.filter((n) => /circuit open|time budget/i.test(n)).length;
  totals.lost += reconciled.lost.length;
  totals.doubled += resent.length + reconciled.doubled.length;
  return { venue, requests };
}

stackTest("reliability: exchange faults during a burst", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim, {
    via: proxy.origin,
    overrides: { EXCHANGE_TIMEOUT_MS: String(EXCHANGE_TIMEOUT_MS) },
  }),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    const begin = async () => {
      sim.faults.clear();
      await resetTables(sql);
      sim.market.setBalance("binance", "USDT", 10_000);
      sim.market.setBalance("okx", "USDT", 10_000);
      return { since: Date.now(), firstRequest: proxy.requests.length };
    };
    const maxStormRequests = (durationMs: number) =>
      BREAKER_FAILURE_THRESHOLD + Math.ceil(durationMs / BREAKER_COOL_DOWN_MS);

    await t.step("429s with Retry-After: no request reaches the venue before Retry-After has passed", async () => {
      const start = await begin();
      sim.faults.add({ venue: "binance", kind: "rate_limit", path: QUOTES, retryAfterSeconds: 1 });
      const { venue, requests } = await burst(stack, sql, { ...start, durationMs: 4000 });
      const storm = requests.filter((r) => r.path === QUOTES);
      assert.ok(storm.length >= 2 && storm.every((r) => r.status === 429), `${storm.length} quote requests`);
      assert.ok(storm.length <= maxStormRequests(4000), `${storm.length} quote requests during the storm`);
      for (let i = 1; i < storm.length; i++) {
        const gap = storm[i].arrivedAtMs - storm[i - 1].arrivedAtMs;
        // Retry-After: 1 s. A small allowance for the two clocks' rounding, not for speed.
        assert.ok(gap >= 950, `request ${i} came ${gap} ms after a 429 that said Retry-After: 1`);
      }
      assert.ok(venue.quote_errors > 0);
      const [run] = await sql<{ outcome: string }[]>`select outcome from public.function_runs where venue = 'binance'`;
      assert.equal(run.outcome, "partial", "the lease row says the burst was hurt");
    });

    await t.step("a 429 storm: after the breaker's threshold the venue is left alone", async () => {
      const start = await begin();
      sim.faults.add({ venue: "binance", kind: "rate_limit", path: QUOTES, retryAfterSeconds: 0 });
      // Room for the storm's slow ticks (retries) and then the ticks the open breaker lets pass without a call.
      const durationMs = burstBudgetMs(12);
      const { venue, requests } = await burst(stack, sql, { ...start, durationMs });
      const storm = requests.filter((r) => r.path === QUOTES);
      // Without the breaker every 100 ms tick would send one (plus retries): about 80 requests.
      assert.ok(storm.length <= maxStormRequests(durationMs), `${storm.length} quote requests during the storm`);
      assert.ok(venue.ticks > storm.length, `ticks (${venue.ticks}) went on without calling the venue`);
      assert.ok(venue.notes.some((n) => /circuit open/.test(n)), JSON.stringify(venue.notes));
    });

    await t.step("a 418 ban longer than the burst: one request, then nothing until it ends", async () => {
      const start = await begin();
      // The ban starts once the markets are loaded (mid-burst) and covers every endpoint.
      const marketsLoaded = proxy.hold("response", (r) => r.path.includes("/api/v3/exchangeInfo"));
      const pending = burst(stack, sql, { ...start, durationMs: 3000 });
      await arrivedWithin(marketsLoaded, 10_000, "exchangeInfo");
      sim.faults.add({ venue: "binance", kind: "ban", path: "/api/v3/*", retryAfterSeconds: 60 });
      marketsLoaded.release();
      const { requests } = await pending;
      const banned = requests.filter((r) => r.fault === "ban");
      assert.equal(banned.length, 1, `requests during the ban: ${requests.map((r) => r.path).join(", ")}`);
      assert.equal(requests.filter((r) => r.fault === undefined && !r.path.includes("exchangeInfo")).length, 0);
    });

    await t.step("a 5xx storm: retried with backoff, then the breaker stops the calls", async () => {
      const start = await begin();
      sim.faults.add({ venue: "binance", kind: "server_error", status: 502, path: QUOTES });
      const { venue, requests } = await burst(stack, sql, { ...start, durationMs: 4000 });
      const storm = requests.filter((r) => r.path === QUOTES);
      assert.ok(storm.length >= 1 && storm.length <= maxStormRequests(4000), `${storm.length} quote requests`);
      assert.ok(venue.quote_errors > 0 && venue.status === "ran");
    });

    await t.step("hangs past the exchange timeout: the burst still ends inside its budget", async () => {
      const start = await begin();
      sim.faults.add({ venue: "binance", kind: "hang", path: QUOTES, hangMs: 10_000 });
      const { venue } = await burst(stack, sql, { ...start, durationMs: 4000 });
      assert.ok(venue.quote_errors > 0, JSON.stringify(venue));
      assert.ok(venue.notes.some((n) => /RequestTimeout|timed? ?out/i.test(n)), JSON.stringify(venue.notes));
    });

    await t.step("Binance's 503 unknown answer to an executed order: found by client id, never resent", async () => {
      const start = await begin();
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
      sim.faults.add({
        venue: "binance",
        kind: "unknown_after_place",
        path: "/api/v3/order",
        method: "POST",
        times: 1,
      });
      const { requests } = await burst(stack, sql, { ...start, durationMs: burstBudgetMs(ROUND_TRIP_TICKS) });
      assert.equal(requests.filter((r) => r.fault === "unknown_after_place").length, 1);
      const [entry] = await orderRows(sql);
      assert.ok(entry.exchange_order_id, "recorded with the venue's id");
      assert.equal(entry.order_status, "filled");
      const creates = createOrderRequests(proxy.requests.slice(start.firstRequest));
      assert.equal(creates.filter((c) => c.clientOrderId === entry.client_order_id).length, 1, "sent once");
      assert.equal((await positionRows(sql))[0].status, "open");
    });

    await t.step("a garbled answer to an executed order: looked up, never marked rejected", async () => {
      const start = await begin();
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 2999.9, ask: 3000 }));
      proxy.replaceNextResponse(isCreateOrder, { status: 200, body: '{"symbol":"ETHUSDT","orderId":12' });
      totals.faults += 1;
      await burst(stack, sql, { ...start, durationMs: burstBudgetMs(ROUND_TRIP_TICKS) });
      const [entry] = await orderRows(sql);
      assert.notEqual(entry.order_status, "rejected", entry.last_error ?? "");
      assert.equal(entry.order_status, "filled", JSON.stringify(entry));
      assert.equal((await positionRows(sql))[0].status, "open");
    });

    await t.step("an order answered after the client's timeout: never resent, the tables agree", async () => {
      const start = await begin();
      setPath(sim, "binance", ETH, rising(3000, 10));
      // The simulator waits 3 s before it executes the placement; the client gives up after 2 s.
      sim.faults.add({
        venue: "binance",
        kind: "latency",
        latencyMs: EXCHANGE_TIMEOUT_MS + 1000,
        path: "/api/v3/order",
        method: "POST",
        times: 1,
      });
      await burst(stack, sql, { ...start, durationMs: burstBudgetMs(SIGNAL_TICKS) });
      const [entry] = await orderRows(sql);
      assert.ok(entry, "the entry was recorded before it was sent");
      // Bounded wait until the simulator has executed the late placement, then the next burst reconciles it.
      await eventually(
        "the late placement reached the simulator",
        () =>
          sim.engines.binance.allOrders(account).some((o) => o.clientOrderId === entry.client_order_id) || undefined,
        { attempts: 600, intervalMs: 50 },
      );
      await burst(stack, sql, { ...start, durationMs: burstBudgetMs(2) });
      const [after] = await orderRows(sql);
      assert.equal(after.order_status, "open", "found by client order id and recorded as the venue has it");
      assert.ok(after.exchange_order_id);
      const creates = createOrderRequests(proxy.requests.slice(start.firstRequest));
      assert.equal(creates.filter((c) => c.clientOrderId === entry.client_order_id).length, 1, "sent once");
    });

    await t.step("malformed quote bodies: counted as quote errors, the burst carries on", async () => {
      const start = await begin();
      sim.faults.add({ venue: "binance", kind: "malformed", path: QUOTES, times: 2 });
      // Two malformed answers and at least one good tick after them.
      const { venue } = await burst(stack, sql, { ...start, durationMs: burstBudgetMs(4) });
      assert.equal(venue.status, "ran");
      assert.ok(venue.quote_errors >= 1, JSON.stringify(venue));
      assert.ok(venue.ticks > venue.quote_errors, "later ticks got good quotes");
    });

    await t.step("OKX end to end: an entry and a take profit, PnL from the venue's fills", async () => {
      const start = await begin();
      setPath(sim, "okx", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));
      const { venue } = await burst(stack, sql, {
        ...start,
        venue: "okx",
        durationMs: burstBudgetMs(ROUND_TRIP_TICKS),
      });
      assert.equal(venue.positions_opened, 1, JSON.stringify(venue));
      assert.equal(venue.positions_closed, 1);
      const [entry, exit] = await orderRows(sql);
      assert.deepEqual([entry.purpose, entry.order_status, exit.purpose, exit.order_status], [
        "entry",
        "filled",
        "exit",
        "filled",
      ]);
      const account = sim.engines.okx.listAccounts()[0].id;
      const trades = sim.engines.okx.myTrades(account, { symbol: ETH, since: start.since });
      const of = (id: string) => trades.filter((x) => x.clientOrderId === id);
      const sum = (list: SimTrade[], f: (x: SimTrade) => number) => list.reduce((s, x) => s + f(x), 0);
      const inTrades = of(entry.client_order_id);
      const outTrades = of(exit.client_order_id);
      // Fees in the asset received (base on the buy, quote on the sell), as the simulator charges them.
      assert.ok(inTrades.every((x) => x.feeAsset === "ETH") && outTrades.every((x) => x.feeAsset === "USDT"));
      const held = sum(inTrades, (x) => x.amount) - sum(inTrades, (x) => x.fee);
      const pnl = sum(outTrades, (x) => x.cost) - sum(outTrades, (x) => x.fee) -
        sum(inTrades, (x) => x.cost) * (sum(outTrades, (x) => x.amount) / held);
      const [position] = await positionRows(sql);
      assert.equal(position.status, "closed");
      assert.equal(position.exit_reason, "take_profit");
      assert.ok(Math.abs(Number(position.realized_pnl) - pnl) < 1e-8, `${position.realized_pnl} vs ${pnl}`);
      reportCounts(FILE, "exchange_faults_and_okx", {
        faults_injected: totals.faults,
        calls_refused: totals.refused,
        orders_lost: totals.lost,
        orders_doubled: totals.doubled,
      });
    });
  });
});
