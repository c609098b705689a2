import assert from "node:assert/strict";
import {
  CircuitOpenError,
  DeadlinePassedError,
  FinalExchangeError,
  isNotSentError,
  NeedsHumanError,
  RateLimitedError,
  TemporaryExchangeError,
} from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  assertBeforeDeadline,
  backoffDelayMs,
  CircuitBreaker,
  type Deadline,
  withRetry,
} from "../../../../supabase/functions/_shared/exchange/retry.ts";

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

// ---- the Retry-After circuit breaker, with an injected clock ----------------------------------------------------

/** A monotonic clock the test moves by hand. */
function manualClock(start = 1_000) {
  let now = start;
  return { nowMs: () => now, advance: (ms: number) => (now += ms) };
}

const rateLimited = (retryAfterMs?: number) => new RateLimitedError("429", { venue: "binance", retryAfterMs });

Deno.test("a Retry-After opens the breaker at once, for exactly that long, below the failure threshold", () => {
  const clock = manualClock();
  const breaker = new CircuitBreaker("binance", { failureThreshold: 5, coolDownMs: 30_000, nowMs: clock.nowMs });
  assert.equal(breaker.openRemainingMs(), 0, "closed: nothing to wait for");

  breaker.recordFailure(rateLimited(2_000));
  assert.equal(breaker.consecutiveFailures, 1);
  assert.equal(breaker.state, "open");
  assert.equal(breaker.openRemainingMs(), 2_000);
  assert.throws(() => breaker.assertClosed(), (e: unknown) => e instanceof CircuitOpenError && e.retryInMs === 2_000);

  clock.advance(1_500);
  assert.equal(breaker.openRemainingMs(), 500, "counts down with the clock");
  assert.throws(() => breaker.assertClosed(), (e: unknown) => e instanceof CircuitOpenError && e.retryInMs === 500);

  clock.advance(500);
  assert.equal(breaker.state, "half_open", "not one millisecond before Retry-After has passed");
  assert.equal(breaker.openRemainingMs(), 0);
  breaker.assertClosed(); // the trial call may go

  breaker.recordSuccess();
  assert.equal(breaker.state, "closed");
  assert.equal(breaker.consecutiveFailures, 0);
});

Deno.test("failures without Retry-After only count until the threshold; then the cool-down applies", () => {
  const clock = manualClock();
  const breaker = new CircuitBreaker("okx", { failureThreshold: 3, coolDownMs: 10_000, nowMs: clock.nowMs });
  breaker.recordFailure(new TemporaryExchangeError("502"));
  breaker.recordFailure(rateLimited()); // a 429 that did not say how long
  breaker.recordFailure();
  assert.equal(breaker.consecutiveFailures, 3);
  assert.equal(breaker.openRemainingMs(), 10_000);

  const short = new CircuitBreaker("okx", { failureThreshold: 3, coolDownMs: 10_000, nowMs: clock.nowMs });
  short.recordFailure();
  short.recordFailure();
  assert.equal(short.state, "closed");
  assert.equal(short.openRemainingMs(), 0);
});

Deno.test("the longer of cool-down and Retry-After wins, and a later answer never shortens an opening", () => {
  const clock = manualClock();
  const breaker = new CircuitBreaker("binance", { failureThreshold: 2, coolDownMs: 5_000, nowMs: clock.nowMs });

  // A 418 ban longer than the cool-down, at the threshold: the ban wins.
  breaker.recordFailure(new TemporaryExchangeError("503"));
  breaker.recordFailure(rateLimited(120_000));
  assert.equal(breaker.openRemainingMs(), 120_000);

  // A shorter Retry-After while still banned (a request already in flight when the ban began) keeps the ban.
  clock.advance(20_000);
  breaker.recordFailure(rateLimited(1_000));
  assert.equal(breaker.openRemainingMs(), 100_000);
  assert.equal(breaker.state, "open");

  // A longer one extends it from now.
  breaker.recordFailure(rateLimited(150_000));
  assert.equal(breaker.openRemainingMs(), 150_000);

  // After it: a failed half-open trial re-opens for the cool-down (failures reset only on a success).
  clock.advance(150_000);
  assert.equal(breaker.state, "half_open");
  breaker.recordFailure(new TemporaryExchangeError("503"));
  assert.equal(breaker.openRemainingMs(), 5_000);
});

Deno.test("the circuit breaker refuses nonsense thresholds", () => {
  for (const failureThreshold of [0, -1, 1.5]) {
    assert.throws(() => new CircuitBreaker("binance", { failureThreshold, nowMs: () => 0 }), RangeError);
  }
});

Deno.test("withRetry waits out a breaker opened by Retry-After when the timer fires a little early", async () => {
  const clock = manualClock();
  const breaker = new CircuitBreaker("binance", { failureThreshold: 5, nowMs: clock.nowMs });
  const waits: number[] = [];
  // Timers may fire a hair early: every wait advances the clock 10 ms less than asked, at most once.
  let early = true;
  const sleep = (ms: number) => {
    waits.push(ms);
    clock.advance(early ? ms - 10 : ms);
    early = false;
    return Promise.resolve();
  };
  const call = failing(rateLimited(1_500));
  const out = await withRetry(call.fn, { attempts: 3, maxDelayMs: 5_000, sleep, breaker, random: () => 0 });
  assert.equal(out, "ok");
  assert.deepEqual(waits, [1_500, 10], "the Retry-After, then the 10 ms it was short");
  assert.equal(call.calls, 2, "no request before Retry-After had passed");
  assert.equal(breaker.state, "closed");
});

Deno.test("a breaker open for longer than the delay cap refuses the call without waiting", async () => {
  const clock = manualClock();
  const breaker = new CircuitBreaker("binance", { failureThreshold: 5, nowMs: clock.nowMs });
  breaker.recordFailure(rateLimited(60_000));
  const { waits, sleep } = fakeSleep();
  let reached = 0;
  await assert.rejects(
    withRetry(() => (reached++, Promise.resolve("ok")), { maxDelayMs: 5_000, sleep, breaker }),
    CircuitOpenError,
  );
  assert.equal(reached, 0);
  assert.deepEqual(waits, []);
});

// ---- Deadline ---------------------------------------------------------------------------------------------------

/** A deadline `ms` from the clock's current time. */
function deadlineIn(clock: { nowMs: () => number }, ms: number): Deadline {
  const end = clock.nowMs() + ms;
  return { remainingMs: () => end - clock.nowMs() };
}

Deno.test("a passed deadline stops the call before it is made", async () => {
  const clock = manualClock();
  const deadline = deadlineIn(clock, 100);
  assertBeforeDeadline(deadline);
  assertBeforeDeadline(undefined);
  clock.advance(100);
  assert.throws(() => assertBeforeDeadline(deadline), DeadlinePassedError);
  let reached = 0;
  await assert.rejects(withRetry(() => (reached++, Promise.resolve(1)), { deadline }), (e: unknown) => {
    assert.ok(e instanceof DeadlinePassedError);
    assert.ok(isNotSentError(e), "the caller can tell that nothing was sent");
    return true;
  });
  assert.equal(reached, 0);
});

Deno.test("a retry whose wait would reach the deadline is not made: the real error is thrown at once", async () => {
  const clock = manualClock();
  const deadline = deadlineIn(clock, 1_000);
  const { waits, sleep } = fakeSleep();
  const last = rateLimited(1_000);
  const call = failing(last);
  await assert.rejects(withRetry(call.fn, { attempts: 3, sleep, deadline }), (e) => e === last);
  assert.equal(call.calls, 1);
  assert.deepEqual(waits, []);
});

Deno.test("retries inside the deadline go on; once a wait would reach it, the last real error ends them", async () => {
  const clock = manualClock();
  const deadline = deadlineIn(clock, 1_000);
  const sleep = (ms: number) => (clock.advance(ms), Promise.resolve());
  // Each attempt takes 400 ms of the budget, then fails.
  let calls = 0;
  const errors: Error[] = [];
  const slowFailure = () => {
    calls++;
    clock.advance(400);
    const error = new TemporaryExchangeError(`timeout ${calls}`);
    errors.push(error);
    return Promise.reject(error);
  };
  await assert.rejects(
    withRetry(slowFailure, { attempts: 5, baseDelayMs: 100, maxDelayMs: 100, random: () => 0, sleep, deadline }),
    (e) => e === errors[2],
  );
  // 0-400 attempt 1, wait 50, 450-850 attempt 2, wait 50 (150 ms left), 900-1300 attempt 3; past the deadline
  // no wait is worth it.
  assert.equal(calls, 3);
});

Deno.test("a wait that overshoots the deadline does not start another attempt", async () => {
  const clock = manualClock();
  const deadline = deadlineIn(clock, 1_000);
  // A sleep that takes far longer than asked (a stalled event loop).
  const sleep = (_ms: number) => (clock.advance(5_000), Promise.resolve());
  const call = failing(new TemporaryExchangeError("timeout"));
  await assert.rejects(withRetry(call.fn, { attempts: 3, sleep, deadline }), DeadlinePassedError);
  assert.equal(call.calls, 1);
});
