import assert from "node:assert/strict";
import { loadEsbuild } from "../../../../dev/bundle/esbuild.ts";
import { importsLeft } from "../../../../dev/bundle/imports_left.ts";

Deno.test("imports left: every non-relative specifier, static or dynamic, read by the parser", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/entry.js`,
      [
        'import { z } from "npm:zod@4";',
        'import ccxt from "ccxt";',
        'import "./local.js";',
        'const text = "import x from \\"not-an-import\\"";',
        'export const later = () => import("node:fs");',
        "console.log(z, ccxt, text);",
      ].join("\n"),
    );
    const left = await importsLeft(`${dir}/entry.js`);
    assert.deepEqual(
      left.map((entry) => `${entry.kind} ${entry.path}`).sort(),
      ["dynamic-import node:fs", "import-statement ccxt", "import-statement npm:zod@4"],
    );
  } finally {
    loadEsbuild().stop();
    await Deno.remove(dir, { recursive: true });
  }
});
