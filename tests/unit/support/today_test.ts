import assert from "node:assert/strict";
import { todaySeedClock } from "../../support/today.ts";

const at = (iso: string) => Date.parse(iso);

Deno.test("seed times stay inside today's UTC day at any hour", async (t) => {
  await t.step("at noon offsets are kept as asked", async () => {
    const clock = await todaySeedClock(3600_000, { clock: () => at("2026-12-02T12:00:00Z") });
    assert.equal(clock.ago(600_000), "2026-12-02T11:50:00.000Z");
    assert.equal(clock.beforeToday(3600_000), "2026-12-01T23:00:00.000Z");
  });

  await t.step("half a minute after midnight an hour of offsets shrinks into today, in order", async () => {
    const clock = await todaySeedClock(3600_000, { clock: () => at("2026-12-02T00:00:30Z") });
    const times = [3600_000, 1800_000, 600_000, 0].map((ms) => Date.parse(clock.ago(ms)));
    assert.ok(times.every((time) => time >= at("2026-12-02T00:00:00Z")), times.join());
    assert.deepEqual([...times].sort((a, b) => a - b), times);
    assert.ok(new Set(times).size === times.length);
  });

  await t.step("just before midnight it waits for the day to turn", async () => {
    let now = at("2026-12-02T23:59:00Z");
    const slept: number[] = [];
    const clock = await todaySeedClock(600_000, {
      clock: () => now,
      sleep: (ms) => {
        slept.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    assert.deepEqual(slept, [62_000]);
    assert.ok(Date.parse(clock.ago(600_000)) >= at("2026-12-03T00:00:00Z"));
    assert.equal(clock.beforeToday(60_000), "2026-12-02T23:59:00.000Z");
  });
});
