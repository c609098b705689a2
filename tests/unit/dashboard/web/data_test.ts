import assert from "node:assert/strict";
import { probeProject } from "../../../../dashboard/web/src/data.ts";

const answer = (status: number, body: string) => () => Promise.resolve(new Response(body, { status }));

Deno.test("the key probe: a good key is refused as anon (42501), a wrong key or URL is reported", async () => {
  const url = "https://ref.supabase.co";
  const good = answer(401, JSON.stringify({ code: "42501", message: "permission denied for table bot_settings" }));
  assert.equal(await probeProject(url, "sb_publishable_x", good), null);
  assert.equal(await probeProject(url, "k", answer(200, "[]")), null);
  assert.deepEqual(await probeProject(url, "k", answer(401, JSON.stringify({ message: "Invalid API key" }))), {
    what: "the project (checking the key)",
    status: 401,
    code: undefined,
    message: "Invalid API key",
  });
  const html = await probeProject(url, "k", answer(404, "<html>nope</html>"));
  assert.deepEqual([html?.status, html?.message], [404, "<html>nope</html>"]);
  const down = await probeProject(url, "k", () => Promise.reject(new TypeError("Failed to fetch")));
  assert.deepEqual([down?.status, down?.message], [0, "Failed to fetch"]);
  const seen: string[] = [];
  await probeProject(url, "sb_publishable_x", (input, init) => {
    seen.push(
      `${input} ${new Headers(init?.headers).get("apikey")} ${new Headers(init?.headers).has("authorization")}`,
    );
    return good();
  });
  assert.deepEqual(seen, [`${url}/rest/v1/bot_settings?select=id&limit=1 sb_publishable_x false`]);
});
