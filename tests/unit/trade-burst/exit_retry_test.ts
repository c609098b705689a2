import assert from "node:assert/strict";
import { exitBackoffMs, MAX_REJECTED_EXITS } from "../../../supabase/functions/trade-burst/exit_retry.ts";

Deno.test("refused exits are retried after 1 s, doubling to at most a minute", () => {
  assert.equal(MAX_REJECTED_EXITS, 3);
  assert.deepEqual([3, 4, 5, 6, 8, 9, 10, 100].map(exitBackoffMs), [
    1_000,
    2_000,
    4_000,
    8_000,
    32_000,
    60_000,
    60_000,
    60_000,
  ]);
});
