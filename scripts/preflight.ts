// `deno task preflight`: offline, before `supabase functions deploy`: per function, the committed bundle's size, its
// eszip size (what the deploy uploads), the imports it still has, and whether it is under the documented limits.
// Exit 1 when a function is over the 5 MB server-side limit or still imports something other than a `node:` module.
import { blockers, preflight, renderPreflight } from "../dev/bundle/preflight.ts";

const result = await preflight();
console.log(renderPreflight(result));
const problems = result.rows.flatMap(blockers);
for (const problem of problems) console.error(problem);
if (problems.length > 0) Deno.exit(1);
