import assert from "node:assert/strict";
import { DbError, selectAllPages } from "../../../supabase/functions/_shared/db.ts";

/** A table of `n` rows behind a server that cuts every answer at `cap` rows, as PostgREST's max_rows does. */
function cappedTable(n: number, cap: number) {
  const ranges: [number, number][] = [];
  const page = (from: number, to: number) => {
    ranges.push([from, to]);
    const end = Math.min(to + 1, from + cap, n);
    return Promise.resolve({ data: Array.from({ length: Math.max(0, end - from) }, (_, i) => from + i), error: null });
  };
  return { page, ranges };
}

Deno.test("selectAllPages reads every row past the server's cap, one range at a time", async () => {
  const table = cappedTable(2_345, 1_000);
  const rows = await selectAllPages("t", table.page);
  assert.deepEqual(rows, Array.from({ length: 2_345 }, (_, i) => i));
  assert.deepEqual(table.ranges, [[0, 999], [1_000, 1_999], [2_000, 2_999]]);
});

Deno.test("selectAllPages stops at maxRows without asking for an empty range", async () => {
  const table = cappedTable(5_000, 1_000);
  assert.equal((await selectAllPages("t", table.page, 1_000, 1_500)).length, 1_500);
  assert.deepEqual(table.ranges, [[0, 999], [1_000, 1_499]]);
  const small = cappedTable(5_000, 1_000);
  assert.equal((await selectAllPages("t", small.page, 1_000, 500)).length, 500);
  assert.deepEqual(small.ranges, [[0, 499]]);
});

Deno.test("selectAllPages names the read when a page fails", async () => {
  await assert.rejects(
    selectAllPages("select orders", () => Promise.resolve({ data: null, error: { message: "boom", code: "XX000" } })),
    (e: unknown) => e instanceof DbError && /select orders \(rows 0\+\): boom/.test(e.message),
  );
});
