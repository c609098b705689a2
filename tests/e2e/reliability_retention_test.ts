/**
 * Reliability: bounded growth. Latency samples arrive every few seconds and every invocation writes a run row; only
 * retention keeps those tables from growing without bound.
 *
 * Fault: weeks of history (thousands of old rows), plus the leftovers of crashes: a dead burst's lease on a venue that
 * was never traded again (no later burst marks it abandoned).
 * Must hold after `prune_old_rows()` called through the API as the service role: no latency sample older than
 * `latency_retention_days` and no finished run older than `run_log_retention_days` remains, every row inside the
 * windows is kept, a live lease is untouched, the dead lease is finished as abandoned and ages out like any other run,
 * a second call deletes nothing, and anon cannot call it. Changing the retention setting moves the limit.
 */
import assert from "node:assert/strict";
import { reportCounts } from "../support/reliability.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { clientKey, gatewayClient, serverKey, stackTest } from "../support/stack.ts";

const FILE = "reliability_retention";
const LATENCY_ROWS = 6000;
const RUN_ROWS = 3000;

async function seedHistory(sql: Sql): Promise<void> {
  await sql`delete from public.latency_logs`;
  await sql`delete from public.function_runs`;
  // One sample every 5 minutes for ~21 days, alternating venues; every tenth one failed.
  await sql`
    insert into public.latency_logs (venue, latency_ms, success, ts)
    select case when i % 2 = 0 then 'binance' else 'okx' end,
           case when i % 10 = 0 then null else 20 + i % 50 end,
           i % 10 <> 0,
           now() - make_interval(mins => i * 5)
    from generate_series(0, ${LATENCY_ROWS - 1}) as i`;
  // A finished run every 15 minutes for ~31 days.
  await sql`
    insert into public.function_runs (function_name, venue, started_at, finished_at, outcome, duration_ms)
    select 'latency-sample', null, now() - make_interval(mins => i * 15),
           now() - make_interval(mins => i * 15) + interval '2 seconds', 'ok', 2000
    from generate_series(0, ${RUN_ROWS - 1}) as i`;
  // A live burst on binance (recorded first: any run recorded after the dead lease would finish it at once, issue 14;
  // here only the prune may).
  await sql`
    insert into public.function_runs (function_name, venue, started_at, lease_expires_at, outcome)
    values ('trade-burst', 'binance', now(), now() + interval '60 seconds', 'running')`;
  // A burst that died 20 days ago on okx, never traded since: its lease expired long ago, nobody abandoned it.
  await sql`
    insert into public.function_runs (function_name, venue, started_at, lease_expires_at, outcome)
    values ('trade-burst', 'okx', now() - interval '20 days', now() - interval '20 days' + interval '75 seconds',
            'running')`;
}

stackTest("reliability: retention keeps latency samples and run logs under their limits", {
  functions: false,
}, async (t, stack) => {
  const service = gatewayClient(stack, serverKey(stack));
  const anon = gatewayClient(stack, clientKey(stack));

  await withSql(stack.databaseUrl, async (sql) => {
    await t.step("weeks of history are pruned to the configured windows; live rows are kept", async () => {
      await sql`update public.bot_settings set latency_retention_days = 7, run_log_retention_days = 14 where id = 1`;
      await seedHistory(sql);
      const [expected] = await sql<{ latency_kept: number; runs_kept: number }[]>`
        select (select count(*) from public.latency_logs where ts >= now() - interval '7 days')::int as latency_kept,
               (select count(*) from public.function_runs
                 where outcome <> 'running' and finished_at >= now() - interval '14 days')::int as runs_kept`;

      const refused = await anon.rpc("prune_old_rows");
      assert.ok(refused.error, "anon may not prune");
      const { data, error } = await service.rpc("prune_old_rows");
      assert.equal(error, null, JSON.stringify(error));
      const result = data as Record<string, unknown>;

      const [after] = await sql<
        {
          latency_rows: number;
          latency_oldest_ok: boolean;
          runs_finished: number;
          runs_oldest_ok: boolean;
          live_lease: number;
          dead_lease: number;
        }[]
      >`
        select (select count(*) from public.latency_logs)::int as latency_rows,
               (select coalesce(min(ts) >= ${result.latency_cutoff as string}::timestamptz, true)
                  from public.latency_logs) as latency_oldest_ok,
               (select count(*) from public.function_runs where outcome <> 'running')::int as runs_finished,
               (select coalesce(min(finished_at) >= ${result.run_log_cutoff as string}::timestamptz, true)
                  from public.function_runs where outcome <> 'running') as runs_oldest_ok,
               (select count(*) from public.function_runs
                 where venue = 'binance' and outcome = 'running')::int as live_lease,
               (select count(*) from public.function_runs where venue = 'okx')::int as dead_lease`;
      assert.ok(after.latency_oldest_ok, "no latency sample older than latency_retention_days");
      assert.equal(after.latency_rows, expected.latency_kept, "every sample inside the window is kept");
      assert.equal(result.latency_logs_deleted, LATENCY_ROWS - expected.latency_kept);
      assert.ok(after.runs_oldest_ok, "no finished run older than run_log_retention_days");
      assert.equal(after.runs_finished, expected.runs_kept, "every finished run inside the window is kept");
      assert.equal(after.live_lease, 1, "the live lease is untouched");
      assert.equal(result.expired_leases_abandoned, 1, "the dead lease was finished as abandoned");
      assert.equal(after.dead_lease, 0, "and, dead for 20 days, it aged out with the other old runs");

      const again = await service.rpc("prune_old_rows");
      assert.equal(again.error, null);
      const second = again.data as Record<string, number>;
      assert.deepEqual(
        [second.latency_logs_deleted, second.function_runs_deleted, second.expired_leases_abandoned],
        [0, 0, 0],
        "a second call finds nothing more",
      );
      reportCounts(FILE, "weeks_of_history_and_a_dead_lease", {
        faults_injected: 1,
        calls_refused: 1,
        orders_lost: 0,
        orders_doubled: 0,
        rows_pruned: (result.latency_logs_deleted as number) + (result.function_runs_deleted as number),
      });
    });

    await t.step("a shorter retention setting moves the limit at the next prune", async () => {
      await sql`update public.bot_settings set latency_retention_days = 1, run_log_retention_days = 2 where id = 1`;
      const { data, error } = await service.rpc("prune_old_rows");
      assert.equal(error, null, JSON.stringify(error));
      const [left] = await sql<{ old_latency: number; old_runs: number }[]>`
        select (select count(*) from public.latency_logs where ts < now() - interval '1 day')::int as old_latency,
               (select count(*) from public.function_runs
                 where outcome <> 'running' and finished_at < now() - interval '2 days')::int as old_runs`;
      assert.deepEqual(left, { old_latency: 0, old_runs: 0 });
      assert.ok((data as Record<string, number>).latency_logs_deleted > 0);
      await sql`update public.bot_settings set latency_retention_days = 7, run_log_retention_days = 14 where id = 1`;
    });
  });
});
