import assert from "node:assert/strict";
import { z } from "zod";
import { BadRequestError, HttpError, UnauthorizedError } from "../../../supabase/functions/_shared/http.ts";
import { json, jsonHandler, parseJsonBody } from "../../../supabase/functions/_shared/http.ts";

const post = (body?: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://localhost/functions/v1/x", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

const schema = z.object({
  venues: z.array(z.enum(["binance", "okx"])).min(1).optional(),
  samples: z.number().int().min(1).max(20).optional(),
}).strict();

async function badRequest(req: Request, maxBytes?: number): Promise<BadRequestError> {
  try {
    await parseJsonBody(req, schema, { maxBytes });
  } catch (error) {
    assert.ok(error instanceof BadRequestError, `expected BadRequestError, got ${error}`);
    assert.equal(error.status, 400);
    return error;
  }
  assert.fail("parseJsonBody accepted a bad body");
}

Deno.test("parseJsonBody validates the body and names the bad field", async (t) => {
  await t.step("an empty body is {}", async () => {
    assert.deepEqual(await parseJsonBody(post(), schema), {});
    assert.deepEqual(await parseJsonBody(post("  "), schema), {});
  });
  await t.step("a valid body is returned typed", async () => {
    assert.deepEqual(await parseJsonBody(post(JSON.stringify({ venues: ["okx"], samples: 3 })), schema), {
      venues: ["okx"],
      samples: 3,
    });
  });
  await t.step("a JSON body declared as another media type → 415 naming the content-type", async () => {
    for (const contentType of ["text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]) {
      const req = post(JSON.stringify({ venues: ["okx"] }), { "content-type": contentType });
      const error = await parseJsonBody(req, schema).then(
        () => assert.fail(`accepted a body sent as ${contentType}`),
        (e: unknown) => e,
      );
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 415);
      assert.equal(error.issues?.[0].path, "(content-type)");
    }
  });
  await t.step("application/json with a charset and +json types are accepted", async () => {
    const body = JSON.stringify({ samples: 2 });
    for (const contentType of ["application/json; charset=utf-8", "application/vnd.api+json"]) {
      assert.deepEqual(await parseJsonBody(post(body, { "content-type": contentType }), schema), { samples: 2 });
    }
  });
  await t.step("non-JSON → 400", async () => {
    const error = await badRequest(post("{not json"));
    assert.equal(error.issues?.[0].path, "(body)");
  });
  await t.step("an unknown key is refused and named", async () => {
    const error = await badRequest(post(JSON.stringify({ venue: "okx" })));
    assert.equal(error.issues?.[0].path, "venue");
    assert.match(error.issues?.[0].message ?? "", /unknown field/);
  });
  await t.step("a wrong value names its path", async () => {
    const error = await badRequest(post(JSON.stringify({ venues: ["binance", "kraken"] })));
    assert.equal(error.issues?.[0].path, "venues.1");
    const tooMany = await badRequest(post(JSON.stringify({ samples: 21 })));
    assert.equal(tooMany.issues?.[0].path, "samples");
  });
  await t.step("a JSON array or string is not an object", async () => {
    assert.equal((await badRequest(post("[1]"))).issues?.[0].path, "(body)");
    assert.equal((await badRequest(post('"x"'))).issues?.[0].path, "(body)");
  });
  await t.step("an oversized body → 400 without reading it all", async () => {
    const big = JSON.stringify({ venues: ["okx"], pad: "x".repeat(5000) });
    const error = await badRequest(post(big), 1024);
    assert.match(error.message, /too large/);
  });
  await t.step("an oversized streamed body (no content-length) → 400", async () => {
    const chunk = new TextEncoder().encode("x".repeat(600));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 4; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const req = new Request("http://localhost/", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
    });
    assert.equal(req.headers.get("content-length"), null);
    const error = await badRequest(req, 1024);
    assert.match(error.message, /too large/);
  });
});

Deno.test("json answers with the status and a JSON content type", async () => {
  const res = json(201, { ok: true });
  assert.equal(res.status, 201);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  assert.deepEqual(await res.json(), { ok: true });
});

Deno.test("jsonHandler turns errors into short JSON answers", async (t) => {
  const logged: string[] = [];
  const handler = jsonHandler((req) => {
    const kind = new URL(req.url).searchParams.get("kind");
    if (kind === "auth") throw new UnauthorizedError();
    if (kind === "bad") throw new BadRequestError("invalid body", [{ path: "samples", message: "too big" }]);
    if (kind === "boom") throw new Error("database password is hunter2");
    return Promise.resolve(json(200, { ok: true }));
  }, { log: (line) => logged.push(line) });

  await t.step("HttpError keeps its status and issues", async () => {
    const res = await handler(new Request("http://x/?kind=bad", { method: "POST" }));
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: "invalid body", issues: [{ path: "samples", message: "too big" }] });
    assert.equal((await handler(new Request("http://x/?kind=auth", { method: "POST" }))).status, 401);
  });
  await t.step("an unexpected error is a bare 500; details only in the log", async () => {
    const res = await handler(new Request("http://x/?kind=boom", { method: "POST" }));
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: "internal error" });
    assert.match(logged.join("\n"), /hunter2/);
  });
  await t.step("only POST", async () => {
    const res = await handler(new Request("http://x/", { method: "GET" }));
    assert.equal(res.status, 405);
    await res.body?.cancel();
  });
});
