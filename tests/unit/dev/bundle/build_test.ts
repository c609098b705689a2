import assert from "node:assert/strict";
import { buildFunction } from "../../../../dev/bundle/build.ts";
import { loadEsbuild } from "../../../../dev/bundle/esbuild.ts";
import { importsLeft } from "../../../../dev/bundle/imports_left.ts";

// One real build (about a second): the properties the deploy relies on, checked on the output itself.
Deno.test("a function's bundle is deterministic, self-contained and holds only ccxt's binance and okx", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await buildFunction("latency-sample");
    const second = await buildFunction("latency-sample");
    assert.deepEqual(second.code, first.code, "two builds of the same sources give the same bytes");

    const path = `${dir}/index.js`;
    await Deno.writeFile(path, first.code);
    assert.deepEqual(await importsLeft(path), [], "no npm:, bare or node: specifier left");
    const text = new TextDecoder().decode(first.code);
    assert.ok(!text.includes(Deno.cwd()), "no absolute path of this checkout in the output");

    const inputs = Object.keys(first.metafile.inputs);
    const ccxtModules = inputs.filter((input) => /^node_modules\/ccxt\/js\/src\/[^/]+\.js$/.test(input));
    assert.deepEqual(ccxtModules.sort(), ["node_modules/ccxt/js/src/binance.js", "node_modules/ccxt/js/src/okx.js"]);
    assert.ok(inputs.some((input) => input.startsWith("node_modules/@supabase/postgrest-js/")));
    assert.deepEqual(inputs.filter((input) => /supabase-js|auth-js|realtime-js|storage-js/.test(input)), []);
    const heavy = (input: string) =>
      /zklink|dydx-v4-client|protobuf\/mexc|@scure\/starknet|node_modules\/ws\//.test(input);
    assert.deepEqual(inputs.filter((input) => input.startsWith("node_modules/") && heavy(input)), [], "stubbed");
    assert.ok(inputs.some((input) => input.startsWith("ccxt-stub:") && heavy(input)), "the stubs stand in for them");
  } finally {
    loadEsbuild().stop();
    await Deno.remove(dir, { recursive: true });
  }
});
