import assert from "node:assert/strict";
import { DbError, must } from "../../../supabase/functions/_shared/db.ts";

Deno.test("must returns the data of a good result and names the operation of a failed one", async (t) => {
  await t.step("data passes through", () => {
    assert.deepEqual(must("select x", { data: [{ id: 1 }], error: null }), [{ id: 1 }]);
  });
  await t.step("a PostgREST error shows its message and code", () => {
    const error = { message: "permission denied for table orders", code: "42501" };
    assert.throws(() => must("insert orders", { data: null, error }), (e: unknown) => {
      assert.ok(e instanceof DbError);
      assert.equal(e.message, "insert orders: permission denied for table orders (42501)");
      return true;
    });
  });
  await t.step("an answer without a message (a gateway's 502 JSON) is shown whole, never as 'undefined'", () => {
    // supabase-js hands over whatever JSON the failed response held as the error object.
    const error = { error: "PostgREST is not reachable", detail: "connection reset" } as unknown as {
      message: string;
    };
    assert.throws(() => must("update function_runs 7", { data: null, error }), (e: unknown) => {
      assert.ok(e instanceof DbError);
      assert.equal(
        e.message,
        'update function_runs 7: {"error":"PostgREST is not reachable","detail":"connection reset"}',
      );
      return true;
    });
  });
});
