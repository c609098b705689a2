/** `deno task dashboard:build --url … --publishable-key … [--out DIR]`: a static folder for any static host. */

import { buildDashboard } from "../dashboard/web/build.ts";
import { parseWebArgs, UsageError, WEB_USAGE } from "../dashboard/web/cli.ts";

let options;
try {
  options = parseWebArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`dashboard:build: ${error.message}\n`);
  console.error(WEB_USAGE);
  Deno.exit(error.message ? 2 : 0);
}
await buildDashboard(options.outDir, options.config);
console.log(`dashboard:build: wrote ${options.outDir} (index.html, app.js, style.css, config.json)`);
