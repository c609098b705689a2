import assert from "node:assert/strict";
import {
  FunctionConfigError,
  loadEntrypoints,
  parseFunctionConfig,
  parseVerifyJwt,
} from "../../../../dev/stack/function_config.ts";

const TOML = `
project_id = "x"
entrypoint = "./not/a/function.ts" # outside any [functions.*] table: ignored

[functions.alpha]
verify_jwt = false # comment
entrypoint = "./functions/alpha/dist/index.js"
import_map = "./functions/alpha/dist/deno.json"

[functions."beta"]
verify_jwt = true

[db]
entrypoint = "./ignored.ts"
`;

Deno.test("the config parser reads verify_jwt, entrypoint and import_map per function table", () => {
  const settings = parseFunctionConfig(TOML);
  assert.deepEqual(Object.fromEntries(settings), {
    alpha: {
      verifyJwt: false,
      entrypoint: "./functions/alpha/dist/index.js",
      importMap: "./functions/alpha/dist/deno.json",
    },
    beta: { verifyJwt: true },
  });
  assert.deepEqual(Object.fromEntries(parseVerifyJwt(TOML)), { alpha: false, beta: true });
});

Deno.test("a bad value names the file, line and setting", () => {
  assert.throws(
    () => parseFunctionConfig("[functions.alpha]\nentrypoint = ./unquoted.ts\n", "c.toml"),
    (error: unknown) =>
      error instanceof FunctionConfigError && error.line === 2 &&
      error.message === "c.toml:2: functions.alpha.entrypoint must be a quoted path",
  );
  assert.throws(() => parseFunctionConfig("[functions.alpha]\nverify_jwt = yes\n"), FunctionConfigError);
});

Deno.test("entrypoints resolve against the config's folder, and only inside the functions folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.toml`, TOML);
    const entry = await loadEntrypoints(`${dir}/config.toml`, `${dir}/functions`);
    assert.equal(entry("alpha"), `${dir}/functions/alpha/dist/index.js`);
    assert.equal(entry("beta"), `${dir}/functions/beta/index.ts`, "no entrypoint: the CLI's default");
    // Another functions folder (fixtures, a test's temp folder) keeps its own index.ts even for a configured name.
    const elsewhere = await loadEntrypoints(`${dir}/config.toml`, `${dir}/other`);
    assert.equal(elsewhere("alpha"), `${dir}/other/alpha/index.ts`);
    const missing = await loadEntrypoints(`${dir}/absent.toml`, `${dir}/functions`);
    assert.equal(missing("alpha"), `${dir}/functions/alpha/index.ts`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
