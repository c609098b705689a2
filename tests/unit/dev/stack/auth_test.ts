import assert from "node:assert/strict";
import { createAuthHandler } from "../../../../dev/stack/auth.ts";
import { randomJwtSecret } from "../../../../dev/stack/keys.ts";

const SECRET = randomJwtSecret();
const USER = { id: "00000000-0000-4000-8000-0000000000a1", email: "op@example.test", password: "fixture-password" };
const NOW = new Date("2026-12-02T12:00:00Z");
const auth = createAuthHandler({
  jwtSecret: SECRET,
  issuerBase: () => "http://gw",
  users: [USER],
  validApiKey: (key) => Promise.resolve(key === "sb_publishable_good"),
  now: () => NOW,
});

function call(path: string, init: RequestInit & { query?: string } = {}, key = "sb_publishable_good") {
  const headers = new Headers(init.headers);
  headers.set("apikey", key);
  return auth(new Request(`http://gw/auth/v1${path}${init.query ?? ""}`, { ...init, headers }), path);
}

const password = (email: string, pass: string) => ({
  method: "POST",
  query: "?grant_type=password",
  body: JSON.stringify({ email, password: pass }),
});

Deno.test("auth stand-in: the password grant answers as GoTrue does", async (t) => {
  await t.step("right e-mail and password: a session with GoTrue's shape and claims", async () => {
    const res = await call("/token", password("OP@example.test", USER.password));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.token_type, "bearer");
    assert.equal(body.expires_in, 3600);
    assert.equal(body.expires_at, NOW.getTime() / 1000 + 3600);
    assert.equal(body.user.id, USER.id);
    // Its signature is checked in the next test (GET /user with it, and with a forged one); here the claims.
    const payload = JSON.parse(atob(body.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
    assert.deepEqual([payload.sub, payload.role, payload.aud, payload.iss], [
      USER.id,
      "authenticated",
      "authenticated",
      "http://gw/auth/v1",
    ]);
    assert.equal(payload.exp, NOW.getTime() / 1000 + 3600);
  });
  await t.step("a wrong password or an unknown e-mail: 400 invalid_credentials", async () => {
    for (const [email, pass] of [[USER.email, "nope"], ["who@example.test", USER.password]]) {
      const res = await call("/token", password(email, pass));
      assert.equal(res.status, 400);
      assert.deepEqual(await res.json(), {
        code: 400,
        error_code: "invalid_credentials",
        msg: "Invalid login credentials",
      });
    }
  });
  await t.step("no project key: 401, whatever the credentials", async () => {
    const res = await call("/token", password(USER.email, USER.password), "sb_publishable_wrong");
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("unsupported paths say so", async () => {
    const res = await call("/otp", { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    assert.match((await res.json()).msg, /POST \/auth\/v1\/otp is not supported by the local stack/);
  });
});

Deno.test("auth stand-in: the user, a one-time refresh, and logout", async () => {
  // Tokens issued now, so jose accepts them.
  const live = createAuthHandler({
    jwtSecret: SECRET,
    issuerBase: () => "http://gw",
    users: [USER],
    validApiKey: () => Promise.resolve(true),
  });
  const req = (path: string, init: RequestInit & { query?: string } = {}) =>
    live(
      new Request(`http://gw/auth/v1${path}${init.query ?? ""}`, {
        ...init,
        headers: { apikey: "k", ...init.headers },
      }),
      path,
    );
  const session = await (await req("/token", password(USER.email, USER.password))).json();
  const me = await req("/user", { headers: { authorization: `Bearer ${session.access_token}` } });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).email, USER.email);
  const forged = await req("/user", { headers: { authorization: `Bearer ${session.access_token}x` } });
  assert.equal(forged.status, 403);
  assert.equal((await forged.json()).error_code, "bad_jwt");

  const refresh = (token: string) =>
    req("/token", {
      method: "POST",
      query: "?grant_type=refresh_token",
      body: JSON.stringify({ refresh_token: token }),
    });
  const renewed = await refresh(session.refresh_token);
  assert.equal(renewed.status, 200);
  const next = await renewed.json();
  const reused = await refresh(session.refresh_token);
  assert.equal(reused.status, 400, "a refresh token works once");
  await reused.body?.cancel();

  const out = await req("/logout", { method: "POST", headers: { authorization: `Bearer ${next.access_token}` } });
  assert.equal(out.status, 204);
  const afterLogout = await refresh(next.refresh_token);
  assert.equal(afterLogout.status, 400, "logout ends the user's refresh tokens");
  await afterLogout.body?.cancel();
});
