import assert from "node:assert/strict";
import { type RestApiKeys, restAuthorization } from "../../../../dev/stack/gateway.ts";

const SECRET = "sb_secret_fake000000000000000000000000000000000";
const PUBLISHABLE = "sb_publishable_fake0000000000000000000000000000";
const keys = (legacyKeysEnabled: boolean): RestApiKeys => ({
  publishable: [PUBLISHABLE],
  secret: [SECRET],
  anonToken: "anon.role.jwt",
  serviceRoleToken: "service.role.jwt",
  legacyKeysEnabled,
});

function authorizationFor(headers: Record<string, string>, legacy = true): string | undefined | number {
  const result = restAuthorization(new Headers(headers), keys(legacy));
  return "refusal" in result ? result.refusal.status : result.authorization;
}

Deno.test("/rest/v1 maps the new keys to roles as hosted Supabase does", async (t) => {
  await t.step("the secret key acts as the service role (alone, or as supabase-js sends it in both headers)", () => {
    assert.equal(authorizationFor({ apikey: SECRET }), "Bearer service.role.jwt");
    assert.equal(authorizationFor({ apikey: SECRET, authorization: `Bearer ${SECRET}` }), "Bearer service.role.jwt");
  });
  await t.step("the publishable key acts as anon", () => {
    assert.equal(
      authorizationFor({ apikey: PUBLISHABLE, authorization: `Bearer ${PUBLISHABLE}` }),
      "Bearer anon.role.jwt",
    );
  });
  await t.step("a user's JWT beside the publishable key is that user (PostgREST verifies it)", () => {
    assert.equal(
      authorizationFor({ apikey: PUBLISHABLE, authorization: "Bearer user.session.jwt" }),
      "Bearer user.session.jwt",
    );
  });
  await t.step("an unknown sb_ key, or a different sb_ key in Authorization, is refused with 401", () => {
    assert.equal(authorizationFor({ apikey: "sb_secret_other" }), 401);
    assert.equal(authorizationFor({ apikey: PUBLISHABLE, authorization: `Bearer ${SECRET}` }), 401);
  });
  await t.step("legacy keys: a JWT apikey doubles as the bearer; new-only: refused", () => {
    assert.equal(authorizationFor({ apikey: "legacy.jwt" }), "Bearer legacy.jwt");
    assert.equal(authorizationFor({ apikey: "legacy.jwt" }, false), 401);
  });
  await t.step("no apikey: passed through with legacy keys, refused without", () => {
    assert.equal(authorizationFor({ authorization: "Bearer some.jwt" }), "Bearer some.jwt");
    assert.equal(authorizationFor({}), undefined);
    assert.equal(authorizationFor({ authorization: "Bearer some.jwt" }, false), 401);
  });
});
