import assert from "node:assert/strict";
import { withApiCors } from "../../../../dev/stack/cors.ts";

Deno.test("gateway CORS: API preflights answered before any key check, refusals readable cross-origin", async () => {
  const seen: string[] = [];
  const handler = withApiCors((request) => {
    seen.push(`${request.method} ${new URL(request.url).pathname}`);
    return Promise.resolve(Response.json({ message: "Invalid API key" }, { status: 401 }));
  });
  const preflight = await handler(
    new Request("http://gw/rest/v1/bot_settings", {
      method: "OPTIONS",
      headers: {
        origin: "http://page",
        "access-control-request-method": "GET",
        "access-control-request-headers": "apikey",
      },
    }),
  );
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), "*");
  assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /apikey/);
  assert.deepEqual(seen, [], "the preflight never reached the key check");

  const refused = await handler(new Request("http://gw/rest/v1/bot_settings", { headers: { origin: "http://page" } }));
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get("access-control-allow-origin"), "*");
  assert.deepEqual(await refused.json(), { message: "Invalid API key" });

  const auth = await handler(
    new Request("http://gw/auth/v1/token", { method: "POST", headers: { origin: "http://page" } }),
  );
  assert.equal(auth.headers.get("access-control-allow-origin"), "*", "a 404 for /auth/v1 is readable too");

  const fn = await handler(new Request("http://gw/functions/v1/trade-burst", { method: "POST" }));
  assert.equal(fn.headers.get("access-control-allow-origin"), null, "functions answer their own CORS");
});
