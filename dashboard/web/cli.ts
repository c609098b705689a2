/**
 * Flags of `deno task dashboard:web` (build and serve on localhost) and `deno task dashboard:build` (write a static
 * folder for any host). Every problem names the flag to fix.
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { ConfigError } from "../shared/explain.ts";
import { DEFAULT_WEB_OUT_DIR, type WebConfig, webConfig } from "./build.ts";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const WEB_USAGE = `Usage: deno task dashboard:web --url URL --publishable-key KEY [--port N] [--refresh SECONDS]
       deno task dashboard:build --url URL --publishable-key KEY [--out DIR] [--refresh SECONDS]

  --url              the project's URL (https://<project-ref>.supabase.co) or a local gateway (env SUPABASE_URL)
  --publishable-key  the publishable key (sb_publishable_…) or legacy anon key; never a secret key
                     (env SUPABASE_PUBLISHABLE_KEY)
  --port             dashboard:web only: port on 127.0.0.1 (default: a free one)
  --out              dashboard:build only: output folder (default .local/dashboard-web)
  --refresh          default refresh interval: 5, 10, 30 or 60 seconds (default 10)
`;

export interface WebCliOptions {
  config: WebConfig;
  port: number;
  outDir: string;
}

export function parseWebArgs(args: readonly string[], env: (name: string) => string | undefined): WebCliOptions {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        url: { type: "string" },
        "publishable-key": { type: "string" },
        port: { type: "string" },
        out: { type: "string" },
        refresh: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) throw new UsageError("");
  const url = values.url ?? env("SUPABASE_URL");
  if (!url) throw new UsageError("--url (or env SUPABASE_URL) is required");
  const key = values["publishable-key"] ?? env("SUPABASE_PUBLISHABLE_KEY");
  if (!key) throw new UsageError("--publishable-key (or env SUPABASE_PUBLISHABLE_KEY) is required");
  const refresh = Number(values.refresh ?? "10");
  if (![5, 10, 30, 60].includes(refresh)) {
    throw new UsageError(`--refresh must be 5, 10, 30 or 60, got ${JSON.stringify(values.refresh)}`);
  }
  const port = Number(values.port ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port)}`);
  }
  let config: WebConfig;
  try {
    config = webConfig({ supabaseUrl: url, publishableKey: key, refreshSeconds: refresh });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  return { config, port, outDir: resolve(values.out ?? DEFAULT_WEB_OUT_DIR) };
}
