import assert from "node:assert/strict";
import { DeadlinePassedError } from "../../../../supabase/functions/_shared/exchange/errors.ts";
import {
  RateLimitCostError,
  RateLimiter,
  type RateLimitSpec,
} from "../../../../supabase/functions/_shared/exchange/rate_limiter.ts";
import { VENUE_PROFILES, VENUES } from "../../../../supabase/functions/_shared/exchange/venues.ts";
import { ManualClock } from "../../../support/manual_clock.ts";

const WEIGHT: RateLimitSpec = { id: "weight", limit: 100, windowMs: 1_000, usedHeader: "x-used" };

function limiter(specs: RateLimitSpec[] = [WEIGHT], clock = new ManualClock(0)) {
  return {
    clock,
    limiter: new RateLimiter(specs, { nowMs: () => clock.monotonicMs(), sleep: (ms) => clock.sleep(ms) }),
  };
}

/** Spends `cost` `times` times, one after the other, and returns when each was let through (clock ms). */
async function spendTimes(l: RateLimiter, clock: ManualClock, cost: Record<string, number>, times: number) {
  const at: number[] = [];
  for (let i = 0; i < times; i++) {
    await l.acquire(cost, "order");
    at.push(clock.monotonicMs());
  }
  return at;
}

Deno.test("a full bucket lets the burst share out at once, then the refill rate", async () => {
  const { clock, limiter: l } = limiter();
  // 100 × 0.9 headroom = 90 allowed per second: 45 at once, 45 more refilled over the second.
  const at = await spendTimes(l, clock, { weight: 1 }, 46);
  assert.deepEqual(at.slice(0, 45), new Array(45).fill(0));
  assert.ok(at[45] > 0, "the 46th waits for refill");
  assert.deepEqual(at[45], Math.ceil(1 / (45 / 1000)));
});

Deno.test("idle time is credited: after a quiet second the next request goes out without waiting", async () => {
  const { clock, limiter: l } = limiter();
  await spendTimes(l, clock, { weight: 1 }, 45);
  assert.ok(l.available("weight") < 1);
  clock.advance(1_000);
  const before = clock.monotonicMs();
  await l.acquire({ weight: 4 }, "refresh");
  assert.deepEqual(clock.monotonicMs(), before, "no wait");
});

Deno.test("no sliding window of the limit's length ever holds more than the allowed share", async () => {
  const { clock, limiter: l } = limiter();
  const at = await spendTimes(l, clock, { weight: 1 }, 400);
  for (let i = 0; i < at.length; i++) {
    const inWindow = at.filter((t) => t >= at[i] && t < at[i] + WEIGHT.windowMs).length;
    assert.ok(inWindow <= 90, `window from ${at[i]} ms holds ${inWindow}`);
  }
});

Deno.test("orders go before refreshes, and refreshes leave the order reserve untouched", async () => {
  const clock = new ManualClock(0);
  // Waits end only when the test says so.
  const waits: Array<{ ms: number; end: () => void }> = [];
  const l = new RateLimiter([WEIGHT], {
    nowMs: () => clock.monotonicMs(),
    sleep: (ms) => new Promise<void>((end) => waits.push({ ms, end })),
  });
  // Drain to just above the reserve (45 × 0.2 = 9 tokens): 10 left.
  for (let i = 0; i < 35; i++) await l.acquire({ weight: 1 }, "refresh");
  const served: string[] = [];
  const refresh = l.acquire({ weight: 4 }, "refresh").then(() => served.push(`refresh@${clock.monotonicMs()}`));
  await Promise.resolve();
  assert.equal(waits.length, 1, "the refresh waits: 4 tokens would dip into the order reserve");
  const sent = l.acquire({ weight: 4 }, "order").then(() => served.push(`order@${clock.monotonicMs()}`));
  await sent;
  assert.deepEqual(served, ["order@0"], "the order, queued second, goes at once");
  for (let round = 0; round < 10 && served.length < 2; round++) {
    const wait = waits.shift();
    if (wait) {
      clock.advance(wait.ms);
      wait.end();
    }
    await new Promise((r) => setTimeout(r, 0));
  }
  await refresh;
  assert.ok(served[1].startsWith("refresh@") && served[1] !== "refresh@0", served[1]);
  assert.ok(l.available("weight") >= 9 - 1e-9, "the refresh left the reserve");
});

Deno.test("affordableNow counts what could go out without waiting: refreshes above the order reserve, none behind a queue or a pause", async () => {
  const { clock, limiter: l } = limiter();
  // Capacity 45 at once; refreshes keep 20 % of it (9) for orders.
  assert.equal(l.affordableNow({ weight: 4 }, "order"), 11);
  assert.equal(l.affordableNow({ weight: 4 }, "refresh"), 9);
  assert.equal(l.available("weight"), 45, "counting spends nothing");
  await spendTimes(l, clock, { weight: 1 }, 40);
  assert.equal(l.affordableNow({ weight: 4 }, "refresh"), 0, "5 left, the reserve is 9");
  assert.equal(l.affordableNow({ weight: 4 }, "order"), 1);
  // A request waiting for refill is ahead of anything counted now.
  const waiting = l.acquire({ weight: 10 }, "order");
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 0);
  await waiting;
  clock.advance(1_000);
  l.pauseFor(500);
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 0, "the venue's Retry-After");
  clock.advance(500);
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 45);
});

Deno.test("an order counted with leaveReserve keeps the reserve, and only a queued order holds orders back", async () => {
  const clock = new ManualClock(0);
  // Sleeps that only end when the test says so: queued requests stay queued while the test counts.
  const sleeping: (() => void)[] = [];
  const l = new RateLimiter([WEIGHT], {
    nowMs: () => clock.monotonicMs(),
    sleep: () => new Promise<void>((resolve) => sleeping.push(resolve)),
  });
  assert.equal(l.affordableNow({ weight: 4 }, "order", { leaveReserve: true }), 9, "45 less the reserve of 9");
  for (let i = 0; i < 40; i++) await l.acquire({ weight: 1 }, "order");
  assert.equal(l.affordableNow({ weight: 1 }, "order", { leaveReserve: true }), 0, "5 left, all of them reserve");
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 5);
  // A refresh waiting for refill does not hold an order back (orders jump it), but it holds other refreshes.
  const refresh = l.acquire({ weight: 9 }, "refresh");
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 5);
  assert.equal(l.affordableNow({ weight: 1 }, "refresh"), 0);
  const order = l.acquire({ weight: 10 }, "order");
  assert.equal(l.affordableNow({ weight: 1 }, "order"), 0, "an order waiting for refill goes first");
  clock.advance(60_000);
  for (let i = 0; i < 10 && sleeping.length > 0; i++) {
    sleeping.splice(0).forEach((wake) => wake());
    await Promise.resolve();
  }
  await order;
  await refresh;
});

Deno.test("the venue's usage header caps what we may still send in its window", async () => {
  const { clock, limiter: l } = limiter();
  assert.deepEqual(l.available("weight"), 45);
  l.observeHeaders({ "X-USED": "40" });
  assert.deepEqual(l.available("weight"), 45, "90 allowed, 40 used: 50 left, more than the bucket holds");
  l.observeHeaders({ "X-USED": "80" });
  assert.deepEqual(l.available("weight"), 10);
  l.observeHeaders({ "x-used": "nonsense" });
  assert.deepEqual(l.available("weight"), 10, "an unreadable header changes nothing");
  l.observeHeaders({ "x-used": "1" });
  assert.deepEqual(l.available("weight"), 10, "a header never adds tokens");
  const before = clock.monotonicMs();
  await l.acquire({ weight: 11 }, "order");
  assert.ok(clock.monotonicMs() > before, "waited for refill");
});

Deno.test("a Retry-After pause holds every request until it ends, and no longer", async () => {
  const { clock, limiter: l } = limiter();
  l.pauseFor(2_000);
  await l.acquire({ weight: 1 }, "order");
  assert.equal(clock.monotonicMs(), 2_000);
  l.pauseFor(1_000);
  // A refresh after the pause waits for the pause only: the bucket kept its tokens (above the order reserve).
  await l.acquire({ weight: 4 }, "refresh");
  assert.equal(clock.monotonicMs(), 3_000);
});

Deno.test("a request that could only go out after its budget is refused as not sent, spending nothing", async () => {
  const { clock, limiter: l } = limiter();
  l.pauseFor(5_000);
  await assert.rejects(l.acquire({ weight: 1 }, "order", 1_000), DeadlinePassedError);
  assert.equal(clock.monotonicMs(), 0, "refused without waiting");
  assert.deepEqual(l.spent, {});
  await l.acquire({ weight: 1 }, "order", 6_000);
  assert.equal(clock.monotonicMs(), 5_000);
});

Deno.test("a request that names an unknown limit, or costs more than a bucket holds, is refused", () => {
  const { limiter: l } = limiter();
  assert.throws(
    () => l.acquire({ nope: 1 }, "order"),
    (e) => e instanceof RateLimitCostError && /named nope/.test(e.message),
  );
  assert.throws(
    () => l.acquire({ weight: 46 }, "order"),
    (e) => e instanceof RateLimitCostError && /never fit/.test(e.message),
  );
});

Deno.test("several limits: a request waits for the slowest of the buckets it costs", async () => {
  const orders: RateLimitSpec = { id: "orders", limit: 10, windowMs: 10_000 };
  const { clock, limiter: l } = limiter([WEIGHT, orders]);
  // 10 × 0.9 × 0.5 = 4.5 orders at once.
  const at = await spendTimes(l, clock, { weight: 1, orders: 1 }, 5);
  assert.deepEqual(at.slice(0, 4), [0, 0, 0, 0]);
  assert.ok(at[4] >= 1_000, `the 5th order waits for the orders bucket (${at[4]} ms)`);
  assert.deepEqual(l.spent, { weight: 5, orders: 5 });
});

Deno.test("every venue's costs name its own limits and fit their buckets", () => {
  for (const venue of VENUES) {
    const { limits, costs } = VENUE_PROFILES[venue].rateLimits;
    const clock = new ManualClock(0);
    const l = new RateLimiter(limits, { nowMs: () => clock.monotonicMs(), sleep: (ms) => clock.sleep(ms) });
    for (const [operation, cost] of Object.entries(costs)) {
      for (const id of Object.keys(cost)) {
        assert.ok(limits.some((limit) => limit.id === id), `${venue} ${operation}: unknown limit ${id}`);
      }
      // Throws when a cost cannot fit.
      void l.acquire(cost, "order");
    }
  }
});
