import assert from "node:assert/strict";
import {
  callerKeysFrom,
  constantTimeEqual,
  parseSecretKeys,
  requireServerCaller,
} from "../../../supabase/functions/_shared/caller.ts";
import { ForbiddenError, UnauthorizedError } from "../../../supabase/functions/_shared/http.ts";

const SECRET = "sb_secret_fake0000000000000000000000000000000000";
const ROTATED = "sb_secret_fake1111111111111111111111111111111111";
const LEGACY = "legacy.service.role-jwt";
const both = { secretKeys: { default: SECRET, rotated: ROTATED }, serviceRoleKey: LEGACY };
const newOnly = { secretKeys: { default: SECRET } };
const legacyOnly = { secretKeys: {}, serviceRoleKey: LEGACY };

const post = (headers: Record<string, string> = {}) =>
  new Request("http://localhost/functions/v1/x", { method: "POST", headers });

Deno.test("requireServerCaller: a secret key in apikey, or the legacy service role bearer", async (t) => {
  await t.step("any of the project's secret keys in apikey passes, and is named", () => {
    assert.deepEqual(requireServerCaller(post({ apikey: SECRET }), both), { kind: "secret-key", keyName: "default" });
    assert.deepEqual(requireServerCaller(post({ apikey: ROTATED }), both), { kind: "secret-key", keyName: "rotated" });
  });
  await t.step("the legacy service role bearer passes where the project has that key", () => {
    assert.deepEqual(requireServerCaller(post({ authorization: `Bearer ${LEGACY}` }), both), {
      kind: "legacy-service-role",
    });
    assert.deepEqual(requireServerCaller(post({ authorization: `Bearer ${LEGACY}` }), legacyOnly), {
      kind: "legacy-service-role",
    });
  });
  await t.step("supabase-js's shape (key in both headers) passes", () => {
    const headers = { apikey: SECRET, authorization: `Bearer ${SECRET}` };
    assert.equal(requireServerCaller(post(headers), newOnly).kind, "secret-key");
  });
  await t.step("no credential → 401 (also an empty apikey, an empty bearer, another scheme)", () => {
    const none: Record<string, string>[] = [{}, { apikey: "  " }, { authorization: "Bearer " }, {
      authorization: `Basic ${LEGACY}`,
    }];
    for (const headers of none) {
      assert.throws(() => requireServerCaller(post(headers), both), UnauthorizedError, JSON.stringify(headers));
    }
  });
  await t.step("any other credential → 403", () => {
    const refused: Record<string, string>[] = [
      { apikey: "sb_publishable_fake000000000000000000000000000000" },
      { apikey: "sb_secret_of_another_project_00000000000000000000" },
      { apikey: SECRET.slice(0, -1) },
      { apikey: `${SECRET}x` },
      { authorization: `Bearer ${SECRET}` }, // the right key in the wrong header
      { apikey: LEGACY }, // the legacy key in the wrong header
      { authorization: "Bearer anon.jwt.x" },
      { authorization: `Bearer ${LEGACY.slice(0, -1)}` },
    ];
    for (const headers of refused) {
      assert.throws(() => requireServerCaller(post(headers), both), ForbiddenError, JSON.stringify(headers));
    }
  });
  await t.step("on a project without legacy keys the old bearer is just another credential → 403", () => {
    assert.throws(() => requireServerCaller(post({ authorization: `Bearer ${LEGACY}` }), newOnly), ForbiddenError);
  });
  await t.step("the refusal names no key", () => {
    try {
      requireServerCaller(post({ apikey: "sb_secret_wrong" }), both);
      assert.fail("accepted");
    } catch (error) {
      const text = String((error as Error).message);
      for (const needle of [SECRET, ROTATED, LEGACY, "default", "rotated"]) assert.ok(!text.includes(needle), text);
    }
  });
});

Deno.test("callerKeysFrom reads the two key variables leniently", () => {
  assert.deepEqual(callerKeysFrom({ SUPABASE_SECRET_KEYS: `{"default":"${SECRET}"}` }), {
    secretKeys: { default: SECRET },
    serviceRoleKey: undefined,
  });
  // Malformed: no key can match, and nothing throws (the accepted caller would get the env error, a refused one not).
  assert.deepEqual(callerKeysFrom({ SUPABASE_SECRET_KEYS: "not json", SUPABASE_SERVICE_ROLE_KEY: ` ${LEGACY} ` }), {
    secretKeys: {},
    serviceRoleKey: LEGACY,
  });
  assert.deepEqual(callerKeysFrom({}), { secretKeys: {}, serviceRoleKey: undefined });
});

Deno.test("parseSecretKeys accepts only a JSON object of non-empty strings", () => {
  assert.deepEqual(parseSecretKeys(undefined), {});
  assert.deepEqual(parseSecretKeys(""), {});
  assert.deepEqual(parseSecretKeys(`{"a":"${SECRET}","b":" ${ROTATED} "}`), { a: SECRET, b: ROTATED });
  for (const bad of ["[]", '"sb_secret_x"', "null", '{"a":1}', '{"a":""}', "{"]) {
    assert.equal(parseSecretKeys(bad), undefined, bad);
  }
});

Deno.test("constantTimeEqual compares whole strings", () => {
  assert.equal(constantTimeEqual("abc", "abc"), true);
  assert.equal(constantTimeEqual("abc", "abd"), false);
  assert.equal(constantTimeEqual("abc", "abcd"), false);
  assert.equal(constantTimeEqual("", ""), true);
});
