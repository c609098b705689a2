/**
 * The bundle takes its libraries from node_modules (npm's install), while Deno runs the sources and the unit tests
 * with deno.json's `npm:` pins. Both must be the same versions, or the artifact would ship code the tests never ran.
 */
import { REPO_ROOT } from "../stack/commands.ts";

/** Packages the bundles inline, by their deno.json import-map name. */
export const BUNDLED_PACKAGES = ["ccxt", "zod", "@supabase/postgrest-js"] as const;

export class PinMismatchError extends Error {
  override name = "PinMismatchError";
}

const NPM_PIN = /^npm:(@?[^@]+)@(.+)$/;

export async function assertPinnedVersions(root = REPO_ROOT): Promise<void> {
  const denoJson = JSON.parse(await Deno.readTextFile(`${root}/deno.json`)) as { imports?: Record<string, string> };
  const problems: string[] = [];
  for (const name of BUNDLED_PACKAGES) {
    const pin = NPM_PIN.exec(denoJson.imports?.[name] ?? "");
    if (!pin) {
      problems.push(`deno.json imports.${name} is not an exact npm: pin`);
      continue;
    }
    let installed: string | undefined;
    try {
      installed = JSON.parse(await Deno.readTextFile(`${root}/node_modules/${name}/package.json`)).version;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (installed !== pin[2]) {
      problems.push(`${name}: deno.json pins ${pin[2]}, node_modules has ${installed ?? "nothing"} (run \`npm ci\`)`);
    }
  }
  if (problems.length > 0) throw new PinMismatchError(problems.join("; "));
}
