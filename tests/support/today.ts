/**
 * Seed times for tests that assert "today" (UTC) figures, so they hold at any hour of the day.
 *
 * `ago(ms)` shrinks offsets, in proportion, to fit between today's UTC midnight and now: order is kept and every such
 * row is today even a minute after midnight. `beforeToday(ms)` places a row that far before today's midnight. Close to
 * the next midnight the clock waits for the day to turn, so a test cannot seed in one day and read in the next.
 */

import { utcDayStart } from "../../supabase/functions/_shared/trading/risk.ts";

const DAY_MS = 86_400_000;

export interface TodaySeedClock {
  /** A time `ms` before now, scaled down so that offsets up to `longestMs` stay inside today. */
  ago(ms: number): string;
  /** A time `ms` before today's UTC midnight (yesterday for ms up to a day). */
  beforeToday(ms: number): string;
}

export interface SeedClockOptions {
  /** How long the test reads after seeding; within this of the next midnight the clock waits it out. */
  guardMs?: number;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** @param longestMs the longest "ago" offset the test seeds as today */
export async function todaySeedClock(longestMs: number, options: SeedClockOptions = {}): Promise<TodaySeedClock> {
  const { guardMs = 180_000, clock = Date.now } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let now = clock();
  const untilMidnight = utcDayStart(new Date(now)).getTime() + DAY_MS - now;
  if (untilMidnight < guardMs) {
    await sleep(untilMidnight + 2_000);
    now = clock();
  }
  // Two seconds into the day at least, so the shrunken offsets still leave a strictly-today span.
  const dayStart = utcDayStart(new Date(now)).getTime();
  if (now - dayStart < 2_000) {
    await sleep(2_000);
    now = clock();
  }
  const scale = Math.min(1, (now - dayStart - 1_000) / longestMs);
  return {
    ago: (ms) => new Date(now - ms * scale).toISOString(),
    beforeToday: (ms) => new Date(dayStart - ms).toISOString(),
  };
}
