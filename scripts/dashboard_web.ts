/** `deno task dashboard:web --url … --publishable-key …`: builds the web dashboard and serves it on 127.0.0.1. */

import { buildDashboard } from "../dashboard/web/build.ts";
import { parseWebArgs, UsageError, WEB_USAGE } from "../dashboard/web/cli.ts";
import { serveDashboard } from "../dashboard/web/serve.ts";

let options;
try {
  options = parseWebArgs(Deno.args, (name) => Deno.env.get(name));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  if (error.message) console.error(`dashboard:web: ${error.message}\n`);
  console.error(WEB_USAGE);
  Deno.exit(error.message ? 2 : 0);
}
await buildDashboard(options.outDir);
const server = serveDashboard({ dir: options.outDir, config: options.config, port: options.port });
console.log(`dashboard:web: serving ${options.config.supabaseUrl}'s dashboard at ${server.url} (Ctrl-C stops)`);
const stop = () => server.stop().then(() => Deno.exit(0));
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
