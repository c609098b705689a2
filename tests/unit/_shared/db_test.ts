import assert from "node:assert/strict";
import { DbError, fetchWithTimeout, must } from "../../../supabase/functions/_shared/db.ts";
import { trackPendingTimers } from "../../support/pending_timers.ts";

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

Deno.test("fetchWithTimeout: an answered request leaves no timer, a stalled body fails with the timeout", async (t) => {
  const stalled: ReadableStreamDefaultController<Uint8Array>[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/empty") return new Response(null, { status: 204 });
    if (path === "/stall") {
      // Headers go out, then half a body, then nothing: only the timeout ends the read.
      return new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('[{"id":'));
            stalled.push(controller);
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    }
    return Response.json([{ id: 1 }], { headers: { "content-range": "0-0/1" } });
  });
  const url = (path: string) => `http://127.0.0.1:${server.addr.port}${path}`;
  try {
    await t.step("the answer arrives whole, with its status and headers, and no timer is left", async () => {
      const timers = trackPendingTimers();
      try {
        const fetchTimed = fetchWithTimeout(60_000);
        const response = await fetchTimed(url("/rows"));
        assert.deepEqual([response.status, response.headers.get("content-range")], [200, "0-0/1"]);
        assert.deepEqual(await response.json(), [{ id: 1 }]);
        const empty = await fetchTimed(url("/empty"), { method: "DELETE" });
        assert.deepEqual([empty.status, await empty.text()], [204, ""]);
        assert.equal(timers.pending(), 0, "the timeout's timer is cleared once the request is over");
      } finally {
        timers.restore();
      }
    });
    await t.step("a body that stops coming fails as a timeout", async () => {
      await assert.rejects(fetchWithTimeout(50)(url("/stall")), (e: unknown) => {
        assert.ok(e instanceof DOMException, String(e));
        assert.equal(e.name, "TimeoutError");
        assert.match(e.message, /timed out after 50 ms/);
        return true;
      });
    });
    await t.step("the caller's own abort still ends the request", async () => {
      const caller = new AbortController();
      const pending = fetchWithTimeout(60_000)(url("/stall"), { signal: caller.signal });
      caller.abort(new Error("caller gave up"));
      await assert.rejects(pending, /caller gave up/);
    });
  } finally {
    for (const controller of stalled) controller.close();
    await server.shutdown();
  }
});
