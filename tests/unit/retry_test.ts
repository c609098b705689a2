import assert from "node:assert/strict";
import {
  CircuitOpenError,
  FinalExchangeError,
  NeedsHumanError,
  RateLimitedError,
  TemporaryExchangeError,
} from "../../supabase/functions/_shared/errors.ts";
import { backoffDelayMs, CircuitBreaker, withRetry } from "../../supabase/functions/_shared/retry.ts";

/** Records waits instead of waiting. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: (ms: number) => (waits.push(ms), Promise.resolve()) };
}

/** A call that fails with the given errors in order, then answers "ok". */
function failing(...errors: Error[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    fn: () => {
      calls++;
      const error = errors.shift();
      return error ? Promise.reject(error) : Promise.resolve("ok");
    },
  };
}

Deno.test("withRetry retries temporary errors and returns the eventual answer", async () => {
  const { waits, sleep } = fakeSleep();
  const call = failing(new TemporaryExchangeError("502"), new TemporaryExchangeError("timeout"));
  const seen: number[] = [];
  const out = await withRetry(call.fn, {
    attempts: 3,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    sleep,
    random: () => 0.5,
    onRetry: (e) => seen.push(e.attempt),
  });
  assert.equal(out, "ok");
  assert.equal(call.calls, 3);
  assert.deepEqual(seen, [1, 2]);
  assert.deepEqual(waits, [75, 150], "exponential: 100 then 200, each half fixed half jittered");
});

Deno.test("withRetry gives up after the attempt cap with the last error", async () => {
  const { waits, sleep } = fakeSleep();
  const last = new TemporaryExchangeError("still down");
  const call = failing(new TemporaryExchangeError("down"), new TemporaryExchangeError("down"), last);
  await assert.rejects(withRetry(call.fn, { attempts: 3, sleep }), (e) => e === last);
  assert.equal(call.calls, 3);
  assert.equal(waits.length, 2);
});

Deno.test("final, needs-human and untranslated errors are never retried", async (t) => {
  for (const error of [new FinalExchangeError("InvalidOrder"), new NeedsHumanError("bad key"), new Error("bug")]) {
    await t.step(error.name, async () => {
      const { waits, sleep } = fakeSleep();
      const call = failing(error);
      await assert.rejects(withRetry(call.fn, { attempts: 5, sleep }), (e) => e === error);
      assert.equal(call.calls, 1);
      assert.deepEqual(waits, []);
    });
  }
});

Deno.test("a rate limit waits at least Retry-After", async () => {
  const { waits, sleep } = fakeSleep();
  const call = failing(new RateLimitedError("429", { retryAfterMs: 1500 }));
  assert.equal(await withRetry(call.fn, { attempts: 2, baseDelayMs: 100, maxDelayMs: 2000, sleep }), "ok");
  assert.deepEqual(waits, [1500]);
});

Deno.test("a Retry-After beyond the delay cap ends the retries instead of waiting past budget", async () => {
  const { waits, sleep } = fakeSleep();
  const error = new RateLimitedError("429", { retryAfterMs: 60_000 });
  const call = failing(error);
  await assert.rejects(withRetry(call.fn, { attempts: 5, maxDelayMs: 5000, sleep }), (e) => e === error);
  assert.equal(call.calls, 1);
  assert.deepEqual(waits, []);
});

Deno.test("backoff is capped and jitter stays within [step/2, step]", () => {
  for (const random of [0, 0.3, 0.999]) {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const delay = backoffDelayMs(attempt, { baseDelayMs: 200, maxDelayMs: 3000, random: () => random });
      const step = Math.min(3000, 200 * 2 ** (attempt - 1));
      assert.ok(delay >= step / 2 && delay <= step, `attempt ${attempt}: ${delay} outside [${step / 2}, ${step}]`);
    }
  }
});

Deno.test("withRetry refuses nonsense options", async () => {
  await assert.rejects(withRetry(() => Promise.resolve(1), { attempts: 0 }), RangeError);
  await assert.rejects(withRetry(() => Promise.resolve(1), { baseDelayMs: 10, maxDelayMs: 5 }), RangeError);
});

Deno.test("the circuit breaker opens after N consecutive failures and half-opens after the cool-down", async () => {
  let now = 0;
  const breaker = new CircuitBreaker("okx", { failureThreshold: 3, coolDownMs: 10_000, nowMs: () => now });
  const { sleep } = fakeSleep();
  const down = () => Promise.reject(new TemporaryExchangeError("down"));

  await assert.rejects(withRetry(down, { attempts: 3, sleep, breaker }), TemporaryExchangeError);
  assert.equal(breaker.state, "open");

  // While open, calls are refused without reaching the venue.
  let reached = 0;
  const counting = () => (reached++, Promise.resolve("ok"));
  await assert.rejects(withRetry(counting, { attempts: 3, sleep, breaker }), CircuitOpenError);
  assert.equal(reached, 0);

  now += 10_000;
  assert.equal(breaker.state, "half_open");
  // A failed trial re-opens it at once.
  await assert.rejects(withRetry(down, { attempts: 1, sleep, breaker }), TemporaryExchangeError);
  assert.equal(breaker.state, "open");

  now += 10_000;
  assert.equal(await withRetry(counting, { attempts: 1, sleep, breaker }), "ok");
  assert.equal(breaker.state, "closed");
  assert.equal(breaker.consecutiveFailures, 0);
});

Deno.test("final errors do not count against the breaker", async () => {
  const breaker = new CircuitBreaker("binance", { failureThreshold: 1, nowMs: () => 0 });
  await assert.rejects(withRetry(() => Promise.reject(new FinalExchangeError("InvalidOrder")), { breaker }));
  assert.equal(breaker.state, "closed");
});
