import assert from "node:assert/strict";
import { DEFAULT_EXCHANGE_TIMEOUT_MS, EnvError, loadEnv } from "../../../supabase/functions/_shared/env.ts";

const BASE = { SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_SERVICE_ROLE_KEY: "service-key" };

function envErrorFor(source: Record<string, string | undefined>): EnvError {
  try {
    loadEnv(source);
  } catch (error) {
    assert.ok(error instanceof EnvError, `expected EnvError, got ${error}`);
    return error;
  }
  assert.fail("loadEnv accepted an invalid env");
}

Deno.test("env with only the Supabase variables loads with no venue keys and safe defaults", () => {
  const env = loadEnv(BASE);
  assert.equal(env.supabaseUrl, BASE.SUPABASE_URL);
  assert.equal(env.serviceRoleKey, "service-key");
  assert.deepEqual(env.credentials, {});
  assert.deepEqual(env.baseUrls, {});
  assert.equal(env.allowLiveTrading, false);
  assert.equal(env.exchangeTimeoutMs, DEFAULT_EXCHANGE_TIMEOUT_MS);
});

Deno.test("supabase-js inside the functions uses a secret key when there is one, else the legacy key", () => {
  const secretKeys = { rotated: "sb_secret_fake_b", default: "sb_secret_fake_a" };
  const both = loadEnv({ ...BASE, SUPABASE_SECRET_KEYS: JSON.stringify(secretKeys) });
  assert.deepEqual(both.secretKeys, secretKeys);
  assert.equal(both.serverKey, "sb_secret_fake_a", "the key named default");
  assert.equal(both.serviceRoleKey, "service-key");
  const unnamed = loadEnv({ SUPABASE_URL: BASE.SUPABASE_URL, SUPABASE_SECRET_KEYS: '{"ci":"sb_secret_fake_c"}' });
  assert.equal(unnamed.serverKey, "sb_secret_fake_c", "else the first one");
  assert.equal(unnamed.serviceRoleKey, undefined);
  assert.equal(loadEnv(BASE).serverKey, "service-key", "a legacy-only project");
  assert.deepEqual(loadEnv(BASE).secretKeys, {});
});

Deno.test("a malformed SUPABASE_SECRET_KEYS is named without echoing its value", () => {
  for (const value of ["sb_secret_fake_plain", '["sb_secret_fake_list"]', '{"default": ""}']) {
    const error = envErrorFor({ ...BASE, SUPABASE_SECRET_KEYS: value });
    assert.equal(error.variable, "SUPABASE_SECRET_KEYS");
    assert.ok(!error.message.includes("sb_secret_fake"), error.message);
  }
});

Deno.test("a missing required variable is named in the error", async (t) => {
  await t.step("SUPABASE_URL", () => {
    const error = envErrorFor({ SUPABASE_SERVICE_ROLE_KEY: "k" });
    assert.equal(error.variable, "SUPABASE_URL");
    assert.match(error.message, /SUPABASE_URL is required/);
  });
  await t.step("a server key: SUPABASE_SECRET_KEYS, or the legacy SUPABASE_SERVICE_ROLE_KEY (blank = missing)", () => {
    const error = envErrorFor({ SUPABASE_URL: BASE.SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY: "  " });
    assert.equal(error.variable, "SUPABASE_SECRET_KEYS");
    assert.match(error.message, /SUPABASE_SECRET_KEYS is required .*SUPABASE_SERVICE_ROLE_KEY/);
  });
});

Deno.test("malformed variables are named with the bad value", async (t) => {
  await t.step("SUPABASE_URL not a URL", () => {
    const error = envErrorFor({ ...BASE, SUPABASE_URL: "localhost:54321" });
    assert.equal(error.variable, "SUPABASE_URL");
    assert.match(error.message, /localhost:54321/);
  });
  await t.step("BINANCE_BASE_URL with a non-http scheme", () => {
    assert.equal(envErrorFor({ ...BASE, BINANCE_BASE_URL: "ftp://sim" }).variable, "BINANCE_BASE_URL");
  });
  await t.step("ALLOW_LIVE_TRADING not a boolean", () => {
    assert.equal(envErrorFor({ ...BASE, ALLOW_LIVE_TRADING: "maybe" }).variable, "ALLOW_LIVE_TRADING");
  });
  await t.step("EXCHANGE_TIMEOUT_MS not a number of ms", () => {
    assert.equal(envErrorFor({ ...BASE, EXCHANGE_TIMEOUT_MS: "10s" }).variable, "EXCHANGE_TIMEOUT_MS");
    assert.equal(envErrorFor({ ...BASE, EXCHANGE_TIMEOUT_MS: "5" }).variable, "EXCHANGE_TIMEOUT_MS");
  });
});

Deno.test("venue credentials are all-or-nothing per venue", async (t) => {
  await t.step("a complete group is loaded", () => {
    const env = loadEnv({
      ...BASE,
      BINANCE_API_KEY: "bk",
      BINANCE_API_SECRET: "bs",
      OKX_API_KEY: "ok",
      OKX_API_SECRET: "os",
      OKX_PASSPHRASE: "op",
    });
    assert.deepEqual(env.credentials.binance, { apiKey: "bk", secret: "bs" });
    assert.deepEqual(env.credentials.okx, { apiKey: "ok", secret: "os", password: "op" });
  });
  await t.step("binance key without secret names BINANCE_API_SECRET", () => {
    const error = envErrorFor({ ...BASE, BINANCE_API_KEY: "bk" });
    assert.equal(error.variable, "BINANCE_API_SECRET");
    assert.match(error.message, /BINANCE_API_KEY is set/);
  });
  await t.step("okx without passphrase names OKX_PASSPHRASE", () => {
    assert.equal(envErrorFor({ ...BASE, OKX_API_KEY: "k", OKX_API_SECRET: "s" }).variable, "OKX_PASSPHRASE");
  });
  await t.step("one venue configured, the other absent, is fine", () => {
    const env = loadEnv({ ...BASE, OKX_API_KEY: "k", OKX_API_SECRET: "s", OKX_PASSPHRASE: "p" });
    assert.equal(env.credentials.binance, undefined);
    assert.ok(env.credentials.okx);
  });
  await t.step("the error message never contains the secret values", () => {
    const error = envErrorFor({ ...BASE, OKX_API_KEY: "super-secret-key-value" });
    assert.doesNotMatch(error.message, /super-secret-key-value/);
  });
});

Deno.test("overrides and opt-ins are parsed", () => {
  const env = loadEnv({
    ...BASE,
    BINANCE_BASE_URL: "http://127.0.0.1:4000/binance/",
    OKX_BASE_URL: "http://127.0.0.1:4000/okx",
    ALLOW_LIVE_TRADING: "TRUE",
    EXCHANGE_TIMEOUT_MS: "2500",
  });
  assert.equal(env.baseUrls.binance, "http://127.0.0.1:4000/binance", "trailing slash trimmed");
  assert.equal(env.baseUrls.okx, "http://127.0.0.1:4000/okx");
  assert.equal(env.allowLiveTrading, true);
  assert.equal(env.exchangeTimeoutMs, 2500);
  assert.equal(loadEnv({ ...BASE, ALLOW_LIVE_TRADING: "false" }).allowLiveTrading, false);
});
