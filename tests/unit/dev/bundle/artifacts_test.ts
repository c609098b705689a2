import assert from "node:assert/strict";
import { configProblems, staleArtifacts, writeArtifacts } from "../../../../dev/bundle/artifacts.ts";
import { artifactPath, type BuiltFunction, importMapPath, SHIPPED_FUNCTIONS } from "../../../../dev/bundle/build.ts";

function built(name: string, text: string): BuiltFunction {
  return { name, code: new TextEncoder().encode(text), metafile: { inputs: {}, outputs: {} } };
}

Deno.test("stale artifacts: a missing file and a changed byte are reported, an exact copy is not", async () => {
  const root = await Deno.makeTempDir();
  try {
    const fresh = [built("alpha", "console.log(1);\n"), built("beta", "console.log(2);\n")];
    assert.deepEqual(await writeArtifacts(fresh, root), [
      artifactPath("alpha"),
      importMapPath("alpha"),
      artifactPath("beta"),
      importMapPath("beta"),
    ]);
    assert.deepEqual(await staleArtifacts(fresh, root), []);

    await Deno.writeTextFile(`${root}/${artifactPath("alpha")}`, "console.log(3);\n");
    await Deno.remove(`${root}/${importMapPath("beta")}`);
    assert.deepEqual(await staleArtifacts(fresh, root), [
      `${artifactPath("alpha")}: differs from a fresh build (16 bytes committed, 16 built)`,
      `${importMapPath("beta")}: missing`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("config problems: each shipped function's entrypoint and import_map must name its artifact", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/supabase`);
    const tables = SHIPPED_FUNCTIONS.map((name) =>
      `[functions.${name}]\nverify_jwt = true\nentrypoint = "./functions/${name}/dist/index.js"\n` +
      `import_map = "./functions/${name}/dist/deno.json"\n`
    );
    await Deno.writeTextFile(`${root}/supabase/config.toml`, tables.join("\n"));
    assert.deepEqual(await configProblems(root), []);

    const [first] = SHIPPED_FUNCTIONS;
    const sources = tables.join("\n").replace(`./functions/${first}/dist/index.js`, `./functions/${first}/index.ts`);
    await Deno.writeTextFile(`${root}/supabase/config.toml`, sources);
    assert.deepEqual(await configProblems(root), [
      `supabase/config.toml: functions.${first}.entrypoint is ./functions/${first}/index.ts, expected ` +
      `"./functions/${first}/dist/index.js"`,
    ]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the repository's config.toml deploys the artifacts", async () => {
  assert.deepEqual(await configProblems(), []);
});
