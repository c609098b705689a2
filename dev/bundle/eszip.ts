/**
 * What a deploy would upload: the eszip (the module-graph archive the Edge runtime loads) of an artifact, built with
 * @deno/eszip from npm. That package's ESM build pulls in Node shims (undici, @deno/shim-deno) that Deno does not
 * resolve from node_modules here (`nodeModulesDir: none`), so it runs under Node, which `npm ci` needs anyway. The
 * loader serves only local files: the archive is built offline, and an import that is not a local file fails.
 */
import { REPO_ROOT } from "../stack/commands.ts";

const NODE_SCRIPT = `
import { build } from "@deno/eszip";
import { readFile } from "node:fs/promises";
const sizes = {};
for (const path of JSON.parse(process.argv[1])) {
  const root = new URL("file://" + path).href;
  const bytes = await build([root], async (specifier) => {
    const url = new URL(specifier);
    if (url.protocol !== "file:") throw new Error("not a local file (the archive is built offline): " + specifier);
    return { kind: "module", specifier, headers: { "content-type": "application/javascript" },
      content: await readFile(url, "utf8") };
  });
  sizes[path] = bytes.length;
}
console.log(JSON.stringify(sizes));
`;

export type EszipSizes = { ok: true; bytes: Map<string, number> } | { ok: false; reason: string };

/** Eszip size per absolute artifact path, or why it could not be built. */
export async function eszipSizes(paths: readonly string[]): Promise<EszipSizes> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("node", {
      args: ["--input-type=module", "--eval", NODE_SCRIPT, JSON.stringify(paths)],
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { ok: false, reason: "node is not on PATH" };
    throw error;
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(0, 3).join(" ");
    return { ok: false, reason: `@deno/eszip under node failed: ${stderr}` };
  }
  const parsed = JSON.parse(new TextDecoder().decode(output.stdout)) as Record<string, number>;
  return { ok: true, bytes: new Map(Object.entries(parsed)) };
}
