/**
 * Issue 12's auth matrix. For both key modes of the local stack (`with-legacy`: new keys beside the legacy JWT keys;
 * `new-only`: a project created today) and every venue function: each kind of caller gets its expected status; a
 * refused call writes no row, reaches no venue (the simulator's request log does not move) and names no
 * configuration. Also: the gateway maps the new keys on /rest/v1 as hosted does, and a function whose env is broken
 * tells an anonymous caller nothing about it (the accepted caller gets the 500 naming the variable).
 */
import assert from "node:assert/strict";
import { createClient } from "@supabase/supabase-js";
import { startSimulator } from "../../dev/sim/server.ts";
import { mintJwt, randomApiKey, randomJwtSecret } from "../../dev/stack/keys.ts";
import { KEY_MODES, type KeyMode } from "../../dev/stack/stack.ts";
import {
  callFunction,
  type CallResult,
  changedTables,
  describeCall,
  minimalValidBody,
  snapshotTables,
} from "../support/hostile.ts";
import { simulatorEnv } from "../support/sim_env.ts";
import { type Sql, withSql } from "../support/sql.ts";
import { type Stack, stackTest } from "../support/stack.ts";
import type { Database } from "../../supabase/functions/_shared/database.types.ts";

const FUNCTIONS = ["balance-sync", "latency-sample", "trade-burst"];

const sim = await startSimulator({ seed: 1212 });
globalThis.addEventListener("unload", () => void sim.stop());

interface Caller {
  label: string;
  authorization?: string;
  apikey?: string;
  expected: number;
}

/** Every caller kind of the issue, with the status each must get in `stack`'s mode. */
async function callers(stack: Stack, memberId: string): Promise<Caller[]> {
  const legacy = stack.keyMode === "with-legacy";
  const serviceClaims = { iss: "supabase", role: "service_role" };
  const now = Date.now();
  // In new-only mode there are no legacy keys to hand out; the same claims signed with the project's JWT secret are
  // what such a key would be, and must get no further.
  const anonJwt = stack.anonKey ?? await mintJwt(stack.jwtSecret, { iss: "supabase", role: "anon" });
  const serviceJwt = stack.serviceRoleKey ?? await mintJwt(stack.jwtSecret, serviceClaims);
  const memberJwt = await mintJwt(stack.jwtSecret, {
    iss: "supabase",
    role: "authenticated",
    aud: "authenticated",
    sub: memberId,
  });
  const expired = await mintJwt(stack.jwtSecret, serviceClaims, {
    issuedAt: new Date(now - 2 * 3_600_000),
    expiresAt: new Date(now - 3_600_000),
  });
  const wronglySigned = await mintJwt(randomJwtSecret(), serviceClaims);
  return [
    { label: "no credential", expected: 401 },
    { label: "the anon JWT", authorization: `Bearer ${anonJwt}`, apikey: anonJwt, expected: 403 },
    { label: "the publishable key", apikey: stack.publishableKey, expected: 403 },
    {
      label: "a signed-in user's JWT (not a member)",
      authorization: `Bearer ${stack.authenticatedKey}`,
      apikey: stack.publishableKey,
      expected: 403,
    },
    {
      label: "an operator's JWT",
      authorization: `Bearer ${memberJwt}`,
      apikey: stack.publishableKey,
      expected: 403,
    },
    { label: "an expired service-role JWT", authorization: `Bearer ${expired}`, expected: 403 },
    { label: "a wrongly signed service-role JWT", authorization: `Bearer ${wronglySigned}`, expected: 403 },
    { label: "a secret key of another project", apikey: randomApiKey("secret"), expected: 403 },
    {
      label: "the secret key in Authorization (the wrong header)",
      authorization: `Bearer ${stack.secretKey}`,
      expected: 403,
    },
    {
      label: legacy ? "the legacy service role bearer" : "service-role claims signed with the JWT secret, as bearer",
      authorization: `Bearer ${serviceJwt}`,
      expected: legacy ? 200 : 403,
    },
    { label: "the secret key in apikey", apikey: stack.secretKey, expected: 200 },
  ];
}

/** Words that would betray configuration in a refusal: variable names, the env check, any key value. */
function configLeaks(answer: CallResult, stack: Stack, extra: readonly string[] = []): string[] {
  const needles = [
    ...extra,
    "OKX_",
    "BINANCE_",
    "SUPABASE_",
    "misconfigured",
    "environment variable",
    stack.secretKey,
    stack.secretKey.slice(-16),
    stack.jwtSecret,
    ...(stack.serviceRoleKey ? [stack.serviceRoleKey.slice(-16)] : []),
    sim.okx.apiKey,
    sim.binance.apiKey,
  ];
  return needles.filter((needle) => answer.text.includes(needle));
}

async function rest(stack: Stack, path: string, headers: Record<string, string>): Promise<Response> {
  return await fetch(`${stack.gatewayUrl}/rest/v1${path}`, { headers });
}

async function gatewaySteps(t: Deno.TestContext, stack: Stack, sql: Sql, operatorId: string, viewerId: string) {
  const legacy = stack.keyMode === "with-legacy";
  await t.step("/rest/v1: the secret key acts as the service role", async () => {
    const answer = await rest(stack, "/exchange_connections?select=exchange_name", { apikey: stack.secretKey });
    assert.equal(answer.status, 200);
    assert.equal((await answer.json()).length, 2);
  });
  await t.step("/rest/v1: the publishable key acts as anon (no grant: refused)", async () => {
    const answer = await rest(stack, "/exchange_connections?select=exchange_name", { apikey: stack.publishableKey });
    assert.equal(answer.status, 401);
    assert.equal((await answer.json()).code, "42501");
  });
  await t.step("/rest/v1: a user's JWT beside the publishable key acts as that user (members only)", async () => {
    const asUser = (sub: string) =>
      mintJwt(stack.jwtSecret, { iss: "supabase", role: "authenticated", aud: "authenticated", sub });
    const read = async (token: string) =>
      await (await rest(stack, "/exchange_connections?select=exchange_name", {
        apikey: stack.publishableKey,
        authorization: `Bearer ${token}`,
      })).json();
    assert.deepEqual(await read(stack.authenticatedKey), [], "a non-member reads nothing");
    assert.equal((await read(await asUser(viewerId))).length, 2, "a viewer reads both rows");
  });
  await t.step(
    "/rest/v1: supabase-js with the publishable key and an operator's session flips Start/Stop",
    async () => {
      const session = (sub: string) => async () =>
        await mintJwt(stack.jwtSecret, { iss: "supabase", role: "authenticated", aud: "authenticated", sub });
      const client = (sub: string) =>
        createClient<Database>(stack.gatewayUrl, stack.publishableKey, {
          auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
          accessToken: session(sub),
        });
      const viewer = await client(viewerId).rpc("set_trading_enabled", { enabled: false });
      assert.equal(viewer.error?.code, "42501", JSON.stringify(viewer));
      assert.match(viewer.error?.message ?? "", /only an operator may start or stop trading \(you are a viewer\)/);
      const operator = await client(operatorId).rpc("set_trading_enabled", { enabled: false });
      assert.equal(operator.error, null, JSON.stringify(operator.error));
      assert.equal(operator.data, false);
      const [row] = await sql<{ trading_enabled: boolean; audited: number }[]>`
      select trading_enabled, (select count(*)::int from public.trading_switch_audit where user_id = ${operatorId})
        as audited from public.bot_settings where id = 1`;
      assert.deepEqual({ ...row }, { trading_enabled: false, audited: 1 });
      await sql`update public.bot_settings set trading_enabled = true where id = 1`;
    },
  );
  await t.step("/rest/v1: an unknown sb_ key is refused by the gateway", async () => {
    for (const apikey of [randomApiKey("secret"), randomApiKey("publishable")]) {
      const answer = await rest(stack, "/exchange_connections", { apikey });
      assert.equal(answer.status, 401);
      assert.deepEqual(await answer.json(), { message: "Invalid API key" });
    }
  });
  await t.step(
    `/rest/v1: a JWT in apikey is ${legacy ? "the legacy path" : "refused (legacy keys disabled)"}`,
    async () => {
      const serviceJwt = stack.serviceRoleKey ??
        await mintJwt(stack.jwtSecret, { iss: "supabase", role: "service_role" });
      const answer = await rest(stack, "/exchange_connections?select=exchange_name", { apikey: serviceJwt });
      if (legacy) {
        assert.equal(answer.status, 200);
        assert.equal((await answer.json()).length, 2);
      } else {
        assert.equal(answer.status, 401);
        assert.deepEqual(await answer.json(), { message: "Legacy API keys are disabled" });
      }
    },
  );
}

/** Tally for the report line printed at the end of each mode. */
const tally = { calls: 0, refused: 0, leaks: 0 };

for (const keyMode of KEY_MODES) {
  stackTest(`auth matrix (${keyMode}): who may call the venue functions`, {
    keyMode,
    functions: FUNCTIONS,
    functionEnv: simulatorEnv(sim),
  }, async (t, stack) => {
    const operatorId = crypto.randomUUID();
    const viewerId = crypto.randomUUID();
    await withSql(stack.databaseUrl, async (sql) => {
      await sql`insert into public.members (user_id, role) values (${operatorId}, 'operator'), (${viewerId}, 'viewer')`;
      await gatewaySteps(t, stack, sql, operatorId, viewerId);
      const matrix = await callers(stack, operatorId);
      assert.equal(matrix.length, 11);
      // Refusals first for every function, so no accepted call's venue traffic can overlap a refusal's window.
      const accepted = matrix.filter((caller) => caller.expected === 200);
      for (const name of FUNCTIONS) {
        for (const caller of matrix.filter((c) => c.expected !== 200)) {
          await t.step(`${name}: ${caller.label} → ${caller.expected}, nothing written, no venue reached`, async () => {
            const tablesBefore = await snapshotTables(sql);
            const venueBefore = sim.requestLog.lastId();
            const answer = await callFunction(stack, name, {
              authorization: caller.authorization ?? null,
              apikey: caller.apikey,
              body: JSON.stringify(minimalValidBody(name)),
            });
            tally.calls++;
            tally.refused++;
            assert.equal(answer.status, caller.expected, describeCall(answer));
            assert.deepEqual(changedTables(tablesBefore, await snapshotTables(sql)), [], "a refused call wrote rows");
            assert.deepEqual(sim.requestLog.list({ afterId: venueBefore }), [], "a refused call reached a venue");
            const leaks = configLeaks(answer, stack, ["not-a-number", "EXCHANGE_TIMEOUT"]);
            tally.leaks += leaks.length;
            assert.deepEqual(leaks, [], `the refusal names configuration: ${answer.text}`);
          });
        }
        for (const caller of accepted) {
          await t.step(`${name}: ${caller.label} → 200, and the run is logged`, async () => {
            const runs = async () =>
              (await sql<{ n: number }[]>`select count(*)::int as n from public.function_runs
                                          where function_name = ${name}`)[0].n;
            const before = await runs();
            const answer = await callFunction(stack, name, {
              authorization: caller.authorization ?? null,
              apikey: caller.apikey,
              body: JSON.stringify(minimalValidBody(name)),
            });
            tally.calls++;
            assert.equal(answer.status, 200, describeCall(answer));
            assert.ok(await runs() > before, "a function_runs row records the accepted call");
          });
        }
      }
    });
  });
}

// A broken env (an OKX credential group with its passphrase missing): before issue 12 an anonymous caller got a 500
// naming the OKX_* variables. One mode is enough: the check order does not depend on the key mode.
const brokenMode: KeyMode = "new-only";
stackTest(`auth matrix (${brokenMode}, broken env): a refused caller learns nothing about the configuration`, {
  keyMode: brokenMode,
  functions: FUNCTIONS,
  functionEnv: simulatorEnv(sim, { overrides: { OKX_PASSPHRASE: "", EXCHANGE_TIMEOUT_MS: "not-a-number" } }),
}, async (t, stack) => {
  const matrix = await callers(stack, crypto.randomUUID());
  await withSql(stack.databaseUrl, async (sql) => {
    for (const name of FUNCTIONS) {
      for (const caller of matrix) {
        const expected = caller.expected === 200 ? 500 : caller.expected;
        await t.step(`${name}: ${caller.label} → ${expected}`, async () => {
          const tablesBefore = await snapshotTables(sql);
          const answer = await callFunction(stack, name, {
            authorization: caller.authorization ?? null,
            apikey: caller.apikey,
            body: JSON.stringify(minimalValidBody(name)),
          });
          tally.calls++;
          assert.equal(answer.status, expected, describeCall(answer));
          assert.deepEqual(changedTables(tablesBefore, await snapshotTables(sql)), []);
          if (expected === 500) {
            // Only the accepted caller is told, so it can fix the project.
            assert.match(answer.text, /server misconfigured: environment variable OKX_PASSPHRASE is missing/);
          } else {
            tally.refused++;
            const leaks = configLeaks(answer, stack, ["not-a-number", "EXCHANGE_TIMEOUT"]);
            tally.leaks += leaks.length;
            assert.deepEqual(leaks, [], `the refusal names configuration: ${answer.text}`);
          }
        });
      }
    }
  });
});

globalThis.addEventListener("unload", () => {
  console.log(`auth matrix: ${tally.calls} calls, ${tally.refused} refused, ${tally.leaks} configuration leaks`);
});
