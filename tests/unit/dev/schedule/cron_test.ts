import assert from "node:assert/strict";
import { cronMatches, CronParseError, nextCronRun, parseCron } from "../../../../dev/schedule/cron.ts";

const at = (iso: string) => new Date(iso);
const sorted = (set: ReadonlySet<number>) => [...set].sort((a, b) => a - b);

Deno.test("cron parser reads the field forms the cadence uses", async (t) => {
  await t.step("* is every value", () => {
    const schedule = parseCron("* * * * *");
    assert.equal(schedule.minutes.size, 60);
    assert.equal(schedule.hours.size, 24);
    assert.deepEqual(sorted(schedule.daysOfWeek), [0, 1, 2, 3, 4, 5, 6]);
  });
  await t.step("*/5 is every fifth minute from 0", () => {
    assert.deepEqual(sorted(parseCron("*/5 * * * *").minutes), [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
  });
  await t.step("numbers, lists, ranges and stepped ranges", () => {
    const schedule = parseCron("0,30 3 1-3 */6 1-5/2");
    assert.deepEqual(sorted(schedule.minutes), [0, 30]);
    assert.deepEqual(sorted(schedule.hours), [3]);
    assert.deepEqual(sorted(schedule.daysOfMonth), [1, 2, 3]);
    assert.deepEqual(sorted(schedule.months), [1, 7]);
    assert.deepEqual(sorted(schedule.daysOfWeek), [1, 3, 5]);
  });
  await t.step("a start with a step runs to the end of the field", () => {
    assert.deepEqual(sorted(parseCron("50/4 * * * *").minutes), [50, 54, 58]);
  });
  await t.step("7 is Sunday, like 0", () => {
    assert.deepEqual(sorted(parseCron("0 0 * * 7").daysOfWeek), [0]);
  });
});

Deno.test("cron parser refuses malformed expressions, naming the field", async (t) => {
  const cases: Array<[string, RegExp]> = [
    ["* * * *", /has 4 fields, expected 5/],
    ["60 * * * *", /minute value 60 is outside 0-59/],
    ["* 24 * * *", /hour value 24 is outside 0-23/],
    ["* * 0 * *", /day-of-month value 0 is outside 1-31/],
    ["* * * 13 *", /month value 13 is outside 1-12/],
    ["*/0 * * * *", /minute value 0 is outside 1-60/],
    ["5-1 * * * *", /minute range 5-1 runs backwards/],
    ["a * * * *", /minute has "a", not a number/],
    ["1/2/3 * * * *", /minute has a malformed part/],
    [",1 * * * *", /minute has a malformed part/],
  ];
  for (const [expression, message] of cases) {
    await t.step(expression, () => {
      assert.throws(() => parseCron(expression), (error: unknown) => {
        assert.ok(error instanceof CronParseError);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("cron matching is per UTC minute", () => {
  const daily = parseCron("0 3 * * *");
  assert.equal(cronMatches(daily, at("2026-03-04T03:00:59Z")), true);
  assert.equal(cronMatches(daily, at("2026-03-04T03:01:00Z")), false);
  assert.equal(cronMatches(daily, at("2026-03-04T04:00:00+01:00")), true, "03:00 UTC written in another zone");
});

Deno.test("when both day fields are restricted, either one matching is enough (cron's rule)", () => {
  // The 13th, or any Friday.
  const schedule = parseCron("0 0 13 * 5");
  assert.equal(cronMatches(schedule, at("2026-01-13T00:00:00Z")), true, "Tuesday the 13th");
  assert.equal(cronMatches(schedule, at("2026-01-16T00:00:00Z")), true, "Friday the 16th");
  assert.equal(cronMatches(schedule, at("2026-01-14T00:00:00Z")), false, "Wednesday the 14th");
  // Only one restricted: both must hold (the * one always does).
  assert.equal(cronMatches(parseCron("0 0 * * 5"), at("2026-01-13T00:00:00Z")), false);
});

Deno.test("next run is the first matching minute strictly after the given time", async (t) => {
  await t.step("every minute", () => {
    assert.deepEqual(nextCronRun(parseCron("* * * * *"), at("2026-03-04T12:00:30Z")), at("2026-03-04T12:01:00Z"));
    assert.deepEqual(nextCronRun(parseCron("* * * * *"), at("2026-03-04T12:01:00Z")), at("2026-03-04T12:02:00Z"));
  });
  await t.step("every five minutes", () => {
    assert.deepEqual(nextCronRun(parseCron("*/5 * * * *"), at("2026-03-04T12:00:00Z")), at("2026-03-04T12:05:00Z"));
    assert.deepEqual(nextCronRun(parseCron("*/5 * * * *"), at("2026-03-04T12:59:10Z")), at("2026-03-04T13:00:00Z"));
  });
  await t.step("daily at 03:00, across a month and a year end", () => {
    assert.deepEqual(nextCronRun(parseCron("0 3 * * *"), at("2026-03-04T03:00:00Z")), at("2026-03-05T03:00:00Z"));
    assert.deepEqual(nextCronRun(parseCron("0 3 * * *"), at("2026-12-31T04:00:00Z")), at("2027-01-01T03:00:00Z"));
  });
  await t.step("29 February waits for the next leap year", () => {
    assert.deepEqual(nextCronRun(parseCron("0 0 29 2 *"), at("2026-03-01T00:00:00Z")), at("2028-02-29T00:00:00Z"));
  });
  await t.step("an expression that never fires is reported, not looped on", () => {
    assert.throws(() => nextCronRun(parseCron("0 0 31 2 *"), at("2026-01-01T00:00:00Z")), /never fires/);
  });
});
