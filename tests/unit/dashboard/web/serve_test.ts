import assert from "node:assert/strict";
import { serveDashboard } from "../../../../dashboard/web/serve.ts";

Deno.test("the local server: the folder's own files, config.json from memory, nothing else", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/index.html`, "<!doctype html><title>x</title>");
  await Deno.writeTextFile(`${dir}/app.js`, "console.log(1)");
  await Deno.writeTextFile(`${dir}/.env`, "SECRET=1");
  await Deno.writeTextFile(`${dir}/config.json`, `{"stale":true}`);
  const server = serveDashboard({
    dir,
    config: { supabaseUrl: "http://127.0.0.1:1/", publishableKey: "sb_publishable_x", refreshSeconds: 5 },
  });
  try {
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(new URL(path, server.url), init);
      return { status: res.status, type: res.headers.get("content-type"), body: await res.text() };
    };
    assert.deepEqual(await get("/"), {
      status: 200,
      type: "text/html; charset=utf-8",
      body: "<!doctype html><title>x</title>",
    });
    assert.equal((await get("/app.js")).type, "text/javascript; charset=utf-8");
    assert.deepEqual(JSON.parse((await get("/config.json")).body), {
      supabaseUrl: "http://127.0.0.1:1",
      publishableKey: "sb_publishable_x",
      refreshSeconds: 5,
    });
    assert.equal((await get("/.env")).status, 404);
    assert.equal((await get("/%2e%2e/%2e%2e/etc/passwd")).status, 404);
    assert.equal((await get("/sub/index.html")).status, 404);
    assert.equal((await get("/missing.js")).status, 404);
    assert.equal((await get("/", { method: "POST", body: "x" })).status, 405);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  assert.throws(
    () => serveDashboard({ dir, config: { supabaseUrl: "http://x", publishableKey: "sb_secret_x" } }),
    /secret key/,
  );
});
