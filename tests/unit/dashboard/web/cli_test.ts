import assert from "node:assert/strict";
import { parseWebArgs, UsageError } from "../../../../dashboard/web/cli.ts";
import { webConfig } from "../../../../dashboard/web/build.ts";

const noEnv = () => undefined;

Deno.test("dashboard:web / dashboard:build flags: URL and publishable key required, never a secret key", () => {
  const options = parseWebArgs(["--url", "https://ref.supabase.co/", "--publishable-key", "sb_publishable_x"], noEnv);
  assert.deepEqual(options.config, {
    supabaseUrl: "https://ref.supabase.co",
    publishableKey: "sb_publishable_x",
    refreshSeconds: 10,
  });
  assert.equal(options.port, 0);
  assert.match(options.outDir, /\.local\/dashboard-web$/);
  const fromEnv = parseWebArgs(
    ["--refresh", "30", "--port", "8080", "--out", "/tmp/x"],
    (name) => ({ SUPABASE_URL: "http://127.0.0.1:54321", SUPABASE_PUBLISHABLE_KEY: "sb_publishable_y" })[name],
  );
  assert.deepEqual([fromEnv.config.refreshSeconds, fromEnv.port, fromEnv.outDir], [30, 8080, "/tmp/x"]);

  assert.throws(() => parseWebArgs([], noEnv), /--url/);
  assert.throws(() => parseWebArgs(["--url", "https://a.b"], noEnv), /--publishable-key/);
  assert.throws(
    () => parseWebArgs(["--url", "https://a.b", "--publishable-key", "sb_secret_z"], noEnv),
    (error) => error instanceof UsageError && /secret key/.test(error.message),
  );
  assert.throws(
    () => parseWebArgs(["--url", "https://a.b", "--publishable-key", "sb_publishable_x", "--refresh", "7"], noEnv),
    /--refresh/,
  );
  assert.throws(
    () => parseWebArgs(["--url", "https://a.b", "--publishable-key", "sb_publishable_x", "--port", "x"], noEnv),
    /--port/,
  );
  assert.throws(() => parseWebArgs(["--bogus"], noEnv), UsageError);
  assert.throws(() => webConfig({ supabaseUrl: "https://a.b", publishableKey: "sb_secret_q" }), /secret key/);
});
