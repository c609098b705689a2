/**
 * balance-sync end to end: the function served over HTTP by the local stack, ccxt talking to the simulator (testnet
 * mode, base URLs pointed at the simulator), table state checked with direct SQL.
 */
import assert from "node:assert/strict";
import { startSimulator } from "../../dev/sim/server.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { clientKey, keyHeaders, serverKey, stackTest } from "../support/stack.ts";
import { simulatorEnv } from "../support/sim_env.ts";

const sim = await startSimulator({ seed: 4 });
// The simulator outlives the stack's test; stop it when the module's tests are done.
globalThis.addEventListener("unload", () => void sim.stop());

interface ConnectionRow {
  exchange_name: string;
  balance_usdt: string | null;
  balance_usdt_free: string | null;
  balance_usdt_used: string | null;
  balances: Record<string, { free: number; used: number; total: number }>;
  balance_status: string;
  balance_source: string | null;
  last_balance_update: Date | null;
  last_balance_attempt: Date | null;
  last_error: string | null;
  updated_at: Date;
}

async function connections(sql: Sql): Promise<Record<string, ConnectionRow>> {
  const rows = await sql<ConnectionRow[]>`
    select exchange_name, balance_usdt::text, balance_usdt_free::text, balance_usdt_used::text, balances,
           balance_status, balance_source, last_balance_update, last_balance_attempt, last_error, updated_at
    from public.exchange_connections order by exchange_name`;
  return Object.fromEntries(rows.map((r) => [r.exchange_name, r]));
}

async function counts(sql: Sql): Promise<{ runs: number; history: number }> {
  const [row] = await sql<{ runs: number; history: number }[]>`
    select (select count(*)::int from public.function_runs where function_name = 'balance-sync') as runs,
           (select count(*)::int from public.balance_history) as history`;
  return row;
}

stackTest("balance-sync end to end against the simulator", {
  functions: ["balance-sync"],
  functionEnv: simulatorEnv(sim),
}, async (t, stack) => {
  const url = `${stack.gatewayUrl}/functions/v1/balance-sync`;
  const invoke = async (body: string | undefined, key: string | null = serverKey(stack)) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (key !== null) Object.assign(headers, keyHeaders(key));
    const res = await fetch(url, { method: "POST", headers, body });
    return { status: res.status, body: await res.json() };
  };

  await withSql(stack.databaseUrl, async (sql) => {
    // Real exchange balances need testnet (or live) mode; testnet = ccxt sandbox URLs, rewritten to the simulator.
    await sql`update public.bot_settings set mode = 'testnet' where id = 1`;
    sim.market.setBalance("binance", "USDT", 0);
    sim.market.setBalance("okx", "USDT", 1340.53);

    await t.step("wrong callers are refused and nothing is written", async () => {
      const before = await connections(sql);
      const none = await invoke("{}", null);
      assert.equal(none.status, 401);
      const anon = await invoke("{}", clientKey(stack));
      assert.equal(anon.status, 403);
      const user = await invoke("{}", stack.authenticatedKey);
      assert.equal(user.status, 403);
      assert.deepEqual(await counts(sql), { runs: 0, history: 0 });
      assert.deepEqual(await connections(sql), before);
    });

    await t.step("bad bodies answer 400 naming the field and write nothing", async () => {
      const unknownVenue = await invoke(JSON.stringify({ venues: ["binance", "kraken"] }));
      assert.equal(unknownVenue.status, 400);
      assert.equal(unknownVenue.body.issues[0].path, "venues.1");
      const unknownKey = await invoke(JSON.stringify({ venue: "okx" }));
      assert.equal(unknownKey.status, 400);
      assert.equal(unknownKey.body.issues[0].path, "venue");
      const notJson = await invoke("{venues:");
      assert.equal(notJson.status, 400);
      assert.equal(notJson.body.issues[0].path, "(body)");
      assert.deepEqual(await counts(sql), { runs: 0, history: 0 });
    });

    let firstSync: Record<string, ConnectionRow>;
    await t.step("binance with 0 USDT and okx with 1340.53 USDT: each row shows its own figure", async () => {
      const beforeSync = sim.requestLog.lastId();
      const res = await invoke(undefined);
      // Only the configured symbols' markets are loaded (ccxt's fetchBalance would otherwise load every market).
      const marketLoads = sim.requestLog.list({ afterId: beforeSync })
        .filter((r) => r.path === "/api/v3/exchangeInfo" || r.path === "/api/v5/public/instruments");
      assert.ok(marketLoads.length > 0, "markets were loaded");
      for (const load of marketLoads) {
        assert.match(load.query, load.venue === "binance" ? /symbols=/ : /instId=/, `${load.path}?${load.query}`);
      }
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.outcome, "ok");
      assert.equal(res.body.mode, "testnet");
      const rows = firstSync = await connections(sql);
      assert.equal(rows.binance.balance_usdt, "0");
      assert.equal(rows.okx.balance_usdt, "1340.53");
      assert.equal(rows.okx.balance_usdt_free, "1340.53");
      assert.equal(rows.okx.balance_usdt_used, "0");
      for (const venue of ["binance", "okx"]) {
        assert.equal(rows[venue].balance_status, "ok");
        assert.equal(rows[venue].balance_source, "exchange");
        assert.equal(rows[venue].last_error, null);
        assert.ok(rows[venue].last_balance_update);
      }
      // Every non-zero asset is listed; binance's zero USDT is not.
      assert.equal(rows.binance.balances.USDT, undefined);
      assert.deepEqual(rows.okx.balances.USDT, { free: 1340.53, used: 0, total: 1340.53 });
      assert.ok(Object.keys(rows.binance.balances).length > 0);
      const runs = await sql`select outcome, duration_ms, summary from public.function_runs`;
      assert.equal(runs.length, 1);
      assert.equal(runs[0].outcome, "ok");
      assert.ok(runs[0].duration_ms >= 0);
      const history = await sql`select exchange_name, balance_usdt::text, source from public.balance_history
                                order by exchange_name`;
      assert.deepEqual(history.map((h) => [h.exchange_name, h.balance_usdt, h.source]), [
        ["binance", "0", "exchange"],
        ["okx", "1340.53", "exchange"],
      ]);
    });

    await t.step(
      "after balances change, a sync shows the new figures (no second snapshot within the hour)",
      async () => {
        sim.market.setBalance("binance", "USDT", 250.5, { locked: 20 });
        sim.market.setBalance("okx", "USDT", 1000);
        const res = await invoke("{}");
        assert.equal(res.status, 200);
        const rows = await connections(sql);
        assert.equal(rows.binance.balance_usdt, "270.5");
        assert.equal(rows.binance.balance_usdt_free, "250.5");
        assert.equal(rows.binance.balance_usdt_used, "20");
        assert.equal(rows.okx.balance_usdt, "1000");
        assert.ok(rows.okx.last_balance_update! > firstSync.okx.last_balance_update!);
        assert.equal((await counts(sql)).history, 2);
      },
    );

    await t.step("syncing one venue leaves the other row untouched", async () => {
      const before = await connections(sql);
      sim.market.setBalance("binance", "USDT", 5);
      sim.market.setBalance("okx", "USDT", 777);
      const res = await invoke(JSON.stringify({ venues: ["okx"] }));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.venues.map((v: { venue: string }) => v.venue), ["okx"]);
      const after = await connections(sql);
      assert.deepEqual(after.binance, before.binance);
      assert.equal(after.okx.balance_usdt, "777");
    });

    let goodOkx: ConnectionRow;
    await t.step("a failing venue keeps its last good balance and turns stale with the reason", async () => {
      goodOkx = (await connections(sql)).okx;
      sim.faults.add({ venue: "okx", kind: "server_error", status: 502, path: "/api/v5/account/balance" });
      const res = await invoke("{}");
      assert.equal(res.status, 200);
      assert.equal(res.body.outcome, "partial");
      const rows = await connections(sql);
      assert.equal(rows.okx.balance_status, "stale");
      assert.match(rows.okx.last_error ?? "", /TemporaryExchangeError: fetchBalances: ExchangeNotAvailable/);
      assert.equal(rows.okx.balance_usdt, goodOkx.balance_usdt);
      assert.deepEqual(rows.okx.balances, goodOkx.balances);
      assert.deepEqual(rows.okx.last_balance_update, goodOkx.last_balance_update);
      assert.ok(rows.okx.last_balance_attempt! > goodOkx.last_balance_attempt!);
      assert.equal(rows.binance.balance_status, "ok", "the other venue is unaffected");
      assert.doesNotMatch(rows.okx.last_error ?? "", new RegExp(sim.okx.secret));
      const [run] = await sql`select outcome, error from public.function_runs order by started_at desc limit 1`;
      assert.equal(run.outcome, "partial");
      assert.match(run.error, /^okx: /);
    });

    await t.step("it recovers on the next good sync", async () => {
      sim.faults.clear({ venue: "okx" });
      sim.market.setBalance("okx", "USDT", 900);
      const res = await invoke("{}");
      assert.equal(res.body.outcome, "ok");
      const rows = await connections(sql);
      assert.equal(rows.okx.balance_status, "ok");
      assert.equal(rows.okx.last_error, null);
      assert.equal(rows.okx.balance_usdt, "900");
      assert.ok(rows.okx.last_balance_update! > goodOkx.last_balance_update!);
    });

    await t.step("a 429 storm is backed off within the attempt cap, not hammered", async () => {
      const goodBinance = (await connections(sql)).binance;
      assert.equal(goodBinance.balance_status, "ok");
      sim.faults.add({ venue: "binance", kind: "rate_limit", retryAfterSeconds: 1 });
      const before = sim.requestLog.lastId();
      const res = await invoke(JSON.stringify({ venues: ["binance"] }));
      const requests = sim.requestLog.list({ venue: "binance", afterId: before });
      sim.faults.clear({ venue: "binance" });
      if (res.status !== 502) console.error("balance-sync log:\n" + await stack.functionLogs("balance-sync"));
      assert.equal(res.status, 502, JSON.stringify(res.body));
      assert.equal(res.body.outcome, "error");
      // 3 attempts (the cap) of the first call, each answered 429; nothing after the venue said slow down.
      assert.equal(requests.length, 3, requests.map((r) => `${r.path} ${r.status}`).join(", "));
      assert.ok(requests.every((r) => r.status === 429));
      // The waits honoured Retry-After (1 s): the arrivals are at least that far apart.
      for (let i = 1; i < requests.length; i++) {
        assert.ok(requests[i].arrivedAtMs - requests[i - 1].arrivedAtMs >= 1000, "waited Retry-After between tries");
      }
      const rows = await connections(sql);
      assert.equal(rows.binance.balance_status, "stale");
      assert.match(rows.binance.last_error ?? "", /RateLimitedError/);
      assert.equal(rows.binance.balance_usdt, goodBinance.balance_usdt, "last good figure kept");
      assert.deepEqual(rows.binance.last_balance_update, goodBinance.last_balance_update);
    });

    await t.step("a refused key (HTTP 401) is an error that needs a human, not stale", async () => {
      sim.faults.add({ venue: "okx", kind: "server_error", status: 401, path: "/api/v5/account/balance" });
      const res = await invoke(JSON.stringify({ venues: ["okx"] }));
      sim.faults.clear({ venue: "okx" });
      assert.equal(res.body.outcome, "error");
      const rows = await connections(sql);
      assert.equal(rows.okx.balance_status, "error", rows.okx.last_error ?? "");
      assert.match(rows.okx.last_error ?? "", /NeedsHumanError: fetchBalances: AuthenticationError/);
      assert.equal(rows.okx.balance_usdt, "900", "last good figure kept");
    });

    await t.step("paper mode reads the paper ledger, needs no keys and is marked paper", async () => {
      await sql`update public.bot_settings set mode = 'paper', paper_starting_usdt = 1000 where id = 1`;
      await sql`insert into public.orders (client_order_id, venue, symbol, side, type, price, amount, filled, remaining,
                  average, cost, fee_cost, fee_currency, order_status, purpose, mode)
                values ('paper-e2e-1', 'okx', 'BTC/USDT', 'buy', 'limit', 50000, 0.01, 0.01, 0, 50000, 500, 0.5, 'USDT',
                  'filled', 'entry', 'paper'),
                       ('live-e2e-1', 'okx', 'BTC/USDT', 'buy', 'limit', 50000, 0.01, 0.01, 0, 50000, 500, 0.5, 'USDT',
                  'filled', 'entry', 'testnet')`;
      const before = sim.requestLog.lastId();
      const res = await invoke("{}");
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.mode, "paper");
      assert.equal(sim.requestLog.list({ afterId: before, private: true }).length, 0, "no private exchange call");
      const rows = await connections(sql);
      // okx: 1000 - 500 cost - 0.5 fee; the testnet order does not touch the paper ledger.
      assert.equal(rows.okx.balance_usdt, "499.5");
      assert.deepEqual(rows.okx.balances.BTC, { free: 0.01, used: 0, total: 0.01 });
      assert.equal(rows.binance.balance_usdt, "1000");
      for (const venue of ["binance", "okx"]) {
        assert.equal(rows[venue].balance_source, "paper");
        assert.equal(rows[venue].balance_status, "ok");
      }
    });
  });
});
