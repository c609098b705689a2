/**
 * trade-burst when a venue refuses our keys (issue 8). The fault: the function's API keys are unknown to the venue
 * (rotated, revoked, a typo in the secrets), so every private call answers an authentication error.
 * What must hold: the venue's burst stops at its first refusal (no private request is repeated, however long the
 * burst was asked to run), nothing is recorded or sent, and the refusal is an error in the answer, in the venue's
 * lease row and in the invocation's run row. A venue whose keys work meanwhile trades on, and the run is `partial`.
 */
import assert from "node:assert/strict";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import { randomSecret } from "../support/hostile.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { invokeBurst, resetTables, rising, setPath, type VenueResult } from "../support/reliability.ts";
import { withSql } from "../support/sql.ts";
import { serverKey, stackTest } from "../support/stack.ts";

const ETH = "ETH/USDT";
const config = defaultSimConfig();
config.binance.priceStepIntervalMs = 200;
config.okx.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 97, config });
globalThis.addEventListener("unload", () => void sim.stop());

// Keys the simulator does not know (until the second step registers binance's).
const keys = {
  BINANCE_API_KEY: randomSecret(),
  BINANCE_API_SECRET: randomSecret(),
  OKX_API_KEY: randomSecret(),
  OKX_API_SECRET: randomSecret(),
  OKX_PASSPHRASE: `Pp-${randomSecret(12)}`,
};
const BURST = { duration_ms: 4000, symbols: [ETH] };

interface RunRow {
  venue: string | null;
  outcome: string;
  error: string | null;
}

/** Private requests the simulator saw per venue after `afterId`, as `METHOD path status`. */
function privateRequests(afterId: number): Record<string, string[]> {
  const out: Record<string, string[]> = { binance: [], okx: [] };
  for (const r of sim.requestLog.list({ afterId, private: true })) {
    out[r.venue]?.push(`${r.method} ${r.path} ${r.status}`);
  }
  return out;
}

function scriptUpMove(): void {
  for (const venue of ["binance", "okx"] as const) setPath(sim, venue, ETH, rising(3000, 20));
}

stackTest("trade-burst stops a venue at its first authentication error", {
  functions: ["trade-burst"],
  functionEnv: simulatorEnv(sim, { overrides: keys }),
}, async (t, stack) => {
  await withSql(stack.databaseUrl, async (sql) => {
    const runs = () =>
      sql<RunRow[]>`select venue, outcome, error from public.function_runs where function_name = 'trade-burst'
                    order by venue nulls first`;

    await t.step("both venues refuse the keys: one private request each, 502, errors in every row", async () => {
      await resetTables(sql);
      scriptUpMove();
      const before = sim.requestLog.lastId();
      const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), BURST);
      assert.equal(res.status, 502, JSON.stringify(res.body));
      const venues = res.body.venues as (VenueResult & { error_kind?: string })[];
      assert.deepEqual(venues.map((v) => v.venue).sort(), ["binance", "okx"]);
      for (const venue of venues) {
        assert.equal(venue.status, "error", JSON.stringify(venue));
        assert.equal(venue.error_kind, "needs_human");
        assert.match(venue.error ?? "", /NeedsHumanError.*AuthenticationError/, venue.venue);
        assert.equal(venue.ticks, 1, `${venue.venue} stopped on its first tick`);
        assert.equal(venue.orders_sent, 0);
      }
      const seen = privateRequests(before);
      assert.equal(seen.binance.length, 1, `binance: ${seen.binance.join(", ")}`);
      assert.equal(seen.okx.length, 1, `okx: ${seen.okx.join(", ")}`);
      assert.match(seen.binance[0], /^GET \/api\/v3\/account 40[13]$/);
      assert.match(seen.okx[0], /^GET \/api\/v5\/account\/balance 40[13]$/);

      const rows = await runs();
      assert.deepEqual(rows.map((r) => [r.venue, r.outcome]), [[null, "error"], ["binance", "error"], [
        "okx",
        "error",
      ]]);
      assert.match(rows[0].error ?? "", /binance: NeedsHumanError.*; okx: NeedsHumanError/);
      for (const row of rows.slice(1)) assert.match(row.error ?? "", /NeedsHumanError/, String(row.venue));
      const [{ orders, positions }] = await sql<{ orders: number; positions: number }[]>`
        select (select count(*)::int from public.orders) as orders, (select count(*)::int from public.positions)
          as positions`;
      assert.deepEqual({ orders, positions }, { orders: 0, positions: 0 }, "nothing recorded");
    });

    await t.step("binance's keys work, okx's do not: binance trades on, the run is partial", async () => {
      await resetTables(sql);
      sim.engines.binance.addAccount({
        apiKey: keys.BINANCE_API_KEY,
        secret: keys.BINANCE_API_SECRET,
        balances: { USDT: 10_000 },
      });
      scriptUpMove();
      const before = sim.requestLog.lastId();
      const res = await invokeBurst(stack.gatewayUrl, serverKey(stack), BURST);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const byVenue = Object.fromEntries((res.body.venues ?? []).map((v) => [v.venue, v]));
      assert.equal(byVenue.binance.status, "ran", JSON.stringify(byVenue.binance));
      assert.ok(byVenue.binance.ticks > 1);
      assert.equal(byVenue.okx.status, "error");
      assert.equal(privateRequests(before).okx.length, 1);
      const rows = await runs();
      assert.deepEqual(rows.map((r) => [r.venue, r.outcome]), [[null, "partial"], ["binance", "ok"], ["okx", "error"]]);
      assert.match(rows[0].error ?? "", /^okx: NeedsHumanError/);
    });
  });
});
