/**
 * Reliability: overlapping bursts and dead leases.
 *
 * Fault: ten trade-burst calls for the same venue arrive at once (cron overlap, a double click, a retrying caller).
 * Must hold: exactly one takes the venue's lease and trades; the other nine skip the venue with `lease_held`; no client
 * order id reaches the venue twice; the tables match the simulator's book.
 *
 * Fault: the function process is SIGKILLed in the middle of a burst (Edge runtime crash, OOM, deploy).
 * Must hold: its lease stops blocking the venue once its TTL has passed (TTL = duration + exchange timeout + database
 * margin, so a short burst frees the venue quickly), the next burst marks it abandoned and trades.
 *
 * Traffic to the simulator goes through a recording proxy, so every order placement is counted with its client id.
 */
import assert from "node:assert/strict";
import { defaultBinanceConfig, defaultOkxConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { LEASE_DB_MARGIN_MS } from "../../supabase/functions/trade-burst/run_burst.ts";
import {
  assertTablesMatchSimulator,
  burstBudgetMs,
  createOrderRequests,
  entryThen,
  eventually,
  invokeBurst,
  orderRows,
  reportCounts,
  resentClientIds,
  resetTables,
  ROUND_TRIP_TICKS,
  setPath,
  startRecordingProxy,
} from "../support/reliability.ts";
import { withSql } from "../support/sql.ts";
import { serverKey, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const FILE = "reliability_overlap";
const EXCHANGE_TIMEOUT_MS = 2_000;
const ETH = "ETH/USDT";

const binanceConfig = defaultBinanceConfig();
binanceConfig.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 11, config: { binance: binanceConfig, okx: defaultOkxConfig() } });
const proxy = startRecordingProxy(sim.origin);
globalThis.addEventListener("unload", () => {
  void proxy.stop();
  void sim.stop();
});

stackTest("reliability: overlapping bursts and leases of dead bursts", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim, {
    via: proxy.origin,
    overrides: { EXCHANGE_TIMEOUT_MS: String(EXCHANGE_TIMEOUT_MS) },
  }),
}, async (t, stack) => {
  const invoke = (body: unknown) => invokeBurst(stack.gatewayUrl, serverKey(stack), body);

  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("ten bursts at once: one trades, nine skip with lease_held, no order is sent twice", async () => {
      await resetTables(sql);
      sim.market.setBalance("binance", "USDT", 10_000);
      const since = Date.now();
      const firstRequest = proxy.requests.length;
      setPath(sim, "binance", ETH, entryThen(3000, { bid: 3012, ask: 3012.5 }));

      const results = await Promise.all(
        Array.from(
          { length: 10 },
          () => invoke({ duration_ms: burstBudgetMs(ROUND_TRIP_TICKS), venues: ["binance"], symbols: [ETH] }),
        ),
      );
      assert.ok(
        results.every((r) => r.status === 200),
        JSON.stringify(results.map((r) => r.status === 200 ? 200 : { status: r.status, body: r.body })),
      );
      const venues = results.map((r) => r.body.venues![0]);
      const ran = venues.filter((v) => v.status === "ran");
      const skipped = venues.filter((v) => v.status === "skipped");
      assert.equal(ran.length, 1, "exactly one burst traded the venue");
      assert.equal(skipped.length, 9);
      assert.ok(skipped.every((v) => v.skip_reason === "lease_held"), JSON.stringify(skipped));
      assert.ok(skipped.every((v) => v.orders_sent === 0 && v.ticks === 0), "a skipped burst does nothing");
      assert.equal(ran[0].positions_opened, 1, JSON.stringify(ran[0]));
      assert.equal(ran[0].positions_closed, 1, "take profit closed it");

      const creates = createOrderRequests(proxy.requests.slice(firstRequest));
      assert.equal(creates.length, 2, "one entry and one exit reached the venue");
      assert.deepEqual(resentClientIds(creates), [], "no client order id sent twice");
      const rows = await orderRows(sql);
      assert.deepEqual(rows.map((r) => r.client_order_id).sort(), creates.map((c) => c.clientOrderId).sort());
      const reconciled = await assertTablesMatchSimulator(sql, sim, "binance", since);
      assert.equal(reconciled.simOrders.length, 2);

      const runs = await sql<{ venue: string | null; outcome: string }[]>`
        select venue, outcome from public.function_runs`;
      assert.equal(runs.filter((r) => r.venue === "binance").length, 1, "one lease row");
      assert.equal(runs.filter((r) => r.venue === null && r.outcome === "skipped").length, 9);
      assert.equal(runs.filter((r) => r.outcome === "running").length, 0, "every run finished");
      reportCounts(FILE, "ten_overlapping_bursts", {
        faults_injected: 9,
        calls_refused: skipped.length,
        orders_lost: reconciled.lost.length,
        orders_doubled: resentClientIds(creates).length + reconciled.doubled.length,
      });
    });

    await t.step("the lease of a killed burst expires after its TTL and the venue trades again", async () => {
      await resetTables(sql);
      const since = Date.now();
      const firstRequest = proxy.requests.length;
      const durationMs = 4000;
      const pending = invoke({ duration_ms: durationMs, venues: ["binance"], symbols: [ETH] }).catch((e) => e);
      const lease = await eventually("the burst took its lease", async () => {
        const [row] = await sql<{ id: string; ttl: number }[]>`
          select id::text, extract(epoch from lease_expires_at - started_at)::float8 as ttl
          from public.function_runs where venue = 'binance' and outcome = 'running'`;
        return row;
      });
      await stack.killFunction("trade-burst");
      const killed = await pending;
      assert.ok(killed instanceof Error || killed.status >= 500, "the caller learns the burst died");
      await stack.restartFunction("trade-burst");

      // The policy: the lease covers the budget, one exchange request in flight and the last database writes.
      const expectedTtl = Math.ceil((durationMs + EXCHANGE_TIMEOUT_MS + LEASE_DB_MARGIN_MS) / 1000);
      assert.equal(Math.round(lease.ttl), expectedTtl, "TTL = duration + exchange timeout + database margin");

      // Restarting the function on a busy machine can take longer than the TTL: hold the dead lease open while the
      // next burst is refused, then give it back its own expiry, so the refusal does not depend on how fast that was.
      const [{ expires }] = await sql<{ expires: Date }[]>`
        update public.function_runs set lease_expires_at = now() + interval '1 hour' where id = ${lease.id}
        returning (started_at + make_interval(secs => ${lease.ttl})) as expires`;
      const blocked = await invoke({ duration_ms: 1000, venues: ["binance"], symbols: [ETH] });
      assert.equal(blocked.status, 200);
      assert.equal(blocked.body.venues![0].skip_reason, "lease_held", "the dead lease still counts until its TTL");
      await sql`update public.function_runs set lease_expires_at = ${expires} where id = ${lease.id}`;

      // Bounded wait: at most the TTL (checked every 250 ms) plus a little.
      await eventually("the dead lease expired", async () => {
        const [row] = await sql<{ expired: boolean }[]>`
          select lease_expires_at < now() as expired from public.function_runs where id = ${lease.id}`;
        return row.expired ? true : undefined;
      }, { attempts: expectedTtl * 4 + 20, intervalMs: 250 });

      const after = await invoke({ duration_ms: burstBudgetMs(2), venues: ["binance"], symbols: [ETH] });
      assert.equal(after.status, 200, JSON.stringify(after.body));
      assert.equal(after.body.venues![0].status, "ran", JSON.stringify(after.body.venues![0]));
      const [dead] = await sql<{ outcome: string; error: string }[]>`
        select outcome, error from public.function_runs where id = ${lease.id}`;
      assert.equal(dead.outcome, "abandoned");
      assert.equal(dead.error, "lease expired");
      reportCounts(FILE, "killed_burst_lease_expiry", {
        faults_injected: 1,
        calls_refused: 1,
        orders_lost: (await assertTablesMatchSimulator(sql, sim, "binance", since)).lost.length,
        orders_doubled: resentClientIds(createOrderRequests(proxy.requests.slice(firstRequest))).length,
      });
    });
  });
});
