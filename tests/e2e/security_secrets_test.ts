/**
 * Secrets (issue 7). The fault: a secret the functions hold (exchange API keys and secrets, the OKX passphrase, the
 * service role key, the JWT secret, the database password) ends up where others can read it: a table row the dashboard
 * shows, a function's answer, or a log line (ccxt errors quote requests; careless logging prints env or headers).
 * What must hold: after every function has run both successfully (the simulator knows the keys) and into an
 * authentication error (the simulator does not know the keys yet) in testnet mode, plus refused and invalid calls, no
 * secret (nor its URL/JSON-escaped form, nor its last 16 characters) appears in any row of any public table, in any
 * answer, or in any file in the stack's log folder (function logs, PostgREST).
 */
import assert from "node:assert/strict";
import { defaultSimConfig } from "../../dev/sim/config.ts";
import { startSimulator } from "../../dev/sim/server.ts";
import {
  callFunction,
  type CallResult,
  describeCall,
  dumpPublicRows,
  functionFolders,
  leakedSecrets,
  minimalValidBody,
  type NamedSecret,
  randomSecret,
  stackLogFiles,
  withIndexTs,
} from "../support/hostile.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { withSql } from "../support/sql.ts";
import { stackTest } from "../support/stack.ts";

// The functions get keys the simulator does not know at first (so private calls fail authentication); the test
// registers them with the simulator half way through, and the same calls then succeed.
const keys = {
  BINANCE_API_KEY: randomSecret(),
  BINANCE_API_SECRET: randomSecret(),
  OKX_API_KEY: randomSecret(),
  OKX_API_SECRET: randomSecret(),
  OKX_PASSPHRASE: `Pp-${randomSecret(12)}`,
};
const BALANCES = { USDT: 5_000, BTC: 0.05, ETH: 0.5, SOL: 5, BNB: 2 };

const config = defaultSimConfig();
// The simulator's own demo accounts get fresh keys too, so nothing in this run is a well-known string.
config.binance.accounts = [{ apiKey: randomSecret(), secret: randomSecret(), balances: { ...BALANCES } }];
config.okx.accounts = [{
  apiKey: randomSecret(),
  secret: randomSecret(),
  passphrase: randomSecret(8),
  balances: { ...BALANCES },
}];
// Unscripted prices step every 200 ms; the scripted up-move below moves with the burst's quote requests instead.
config.binance.priceStepIntervalMs = 200;
config.okx.priceStepIntervalMs = 200;
const sim = await startSimulator({ seed: 73, config });
globalThis.addEventListener("unload", () => void sim.stop());

const functions = await withIndexTs(await functionFolders());

const ETH = "ETH/USDT";
/** An up-move with a 0.2 % spread on both venues: the burst sees an entry signal and goes to the private API. */
function scriptEntrySignal(): void {
  for (const venue of ["binance", "okx"] as const) {
    // One point per quote request, so a slow start on a busy machine cannot let the up-move pass unseen.
    sim.market.setPath(
      venue,
      ETH,
      Array.from({ length: 12 }, (_, i) => ({ mid: 3000 * (1 + 0.0001 * i), spread: 6 })),
      "read",
    );
  }
}
const BURST_BODY = JSON.stringify({ duration_ms: 3000, symbols: [ETH] });

stackTest("secrets never reach a table, an answer or a log", {
  functions,
  functionEnv: simulatorEnv(sim, { overrides: keys }),
}, async (t, stack) => {
  const secrets: NamedSecret[] = [
    ...Object.entries(keys).map(([name, value]) => ({ name, value })),
    { name: "SUPABASE_SECRET_KEYS (the secret key)", value: stack.secretKey },
    { name: "JWT secret", value: stack.jwtSecret },
  ];
  if (stack.serviceRoleKey) secrets.push({ name: "SUPABASE_SERVICE_ROLE_KEY", value: stack.serviceRoleKey });
  const dbPassword = decodeURIComponent(new URL(stack.databaseUrl).password);
  if (dbPassword) secrets.push({ name: "database password (SUPABASE_DB_URL)", value: dbPassword });

  const answers: { label: string; result: CallResult }[] = [];
  const call = async (label: string, name: string, init: Parameters<typeof callFunction>[2] = {}) => {
    const result = await callFunction(stack, name, init);
    answers.push({ label, result });
    return result;
  };
  const minimal = (name: string) => JSON.stringify(minimalValidBody(name));

  await withSql(stack.databaseUrl, async (sql) => {
    // testnet: private calls are signed with the env keys and go to the simulator.
    await sql`update public.bot_settings set mode = 'testnet', burst_tick_ms = 100, market_data = 'poll' where id = 1`;

    await t.step("with keys the simulator does not know, private calls fail authentication", async () => {
      if (functions.includes("balance-sync")) {
        const res = await call("balance-sync, unknown keys", "balance-sync", { body: "{}" });
        assert.equal(res.json?.outcome, "error", describeCall(res));
        const rows = await sql<{ exchange_name: string; balance_status: string; last_error: string | null }[]>`
          select exchange_name, balance_status, last_error from public.exchange_connections order by exchange_name`;
        for (const row of rows) {
          assert.equal(row.balance_status, "error", `${row.exchange_name}: ${row.last_error}`);
          assert.match(row.last_error ?? "", /AuthenticationError|NeedsHumanError/, row.exchange_name);
        }
      }
      if (functions.includes("trade-burst")) {
        scriptEntrySignal();
        const res = await call("trade-burst, unknown keys", "trade-burst", { body: BURST_BODY });
        assert.ok(res.json, describeCall(res));
        assert.match(res.text, /AuthenticationError|NeedsHumanError/, describeCall(res));
      }
      if (functions.includes("latency-sample")) {
        // Server time is public (no key sent); a venue answering 401 takes it down the same error path.
        sim.faults.add({ venue: "binance", kind: "server_error", status: 401 });
        sim.faults.add({ venue: "okx", kind: "server_error", status: 401 });
        try {
          const res = await call("latency-sample, venue answers 401", "latency-sample", {
            body: minimal("latency-sample"),
          });
          assert.ok(res.json, describeCall(res));
          assert.equal(res.json?.outcome, "error", describeCall(res));
        } finally {
          sim.faults.clear();
        }
      }
      for (const name of functions.filter((n) => !["balance-sync", "trade-burst", "latency-sample"].includes(n))) {
        await call(`${name}, unknown keys`, name, { body: minimal(name) });
      }
    });

    await t.step("once the simulator knows the keys, every function succeeds", async () => {
      sim.engines.binance.addAccount({
        apiKey: keys.BINANCE_API_KEY,
        secret: keys.BINANCE_API_SECRET,
        balances: { ...BALANCES },
      });
      sim.engines.okx.addAccount({
        apiKey: keys.OKX_API_KEY,
        secret: keys.OKX_API_SECRET,
        passphrase: keys.OKX_PASSPHRASE,
        balances: { ...BALANCES },
      });
      for (const name of functions) {
        if (name === "trade-burst") scriptEntrySignal();
        const body = name === "trade-burst" ? BURST_BODY : minimal(name);
        const res = await call(`${name}, known keys`, name, { body });
        assert.ok(res.status >= 200 && res.status < 300, `${name}: ${describeCall(res)}`);
      }
      if (functions.includes("balance-sync")) {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from public.exchange_connections where balance_status = 'ok'
            and balance_source = 'exchange' and balance_usdt = ${BALANCES.USDT}`;
        assert.equal(row.n, 2, "both venues synced with the env keys");
      }
    });

    await t.step("refused and invalid calls answer without secrets too", async () => {
      for (const name of functions) {
        await call(`${name}, anon key`, name, { authorization: `Bearer ${stack.anonKey}`, body: "{}" });
        await call(`${name}, service key with a suffix`, name, {
          authorization: `Bearer ${stack.serviceRoleKey}x`,
          body: "{}",
        });
        await call(`${name}, bad body`, name, { body: '{"unexpected_field": true}' });
      }
    });

    await t.step("the scan finds a planted secret (control)", () => {
      for (const secret of secrets) {
        assert.deepEqual(leakedSecrets(`x ${secret.value} x`, secrets), [secret.name], `${secret.name} in full`);
        assert.deepEqual(leakedSecrets(`…${secret.value.slice(-16)}`, secrets), [secret.name], `${secret.name} cut`);
      }
      assert.deepEqual(leakedSecrets(`Bearer ${stack.anonKey}`, secrets), [], "the public anon key is not a secret");
    });

    await t.step("no secret in any row of any public table", async () => {
      const rows = await dumpPublicRows(sql);
      const leaks = Object.entries(rows).flatMap(([table, text]) =>
        leakedSecrets(text, secrets).map((secret) => `${secret} in ${table}`)
      );
      assert.deepEqual(leaks, []);
      assert.ok(Object.keys(rows).length > 0, "tables were scanned");
    });

    await t.step("no secret in any function answer", () => {
      const leaks = answers.flatMap(({ label, result }) =>
        leakedSecrets(result.text, secrets).map((secret) => `${secret} in the answer to ${label}`)
      );
      assert.deepEqual(leaks, []);
      assert.ok(answers.length >= functions.length * 4, "answers were collected");
    });

    await t.step("no secret in any log file (function logs, PostgREST)", async () => {
      const files = await stackLogFiles(stack);
      for (const name of functions) assert.ok(`${name}.log` in files, `${name}.log was scanned`);
      const leaks = Object.entries(files).flatMap(([file, text]) =>
        leakedSecrets(text, secrets).map((secret) => `${secret} in ${file}`)
      );
      assert.deepEqual(leaks, []);
    });
  });
});
