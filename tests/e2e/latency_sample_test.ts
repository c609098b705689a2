/**
 * latency-sample end to end: the function over HTTP through the local stack, ccxt timing the simulator's server-time
 * endpoint, with latency and failures injected by the simulator. Latency is injected as a delay, so it is a lower
 * bound on what the function can measure: the assertions lean only on that. A busy machine adds latency of its own,
 * so the band step widens the bands (bot_settings.latency_bands) until that noise cannot push the fast venue across
 * into the slow venue's band.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../dev/sim/server.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { clientKey, keyHeaders, serverKey, stackTest } from "../support/stack.ts";

const sim = await startSimulator({ seed: 7 });
globalThis.addEventListener("unload", () => void sim.stop());

const TIME_PATH = { binance: "/api/v3/time", okx: "/api/v5/public/time" } as const;

/** Seconds wide: a fast venue (20 ms injected) stays out of defensive unless load adds over 2.5 s per sample. */
const WIDE_BANDS = [
  { name: "aggressive", max_ms: 1500, min_spread_pct: 0.03, size_usd: 600, throttle: 1 },
  { name: "normal", max_ms: 2000, min_spread_pct: 0.05, size_usd: 550, throttle: 0.9 },
  { name: "cautious", max_ms: 2500, min_spread_pct: 0.07, size_usd: 500, throttle: 0.7 },
  { name: "defensive", max_ms: null, min_spread_pct: 0.1, size_usd: 350, throttle: 0.5 },
];
/** Above the widest cautious band: a floor on what okx measures, so it is defensive whatever the load. */
const SLOW_MS = 3000;

interface LogRow {
  venue: string;
  latency_ms: number | null;
  success: boolean;
  error: string | null;
}

async function logs(sql: Sql, venue: string, afterId = 0): Promise<LogRow[]> {
  return await sql<LogRow[]>`
    select venue, latency_ms::float8 as latency_ms, success, error from public.latency_logs
    where venue = ${venue} and id > ${afterId} order by id`;
}

async function maxLogId(sql: Sql): Promise<number> {
  const [row] = await sql<{ id: number }[]>`select coalesce(max(id), 0)::int as id from public.latency_logs`;
  return row.id;
}

async function connection(sql: Sql, venue: string) {
  const [row] = await sql<
    {
      latency_last_ms: number | null;
      latency_avg_ms: number | null;
      latency_max_ms: number | null;
      latency_band: string | null;
      latency_updated_at: Date | null;
    }[]
  >`select latency_last_ms::float8 as latency_last_ms, latency_avg_ms::float8 as latency_avg_ms,
           latency_max_ms::float8 as latency_max_ms, latency_band, latency_updated_at
    from public.exchange_connections where exchange_name = ${venue}`;
  return row;
}

stackTest("latency-sample end to end against the simulator", {
  functions: ["latency-sample"],
  // The timeout leaves room for SLOW_MS plus whatever a busy machine adds.
  functionEnv: { BINANCE_BASE_URL: sim.binance.baseUrl, OKX_BASE_URL: sim.okx.baseUrl, EXCHANGE_TIMEOUT_MS: "20000" },
}, async (t, stack) => {
  const url = `${stack.gatewayUrl}/functions/v1/latency-sample`;
  const invoke = async (body: string | undefined, key: string | null = serverKey(stack)) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) Object.assign(headers, keyHeaders(key));
    const res = await fetch(url, { method: "POST", headers, body });
    return { status: res.status, body: await res.json() };
  };

  await withSql(stack.databaseUrl, async (sql) => {
    const writes = async () => {
      const [row] = await sql<{ logs: number; runs: number }[]>`
        select (select count(*)::int from public.latency_logs) as logs,
               (select count(*)::int from public.function_runs) as runs`;
      return row;
    };

    await t.step("wrong callers and bad bodies are refused and write nothing", async () => {
      assert.equal((await invoke("{}", null)).status, 401);
      assert.equal((await invoke("{}", clientKey(stack))).status, 403);
      assert.equal((await invoke("{}", stack.authenticatedKey)).status, 403);
      const tooMany = await invoke(JSON.stringify({ samples: 21 }));
      assert.equal(tooMany.status, 400);
      assert.equal(tooMany.body.issues[0].path, "samples");
      const spacing = await invoke(JSON.stringify({ spacing_ms: -1 }));
      assert.equal(spacing.body.issues[0].path, "spacing_ms");
      const unknown = await invoke(JSON.stringify({ samples: 2, venue: "okx" }));
      assert.equal(unknown.status, 400);
      assert.equal(unknown.body.issues[0].path, "venue");
      const wrongType = await invoke(JSON.stringify({ samples: "5" }));
      assert.equal(wrongType.body.issues[0].path, "samples");
      assert.deepEqual(await writes(), { logs: 0, runs: 0 });
      assert.equal((await connection(sql, "binance")).latency_band, null);
    });

    await t.step("about 20 ms vs 3 s of injected latency puts the venues in different bands", async () => {
      await sql`update public.bot_settings set latency_bands = ${sql.json(WIDE_BANDS)} where id = 1`;
      sim.faults.add({ venue: "binance", kind: "latency", path: TIME_PATH.binance, latencyMs: 20 });
      sim.faults.add({ venue: "okx", kind: "latency", path: TIME_PATH.okx, latencyMs: SLOW_MS });
      const res = await invoke(JSON.stringify({ samples: 5, spacing_ms: 0 }));
      sim.faults.clear();
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, "ok");

      const binance = await logs(sql, "binance");
      const okx = await logs(sql, "okx");
      assert.equal(binance.length, 5);
      assert.equal(okx.length, 5);
      // The injected delay is a floor on every measured sample.
      assert.ok(binance.every((r) => r.success && r.latency_ms! >= 20), JSON.stringify(binance));
      assert.ok(okx.every((r) => r.success && r.latency_ms! >= SLOW_MS), JSON.stringify(okx));

      const b = await connection(sql, "binance");
      const o = await connection(sql, "okx");
      assert.equal(o.latency_band, "defensive", "3 s is above the cautious band's 2.5 s");
      assert.notEqual(b.latency_band, o.latency_band, `binance avg ${b.latency_avg_ms} ms`);
      assert.ok(b.latency_avg_ms! < o.latency_avg_ms!);
      assert.equal(b.latency_last_ms, binance.at(-1)!.latency_ms);
      assert.equal(b.latency_max_ms, Math.max(...binance.map((r) => r.latency_ms!)));
      assert.ok(b.latency_updated_at);
      // The answer reports the same picture.
      const summary = Object.fromEntries(res.body.venues.map((v: { venue: string }) => [v.venue, v]));
      assert.equal(summary.okx.band, "defensive");
      assert.equal(summary.binance.band, b.latency_band);
      const [run] = await sql`select outcome, duration_ms from public.function_runs`;
      assert.equal(run.outcome, "ok");
      assert.ok(run.duration_ms >= 0);
      await sql`update public.bot_settings set latency_bands = default where id = 1`;
    });

    await t.step("injected failures are logged as failures, with no latency figure", async () => {
      const after = await maxLogId(sql);
      sim.faults.add({ venue: "okx", kind: "server_error", path: TIME_PATH.okx, status: 503, times: 2 });
      const res = await invoke(JSON.stringify({ venues: ["okx"], samples: 4, spacing_ms: 0 }));
      assert.equal(res.status, 200);
      assert.equal(res.body.outcome, "partial");
      const rows = await logs(sql, "okx", after);
      assert.equal(rows.length, 4);
      const failed = rows.filter((r) => !r.success);
      assert.equal(failed.length, 2);
      for (const row of failed) {
        assert.equal(row.latency_ms, null);
        assert.match(row.error ?? "", /TemporaryExchangeError: fetchServerTime/);
      }
      assert.ok(rows.filter((r) => r.success).every((r) => typeof r.latency_ms === "number"));
      assert.deepEqual(res.body.venues.map((v: { venue: string }) => v.venue), ["okx"]);
      assert.equal(res.body.venues[0].failures, 2);
      assert.equal((await logs(sql, "binance", after)).length, 0, "binance was not asked for");
    });

    await t.step("a venue whose recent samples mostly fail is defensive whatever its average", async () => {
      const after = await maxLogId(sql);
      // binance so far: 5 fast successes. Five failures make the ratio 5/10, at the 0.5 threshold.
      sim.faults.add({ venue: "binance", kind: "server_error", path: TIME_PATH.binance, status: 502 });
      const res = await invoke(JSON.stringify({ venues: ["binance"], samples: 5, spacing_ms: 0 }));
      sim.faults.clear();
      assert.equal(res.status, 200);
      assert.equal(res.body.outcome, "error");
      assert.ok((await logs(sql, "binance", after)).every((r) => !r.success && r.latency_ms === null));
      const b = await connection(sql, "binance");
      assert.equal(b.latency_band, "defensive");
      assert.equal(b.latency_last_ms, null, "the newest sample failed: no last figure");
      assert.ok(b.latency_avg_ms! >= 20, "the average still covers the successful samples only");
      assert.equal(res.body.venues[0].band_reason, "failure_ratio");
    });
  });
});
