import assert from "node:assert/strict";
import { assertPinnedVersions, BUNDLED_PACKAGES, PinMismatchError } from "../../../../dev/bundle/pins.ts";

async function fakeRoot(pins: Record<string, string>, installed: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir();
  await Deno.writeTextFile(`${root}/deno.json`, JSON.stringify({ imports: pins }));
  for (const [name, version] of Object.entries(installed)) {
    await Deno.mkdir(`${root}/node_modules/${name}`, { recursive: true });
    await Deno.writeTextFile(`${root}/node_modules/${name}/package.json`, JSON.stringify({ name, version }));
  }
  return root;
}

Deno.test("node_modules must hold exactly the versions deno.json pins for every bundled package", async () => {
  const pins = Object.fromEntries(BUNDLED_PACKAGES.map((name) => [name, `npm:${name}@1.2.3`]));
  const installed = Object.fromEntries(BUNDLED_PACKAGES.map((name) => [name, "1.2.3"]));
  const good = await fakeRoot(pins, installed);
  const bad = await fakeRoot(pins, { ...installed, zod: "1.2.4" });
  const missing = await fakeRoot(pins, { ccxt: "1.2.3" });
  try {
    await assertPinnedVersions(good);
    await assert.rejects(
      () => assertPinnedVersions(bad),
      (error: unknown) =>
        error instanceof PinMismatchError && error.message === "zod: deno.json pins 1.2.3, node_modules has 1.2.4 " +
            "(run `npm ci`)",
    );
    await assert.rejects(() => assertPinnedVersions(missing), /node_modules has nothing/);
  } finally {
    for (const root of [good, bad, missing]) await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the repository's own pins and node_modules agree", async () => {
  await assertPinnedVersions();
});
