/**
 * The stack runs what ships: each function process executes the bundle config.toml names as its entrypoint (the file
 * `supabase functions deploy` uploads), not the TypeScript sources, and that bundle answers over the gateway.
 */
import assert from "node:assert/strict";
import { artifactPath, SHIPPED_FUNCTIONS } from "../../dev/bundle/build.ts";
import { REPO_ROOT } from "../../dev/stack/commands.ts";
import { keyHeaders, serverKey, stackTest } from "../support/stack.ts";

async function commandLine(pid: number): Promise<string[]> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").filter((part) => part !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

stackTest("the stack's function processes run the shipped bundles", {}, async (t, stack) => {
  await t.step("each function process runs supabase/functions/<name>/dist/index.js", async () => {
    const lines = await Promise.all((await stack.processIds()).map(commandLine));
    const entries = lines.flatMap((args) => args.filter((arg) => arg.startsWith(`${REPO_ROOT}/supabase/functions/`)));
    assert.deepEqual(entries.sort(), SHIPPED_FUNCTIONS.map((name) => `${REPO_ROOT}/${artifactPath(name)}`).sort());
  });

  await t.step(
    "the bundle answers: the service role with a bad body gets the handler's 400 naming the field",
    async () => {
      const res = await fetch(`${stack.gatewayUrl}/functions/v1/latency-sample`, {
        method: "POST",
        headers: { ...keyHeaders(serverKey(stack)), "content-type": "application/json" },
        body: JSON.stringify({ samples: "many" }),
      });
      const body = await res.json();
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(JSON.stringify(body), /samples/);
    },
  );
});
