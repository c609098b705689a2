// `deno task check:artifacts`: fails (exit 1) when a committed bundle differs from a fresh build of the sources, or
// when config.toml does not point `supabase functions deploy` at the bundles. Builds in memory; writes nothing.
import { buildAll } from "../dev/bundle/build.ts";
import { configProblems, staleArtifacts } from "../dev/bundle/artifacts.ts";

const problems = [...await staleArtifacts(await buildAll()), ...await configProblems()];
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error("run `deno task build` and commit supabase/functions/*/dist/");
  Deno.exit(1);
}
console.log("artifacts match a fresh build of the sources; config.toml deploys them");
