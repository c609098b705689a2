import assert from "node:assert/strict";
import { z } from "zod";
import { EnvError } from "../../../supabase/functions/_shared/env.ts";
import { HttpError } from "../../../supabase/functions/_shared/http.ts";
import { acceptServerCall } from "../../../supabase/functions/_shared/accept_call.ts";
import type { CallerKeys } from "../../../supabase/functions/_shared/caller.ts";
import type { VenueFunctionDeps } from "../../../supabase/functions/_shared/deps.ts";

const schema = z.strictObject({ samples: z.number().int().optional() });
const SECRET = "sb_secret_fake0000000000000000000000000000000000";
const keys = (): CallerKeys => ({ secretKeys: { default: SECRET }, serviceRoleKey: "the-service-role-key" });
// The deps are never touched here beyond being returned.
const deps = { env: {} } as unknown as VenueFunctionDeps;
const call = (headers: Record<string, string>, body = "{}") =>
  new Request("http://localhost/fn", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => assert.fail("the call was accepted"), (e: unknown) => e);
  assert.ok(error instanceof HttpError, `expected an HttpError, got ${error}`);
  return error;
}

const missingOkx = () => {
  throw new EnvError("OKX_PASSPHRASE", "is missing while OKX_API_KEY, OKX_API_SECRET are set");
};

Deno.test("acceptServerCall: the caller first, then the env, then the body", async (t) => {
  await t.step("a refused caller learns nothing about a broken env: 401 / 403, never the 500", async () => {
    const anonymous = await refusal(acceptServerCall(call({}), missingOkx, schema, keys));
    assert.equal(anonymous.status, 401);
    const wrong = await refusal(acceptServerCall(call({ apikey: "sb_publishable_x" }), missingOkx, schema, keys));
    assert.equal(wrong.status, 403);
    for (const error of [anonymous, wrong]) assert.doesNotMatch(JSON.stringify(error.toBody()), /OKX|misconfigured/);
  });
  await t.step("an accepted caller with an incomplete env gets 500 naming the variable", async () => {
    const error = await refusal(acceptServerCall(call({ apikey: SECRET }), missingOkx, schema, keys));
    assert.equal(error.status, 500);
    assert.match(error.message, /^server misconfigured: .*OKX_PASSPHRASE/);
  });
  await t.step("any other failure while building the deps is not dressed up as a 500 answer", async () => {
    const broken = () => {
      throw new TypeError("boom");
    };
    const error = await acceptServerCall(call({ apikey: SECRET }), broken, schema, keys).catch((e: unknown) => e);
    assert.ok(error instanceof TypeError);
  });
  await t.step("a refused caller is refused before the body is read", async () => {
    assert.equal((await refusal(acceptServerCall(call({}, "not json"), () => deps, schema, keys))).status, 401);
    const anon = call({ authorization: "Bearer anon" }, "not json");
    assert.equal((await refusal(acceptServerCall(anon, () => deps, schema, keys))).status, 403);
  });
  await t.step(
    "the secret key and the legacy bearer get the deps and the parsed body; a bad body is a 400",
    async () => {
      const accepted: Record<string, string>[] = [{ apikey: SECRET }, { authorization: "Bearer the-service-role-key" }];
      for (const headers of accepted) {
        const ok = await acceptServerCall(call(headers, '{"samples":3}'), () => deps, schema, keys);
        assert.equal(ok.deps, deps);
        assert.deepEqual(ok.body, { samples: 3 });
        const bad = await refusal(acceptServerCall(call(headers, '{"x":1}'), () => deps, schema, keys));
        assert.equal(bad.status, 400);
      }
    },
  );
});
