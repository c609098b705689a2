import assert from "node:assert/strict";
import { z } from "zod";
import { EnvError } from "../../../supabase/functions/_shared/env.ts";
import { HttpError } from "../../../supabase/functions/_shared/http.ts";
import { acceptServiceRoleCall } from "../../../supabase/functions/_shared/accept_call.ts";
import type { VenueFunctionDeps } from "../../../supabase/functions/_shared/deps.ts";

const schema = z.strictObject({ samples: z.number().int().optional() });
// Only `env.serviceRoleKey` is read before the body is accepted; the rest of the deps is never touched here.
const deps = { env: { serviceRoleKey: "the-service-role-key" } } as unknown as VenueFunctionDeps;
const call = (authorization: string | null, body = "{}") =>
  new Request("http://localhost/fn", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
  });

async function refusal(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(() => assert.fail("the call was accepted"), (e: unknown) => e);
  assert.ok(error instanceof HttpError, `expected an HttpError, got ${error}`);
  return error;
}

Deno.test("acceptServiceRoleCall: env first, then the caller, then the body", async (t) => {
  await t.step("an incomplete env answers 500 naming the variable", async () => {
    const missing = () => {
      throw new EnvError("SUPABASE_SERVICE_ROLE_KEY", "is not set");
    };
    const error = await refusal(acceptServiceRoleCall(call("Bearer the-service-role-key"), missing, schema));
    assert.equal(error.status, 500);
    assert.match(error.message, /^server misconfigured: .*SUPABASE_SERVICE_ROLE_KEY/);
  });
  await t.step("any other failure while building the deps is not dressed up as a 500 answer", async () => {
    const broken = () => {
      throw new TypeError("boom");
    };
    const error = await acceptServiceRoleCall(call("Bearer x"), broken, schema).catch((e: unknown) => e);
    assert.ok(error instanceof TypeError);
  });
  await t.step("a caller without the service role key is refused before the body is read", async () => {
    assert.equal((await refusal(acceptServiceRoleCall(call(null, "not json"), () => deps, schema))).status, 401);
    assert.equal(
      (await refusal(acceptServiceRoleCall(call("Bearer anon", "not json"), () => deps, schema))).status,
      403,
    );
  });
  await t.step("the service role gets the deps and the parsed body; a bad body is a 400", async () => {
    const accepted = await acceptServiceRoleCall(
      call("Bearer the-service-role-key", '{"samples":3}'),
      () => deps,
      schema,
    );
    assert.equal(accepted.deps, deps);
    assert.deepEqual(accepted.body, { samples: 3 });
    const bad = await refusal(
      acceptServiceRoleCall(call("Bearer the-service-role-key", '{"x":1}'), () => deps, schema),
    );
    assert.equal(bad.status, 400);
  });
});
