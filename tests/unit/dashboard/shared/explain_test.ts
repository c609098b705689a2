import assert from "node:assert/strict";
import {
  checkProjectUrl,
  checkPublishableKey,
  ConfigError,
  explainError,
  explainFailure,
  jwtClaims,
  ReadFailedError,
} from "../../../../dashboard/shared/explain.ts";

const URL_ = "https://ref.supabase.co";
const fakeJwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(claims)).replaceAll("=", "")}.c2ln`;

Deno.test("each failure gets a plain message naming what to fix", () => {
  const problem = (status: number, message: string, code?: string) =>
    explainFailure({ what: "bot_settings", status, message, code }, URL_).problem;
  assert.equal(problem(0, "TypeError: Failed to fetch"), "unreachable");
  assert.equal(problem(401, "Invalid API key"), "bad_key");
  assert.equal(problem(401, "JWSError JWSInvalidSignature", "PGRST301"), "bad_key");
  assert.equal(problem(401, "JWT expired", "PGRST303"), "session_expired");
  assert.equal(problem(403, "permission denied for table bot_settings", "42501"), "not_member");
  assert.equal(problem(404, "Could not find the function public.member_role", "PGRST202"), "not_ready");
  assert.equal(problem(404, "<html>Not Found</html>"), "not_a_project");
  assert.equal(problem(500, "boom"), "unknown");
  const unreachable = explainFailure({ what: "x", status: 0, message: "Failed to fetch" }, URL_);
  assert.equal(unreachable.title, `Cannot reach ${URL_}`);
  assert.match(unreachable.fix, /Check the project URL/);
  assert.match(unreachable.detail, /Failed to fetch/);
});

Deno.test("explainError: typed failures, config problems, anything else by its message", () => {
  const typed = explainError(new ReadFailedError({ what: "orders", status: 401, message: "Invalid API key" }), URL_);
  assert.equal(typed.problem, "bad_key");
  const config = explainError(new ConfigError("config.json must have supabaseUrl"), URL_);
  assert.deepEqual([config.problem, config.fix], ["bad_config", "config.json must have supabaseUrl"]);
  assert.equal(explainError(new Error("odd"), URL_).detail, "odd");
  assert.equal(explainError("text", URL_).detail, "text");
});

Deno.test("only a publishable (anon) key may go into a page", () => {
  checkPublishableKey("sb_publishable_abc");
  checkPublishableKey(fakeJwt({ role: "anon" }));
  assert.throws(() => checkPublishableKey("sb_secret_abc"), /secret key.*never be in a web page/);
  assert.throws(() => checkPublishableKey(fakeJwt({ role: "service_role" })), /role "service_role"/);
  assert.throws(() => checkPublishableKey("hello"), /not a key/);
  assert.throws(() => checkPublishableKey("  "), /empty/);
  assert.deepEqual(jwtClaims(fakeJwt({ role: "anon", exp: 5 })), { role: "anon", exp: 5 });
  assert.equal(jwtClaims("a.b"), null);
  assert.equal(jwtClaims("a.%%%.c"), null);
});

Deno.test("the project URL is the base URL over http(s)", () => {
  assert.equal(checkProjectUrl("https://ref.supabase.co/"), "https://ref.supabase.co");
  assert.equal(checkProjectUrl(" http://127.0.0.1:54321 "), "http://127.0.0.1:54321");
  assert.throws(() => checkProjectUrl("ref.supabase.co"), /not a URL/);
  assert.throws(() => checkProjectUrl("ftp://ref.supabase.co"), /https:\/\//);
  assert.throws(() => checkProjectUrl("https://ref.supabase.co/rest/v1"), /without \/rest\/v1/);
});
