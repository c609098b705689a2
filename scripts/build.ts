// `deno task build`: rebuilds every function's deployable bundle (supabase/functions/<name>/dist/) from its sources.
// Run it after changing anything under supabase/functions/ and commit the result: the stack, the e2e tests, the
// benchmarks and `supabase functions deploy` all run these files, and `deno task check:artifacts` fails when they
// are stale.
import { buildAll } from "../dev/bundle/build.ts";
import { writeArtifacts } from "../dev/bundle/artifacts.ts";

const started = performance.now();
const built = await buildAll();
const written = await writeArtifacts(built);
for (const one of built) console.log(`${one.name}: ${(one.code.length / 1024).toFixed(0)} kB`);
console.log(`wrote ${written.length} files in ${((performance.now() - started) / 1000).toFixed(1)} s`);
